"""The device's append-only custody log: a SHA-256 hash chain over canonical entries.

``entry_hash = SHA-256(prev_hash ‖ canonical(entry))`` where ``prev_hash`` is the previous entry's
hash as 32 raw bytes (32 zero bytes for the first entry) and ``entry`` is the JSON object
``{"seq", "event", "report_id", "at", "details"}``. The database forbids updates and deletes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kpfield.domain.ids import ReportId
from kpfield.domain.models import CustodyEntry
from kpfield.protocol.canonical import canonical_json, sha256_hex
from kpfield.vault.db import Connection

GENESIS = "0" * 64
EVENTS = (
    "created",
    "sealed",
    "amended",
    "exported",
    "sent",
    "receipt",
    "acknowledged",
    "purged",
    "consent_withdrawn",
)


def entry_body(
    seq: int, event: str, report_id: str | None, at: str, details: dict[str, Any]
) -> dict[str, Any]:
    return {"seq": seq, "event": event, "report_id": report_id, "at": at, "details": details}


def chain_hash(prev_hash: str, body: dict[str, Any]) -> str:
    return sha256_hex(bytes.fromhex(prev_hash) + canonical_json(body))


class CustodyLog:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def head(self) -> tuple[int, str]:
        """(last sequence number, its hash); (0, GENESIS) for an empty log."""
        row = self.conn.execute(
            "SELECT seq, entry_hash FROM custody_log ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def append(
        self, event: str, report_id: ReportId | None, at: str, details: dict[str, Any]
    ) -> CustodyEntry:
        """Append one entry. Call inside the transaction that makes the change it records."""
        if event not in EVENTS:
            raise ValueError(f"unknown custody event {event!r}")
        seq, prev = self.head()
        body = entry_body(seq + 1, event, report_id, at, details)
        h = chain_hash(prev, body)
        self.conn.execute(
            "INSERT INTO custody_log(seq, event, report_id, at, entry, prev_hash, entry_hash)"
            " VALUES (?,?,?,?,?,?,?)",
            (seq + 1, event, report_id, at, canonical_json(body).decode(), prev, h),
        )
        return CustodyEntry(seq + 1, event, report_id, at, details, prev, h)

    def entries(self, report_id: str | None = None, since_seq: int = 0) -> list[CustodyEntry]:
        sql = "SELECT seq, event, report_id, at, entry, prev_hash, entry_hash FROM custody_log"
        args: list[Any] = []
        if report_id is not None:
            sql += " WHERE report_id = ?"
            args.append(report_id)
        else:
            sql += " WHERE seq > ?"
            args.append(since_seq)
        sql += " ORDER BY seq"
        return [_entry_from_row(r) for r in self.conn.execute(sql, args)]

    def raw_entries(self, since_seq: int = 0) -> list[tuple[int, str, str, str]]:
        """(seq, stored canonical entry text, prev_hash, entry_hash) for verification/export."""
        return [
            (int(r[0]), str(r[1]), str(r[2]), str(r[3]))
            for r in self.conn.execute(
                "SELECT seq, entry, prev_hash, entry_hash FROM custody_log WHERE seq > ?"
                " ORDER BY seq",
                (since_seq,),
            )
        ]

    def hash_at(self, seq: int) -> str | None:
        row = self.conn.execute(
            "SELECT entry_hash FROM custody_log WHERE seq = ?", (seq,)
        ).fetchone()
        return None if row is None else str(row[0])

    def seal_seq(self, report_id: str, sha256: str) -> int | None:
        """The sequence number of the entry that sealed this version of a report."""
        for e in self.entries(report_id):
            if e.event == "sealed" and e.details.get("sha256") == sha256:
                return e.seq
        return None


def _entry_from_row(r: tuple[int, str, str | None, str, str, str, str]) -> CustodyEntry:
    # Everything is read from the hashed canonical entry, never from the unhashed index columns.
    body = json.loads(r[4])
    rid = body.get("report_id")
    return CustodyEntry(
        seq=int(body.get("seq", r[0])),
        event=str(body.get("event", "")),
        report_id=ReportId(rid) if rid else None,
        at=str(body.get("at", "")),
        details=dict(body.get("details") or {}),
        prev_hash=r[5],
        entry_hash=r[6],
    )


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    what: str


def verify_chain(
    rows: list[tuple[int, str, str, str]], start_prev: str = GENESIS
) -> ChainProblem | None:
    """Check a run of (seq, canonical entry, prev_hash, entry_hash); the first problem or None."""
    prev = start_prev
    expected_seq = rows[0][0] if rows else 1
    for seq, entry_text, prev_hash, entry_hash in rows:
        if seq != expected_seq:
            return ChainProblem(seq, f"sequence jumps from {expected_seq - 1} to {seq}")
        if prev_hash != prev:
            return ChainProblem(seq, "does not link to the entry before it")
        try:
            body = json.loads(entry_text)
        except ValueError:
            return ChainProblem(seq, "is not valid JSON")
        # type() and not ==: True == 1 in Python, and a JSON true is not entry 1.
        if not isinstance(body, dict) or type(body.get("seq")) is not int or body["seq"] != seq:
            return ChainProblem(seq, "its content does not match its sequence number")
        if canonical_json(body).decode() != entry_text:
            return ChainProblem(seq, "is not in canonical form")
        if chain_hash(prev, body) != entry_hash:
            return ChainProblem(seq, "its hash does not match its content")
        prev = entry_hash
        expected_seq += 1
    return None
