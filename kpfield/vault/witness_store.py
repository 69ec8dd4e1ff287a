"""Consent withdrawals on the field laptop, and purging what a withdrawal no longer allows.

All SQL of consent withdrawal lives here. The witness record itself is written through
:class:`~kpfield.vault.records.RecordStore`; this store keeps the signed notices until a bundle
carries them, and then as the laptop's record of what was withdrawn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kpfield.vault.db import Connection


@dataclass(frozen=True)
class StoredWithdrawal:
    notice_id: str
    witness_id: str
    withdrawn_on: str
    scopes: tuple[str, ...]
    recorded_at: str
    notice: bytes
    sent_in_sequence: int | None


class WitnessStore:
    """Typed access to ``consent_withdrawals`` (the caller owns transactions)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_withdrawal(self, w: StoredWithdrawal) -> None:
        self.conn.execute(
            "INSERT INTO consent_withdrawals(notice_id, witness_id, withdrawn_on, scopes,"
            " recorded_at, notice, sent_in_sequence) VALUES (?,?,?,?,?,?,NULL)",
            (
                w.notice_id,
                w.witness_id,
                w.withdrawn_on,
                json.dumps(list(w.scopes)),
                w.recorded_at,
                w.notice,
            ),
        )

    def withdrawals(self, witness_id: str | None = None) -> list[StoredWithdrawal]:
        sql = (
            "SELECT notice_id, witness_id, withdrawn_on, scopes, recorded_at, notice,"
            " sent_in_sequence FROM consent_withdrawals"
        )
        args: tuple[str, ...] = ()
        if witness_id is not None:
            sql += " WHERE witness_id = ?"
            args = (witness_id,)
        return [
            StoredWithdrawal(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], bytes(r[5]), r[6])
            for r in self.conn.execute(sql + " ORDER BY recorded_at, notice_id", args)
        ]

    def pending(self) -> list[StoredWithdrawal]:
        """Notices no bundle has carried yet, oldest first."""
        return [w for w in self.withdrawals() if w.sent_in_sequence is None]

    def mark_sent(self, notice_ids: list[str], sequence: int) -> None:
        self.conn.executemany(
            "UPDATE consent_withdrawals SET sent_in_sequence = ?"
            " WHERE notice_id = ? AND sent_in_sequence IS NULL",
            [(sequence, n) for n in notice_ids],
        )

    def draft_reports_citing(self, witness_id: str) -> list[str]:
        return [
            str(r[0])
            for r in self.conn.execute(
                "SELECT rw.report_id FROM report_witnesses rw JOIN reports r ON r.id = rw.report_id"
                " WHERE rw.witness_id = ? AND r.status = 'draft'",
                (witness_id,),
            )
        ]
