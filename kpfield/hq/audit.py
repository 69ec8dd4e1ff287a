"""HQ's audit log of analyst actions: append-only, hash-chained like the device custody log.

``entry_hash = SHA-256(prev_hash ‖ canonical(entry))`` with ``entry`` the JSON object
``{"seq", "at", "action", "report_id", "details"}``; the database refuses updates and deletes, and
:func:`verify_audit` recomputes the chain so an edit made behind the application's back shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kpfield.custody.log import GENESIS, chain_hash
from kpfield.protocol.canonical import canonical_json
from kpfield.vault.db import Connection
from kpfield.vault.desk_store import AuditRecord, DeskStore

ACTIONS = (
    "review",
    "link",
    "unlink",
    "note",
    "identity_reveal",
    "identity_deleted",
    "export",
    "override",
    "device_approved",
    "device_revoked",
)


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    what: str


def append(
    conn: Connection, action: str, at: str, report_id: str | None, details: dict[str, Any]
) -> AuditRecord:
    """Add one entry after the current head (inside the caller's transaction)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    store = DeskStore(conn)
    head = store.audit_head()
    seq, prev = (1, GENESIS) if head is None else (head[0] + 1, head[1])
    body = {"seq": seq, "at": at, "action": action, "report_id": report_id, "details": details}
    record = AuditRecord(
        seq, at, action, report_id, canonical_json(body).decode("utf-8"), prev,
        chain_hash(prev, body),
    )  # fmt: skip
    store.add_audit(record)
    return record


def details(record: AuditRecord) -> dict[str, Any]:
    try:
        body = json.loads(record.entry)
    except json.JSONDecodeError:
        return {}
    d = body.get("details") if isinstance(body, dict) else None
    return d if isinstance(d, dict) else {}


def verify_audit(conn: Connection) -> list[AuditProblem]:
    """Every break in the audit chain (an empty list when it is intact)."""
    problems: list[AuditProblem] = []
    prev = GENESIS
    expected = 1
    for rec in DeskStore(conn).audit():
        if rec.seq != expected:
            problems.append(AuditProblem(rec.seq, "entries are missing before this one"))
        try:
            body = json.loads(rec.entry)
        except json.JSONDecodeError:
            problems.append(AuditProblem(rec.seq, "the entry is not JSON"))
            prev, expected = rec.entry_hash, rec.seq + 1
            continue
        if canonical_json(body).decode("utf-8") != rec.entry or (
            body.get("seq"), body.get("at"), body.get("action"), body.get("report_id"),
        ) != (rec.seq, rec.at, rec.action, rec.report_id):  # fmt: skip
            problems.append(AuditProblem(rec.seq, "the entry does not match its columns"))
        if rec.prev_hash != prev:
            problems.append(AuditProblem(rec.seq, "it does not follow the previous entry"))
        if chain_hash(rec.prev_hash, body) != rec.entry_hash:
            problems.append(AuditProblem(rec.seq, "its hash does not match its content"))
        prev, expected = rec.entry_hash, rec.seq + 1
    return problems
