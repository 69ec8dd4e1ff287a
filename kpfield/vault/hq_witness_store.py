"""HQ's witness tables: identities received apart from sealed reports, consent withdrawals applied.

All SQL of HQ's witness handling lives here. Deleting an identity row never touches a sealed
report: those hold only the salted hash (``identity_sha256``) of the details.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from kpfield.vault.db import Connection


@dataclass(frozen=True)
class StoredIdentity:
    witness_id: str
    device_id: str
    salt: str
    identifying: dict[str, str]
    identity_sha256: str
    manifest_sha256: str
    received_at: str


@dataclass(frozen=True)
class AppliedWithdrawal:
    notice_sha256: str
    notice_id: str
    device_id: str
    witness_id: str
    withdrawn_on: str
    scopes: tuple[str, ...]
    notice: str
    manifest_sha256: str
    applied_at: str
    identity_deleted: bool


class HqWitnessStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put_identity(self, i: StoredIdentity) -> None:
        self.conn.execute(
            "INSERT INTO hq_identities(witness_id, device_id, salt, identifying, identity_sha256,"
            " manifest_sha256, received_at) VALUES (?,?,?,?,?,?,?)"
            " ON CONFLICT(witness_id) DO UPDATE SET salt = excluded.salt,"
            " identifying = excluded.identifying, identity_sha256 = excluded.identity_sha256,"
            " manifest_sha256 = excluded.manifest_sha256, received_at = excluded.received_at",
            (
                i.witness_id,
                i.device_id,
                i.salt,
                json.dumps(i.identifying, ensure_ascii=False, sort_keys=True),
                i.identity_sha256,
                i.manifest_sha256,
                i.received_at,
            ),
        )

    def identity(self, witness_id: str) -> StoredIdentity | None:
        r = self.conn.execute(
            "SELECT witness_id, device_id, salt, identifying, identity_sha256, manifest_sha256,"
            " received_at FROM hq_identities WHERE witness_id = ?",
            (witness_id,),
        ).fetchone()
        if r is None:
            return None
        return StoredIdentity(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6])

    def identity_list(self) -> list[tuple[str, str, str]]:
        """Every identity HQ holds apart from the seals: (witness id, device id, received at)."""
        return [
            (str(r[0]), str(r[1]), str(r[2]))
            for r in self.conn.execute(
                "SELECT witness_id, device_id, received_at FROM hq_identities"
                " ORDER BY received_at, witness_id"
            )
        ]

    def identity_device(self, witness_id: str) -> str | None:
        r = self.conn.execute(
            "SELECT device_id FROM hq_identities WHERE witness_id = ?", (witness_id,)
        ).fetchone()
        return None if r is None else str(r[0])

    def delete_identity(self, witness_id: str) -> bool:
        return bool(
            self.conn.execute(
                "DELETE FROM hq_identities WHERE witness_id = ?", (witness_id,)
            ).rowcount
        )

    def is_withdrawn(self, device_id: str, witness_id: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM hq_withdrawals WHERE device_id = ? AND witness_id = ?",
                (device_id, witness_id),
            ).fetchone()
            is not None
        )

    def has_notice(self, notice_sha256: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM hq_withdrawals WHERE notice_sha256 = ?", (notice_sha256,)
            ).fetchone()
            is not None
        )

    def add_withdrawal(self, w: AppliedWithdrawal, reports: Iterable[str]) -> None:
        self.conn.execute(
            "INSERT INTO hq_withdrawals(notice_sha256, notice_id, device_id, witness_id,"
            " withdrawn_on, scopes, notice, manifest_sha256, applied_at, identity_deleted)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                w.notice_sha256,
                w.notice_id,
                w.device_id,
                w.witness_id,
                w.withdrawn_on,
                json.dumps(list(w.scopes)),
                w.notice,
                w.manifest_sha256,
                w.applied_at,
                int(w.identity_deleted),
            ),
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO hq_withdrawn_reports(report_id, notice_sha256) VALUES (?, ?)",
            [(r, w.notice_sha256) for r in reports],
        )

    def withdrawals(self, witness_id: str | None = None) -> list[AppliedWithdrawal]:
        sql = (
            "SELECT notice_sha256, notice_id, device_id, witness_id, withdrawn_on, scopes, notice,"
            " manifest_sha256, applied_at, identity_deleted FROM hq_withdrawals"
        )
        args: tuple[str, ...] = ()
        if witness_id is not None:
            sql += " WHERE witness_id = ?"
            args = (witness_id,)
        return [
            AppliedWithdrawal(
                r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), r[6], r[7], r[8], bool(r[9])
            )
            for r in self.conn.execute(sql + " ORDER BY applied_at, notice_id", args)
        ]

    def withdrawn_reports(self) -> set[str]:
        """Reports a consent withdrawal marked (HQ must check what it may still do with them)."""
        return {str(r[0]) for r in self.conn.execute("SELECT report_id FROM hq_withdrawn_reports")}

    def report_device(self, report_id: str) -> str | None:
        """The device that sent a report HQ holds (None when HQ does not hold it)."""
        row = self.conn.execute(
            "SELECT device_id FROM hq_reports WHERE report_id = ?", (report_id,)
        ).fetchone()
        return str(row[0]) if row else None

    def device_reports_citing(self, device_id: str, witness_id: str) -> list[str]:
        # Sealed JSON is scanned in Python: witness ids are inside the signed documents only.
        out = []
        for rid, data in self.conn.execute(
            "SELECT report_id, sealed_json FROM hq_reports WHERE device_id = ?", (device_id,)
        ):
            doc = json.loads(bytes(data))
            if any(w.get("id") == witness_id for w in doc.get("witnesses", [])):
                out.append(str(rid))
        return out
