"""Why the last sync did not finish: sorted into a few kinds the sync panel words plainly, and
kept in the vault so the reason is still shown after a lock, a restart, or a CLI run.

Errors are stored as their English templates and named parameters (never translated text), so a
reason read back is shown in whatever language the app has then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpfield.errors import KpfieldError

if TYPE_CHECKING:
    from kpfield.services.sync_status import SyncResult

KINDS = ("network", "refused", "unenrolled", "security", "revoked", "setup", "other")
MAX_SAVED_ERRORS = 4
MAX_SAVED_BYTES = 8192


@dataclass(frozen=True)
class Failure:
    """Why the last sync did not finish, kept as errors so it is shown in the current language."""

    kind: str  # one of KINDS
    errors: tuple[BaseException, ...] = ()
    at: str | None = None
    """When it happened (vault time, ISO), for a failure read back from the vault."""


class SavedError(KpfieldError):
    """An error of an earlier sync, read back from the vault (its template and parameters)."""


def classify(result: SyncResult) -> Failure | None:
    if result.revoked:
        return Failure("revoked")
    errors = tuple(result.errors)
    if result.refused_by_security or any(getattr(e, "exit_code", 0) == 3 for e in errors):
        return Failure("security", errors)
    if result.problems:
        return Failure("security")
    if errors:
        first = errors[0]
        if getattr(first, "code", "") == "unknown_device":
            return Failure("unenrolled", errors)
        status = getattr(first, "status", None)
        retryable = getattr(first, "retryable", True)
        if status is None or retryable:
            return Failure("network", errors)
        return Failure("refused", errors)
    if result.failures or result.pending:
        return Failure("other")
    return None


def classify_exception(exc: BaseException) -> Failure:
    if isinstance(exc, KpfieldError) and exc.exit_code == 2:  # e.g. no relay in the profile
        return Failure("setup", (exc,))
    if isinstance(exc, KpfieldError) and exc.exit_code == 3:
        return Failure("security", (exc,))
    return Failure("other", (exc,))


def encode(failure: Failure, at: str) -> str:
    """The failure as a small JSON document: kind, time, and each error's template and params."""
    errors = [
        {"template": e.template, "params": {k: _plain(v) for k, v in e.params.items()}}
        for e in failure.errors
        if isinstance(e, KpfieldError)
    ][:MAX_SAVED_ERRORS]
    text = json.dumps({"kind": failure.kind, "at": at, "errors": errors}, ensure_ascii=False)
    if len(text.encode()) > MAX_SAVED_BYTES:  # never store something unbounded
        text = json.dumps({"kind": failure.kind, "at": at, "errors": []})
    return text


def decode(text: str) -> Failure | None:
    """The failure saved by :func:`encode`; None for nothing saved or anything malformed."""
    if not text:
        return None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or doc.get("kind") not in KINDS:
        return None
    errors: list[BaseException] = []
    for item in doc.get("errors") or ():
        if not isinstance(item, dict) or not isinstance(item.get("template"), str):
            continue
        params = item.get("params")
        params = {str(k): v for k, v in params.items()} if isinstance(params, dict) else {}
        errors.append(SavedError(item["template"], **params))
    at = doc.get("at")
    return Failure(str(doc["kind"]), tuple(errors), at if isinstance(at, str) else None)


def _plain(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)

