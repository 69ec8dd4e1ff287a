"""The HQ audit log in plain words: each action's name and its details as a sentence. Qt-free.

The log stores details as JSON (what the hash chain covers); the desk never shows that JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kpfield.domain.desk import REVIEW_LABELS, ReviewState
from kpfield.errors import N_

Gettext = Callable[[str], str]

ACTION_LABELS = {
    "review": N_("Review state"),
    "link": N_("Link"),
    "unlink": N_("Unlink"),
    "note": N_("Analyst note"),
    "identity_reveal": N_("Identity shown"),
    "export": N_("Export"),
    "override": N_("Consent override"),
    "device_approved": N_("Device approved"),
    "device_revoked": N_("Device revoked"),
    "identity_deleted": N_("Witness identity deleted"),
}
EXPORT_KIND_LABELS = {
    "cases_csv": N_("cases CSV"),
    "incidents_csv": N_("de-identified incident CSV"),
    "events_json": N_("events JSON"),
    "pdf_brief": N_("PDF brief"),
}


def action_in_words(action: str, _: Gettext) -> str:
    return _(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def _state(value: Any, _: Gettext) -> str:
    try:
        return _(REVIEW_LABELS[ReviewState(str(value))])
    except ValueError:
        return str(value)


def short(v: Any) -> str:
    """An id as its first 8 digits (as the rest of the desk shows them)."""
    return str(v or "")[:8]


def details_in_words(action: str, d: dict[str, Any], _: Gettext) -> str:
    """One sentence for the details of an audit entry (unknown keys listed plainly)."""
    if action == "review":
        text = _("From “{old}” to “{new}”").format(
            old=_state(d.get("from"), _), new=_state(d.get("to"), _)
        )
        reason = str(d.get("reason") or "")
        return f"{text}: {reason}" if reason else text
    if action == "link":
        return _("Linked with report {id}").format(id=short(d.get("with")))
    if action == "unlink":
        return _("No longer linked with report {id}").format(id=short(d.get("with")))
    if action == "note":
        return _("A note of {n} characters was added").format(n=d.get("chars", 0))
    if action == "identity_reveal":
        return _("The identity of witness {id} was shown").format(id=short(d.get("witness")))
    if action == "export":
        kind = str(d.get("kind", ""))
        text = _("{kind} “{file}”: {included} report(s) included, {left_out} left out").format(
            kind=_(EXPORT_KIND_LABELS[kind]) if kind in EXPORT_KIND_LABELS else kind,
            file=d.get("file", ""), included=d.get("included", 0), left_out=d.get("left_out", 0),
        )  # fmt: skip
        if d.get("overridden"):
            text += _(", {n} included by override").format(n=d["overridden"])
        return text
    if action == "override":
        return _("Included in “{file}” without consent to share with KP bodies: {reason}").format(
            file=d.get("file", ""), reason=d.get("reason", "")
        )
    if action == "identity_deleted":
        return _("The identifying details of witness {id} were deleted: {reason}").format(
            id=short(d.get("witness")), reason=d.get("reason", "")
        )
    if action in ("device_approved", "device_revoked"):
        return f"{d.get('name') or '—'} ({d.get('fingerprint', '')})"
    return "; ".join(f"{k}: {v}" for k, v in sorted(d.items()))
