"""The field laptop's transfer tables: bundles it sent (``bundles_out``) and receipts it got.

All SQL of export and acknowledgement lives here. The bundle chain's state (the last sequence
number and manifest hash) is kept in ``meta`` as well, so a purge of old rows never rewinds it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kpfield.vault.db import Connection

_META_SEQUENCE = "bundle_sequence"
_META_LAST_MANIFEST = "bundle_last_manifest_sha256"
# A bundle written but perhaps not yet visible where it went (see ExportService.reconcile).
_META_PENDING = "bundle_pending"


@dataclass(frozen=True)
class SentBundle:
    sequence: int
    bundle_id: str
    manifest_sha256: str
    ciphertext_sha256: str
    size: int
    created_at: str
    report_ids: tuple[str, ...]


@dataclass(frozen=True)
class PendingBundle:
    """A bundle recorded before it became visible in its sink: its final path and hashes."""

    bundle: SentBundle
    final_path: str
    temp_path: str
    notices: tuple[str, ...] = ()  # ids of the consent-withdrawal notices it carries

    def to_json(self) -> str:
        b = self.bundle
        return json.dumps(
            {
                "sequence": b.sequence,
                "bundle_id": b.bundle_id,
                "manifest_sha256": b.manifest_sha256,
                "ciphertext_sha256": b.ciphertext_sha256,
                "size": b.size,
                "created_at": b.created_at,
                "report_ids": list(b.report_ids),
                "final_path": self.final_path,
                "temp_path": self.temp_path,
                "notices": list(self.notices),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> PendingBundle:
        d = json.loads(text)
        return cls(
            SentBundle(
                int(d["sequence"]),
                str(d["bundle_id"]),
                str(d["manifest_sha256"]),
                str(d["ciphertext_sha256"]),
                int(d["size"]),
                str(d["created_at"]),
                tuple(str(r) for r in d["report_ids"]),
            ),
            str(d["final_path"]),
            str(d["temp_path"]),
            tuple(str(n) for n in d.get("notices", [])),
        )


@dataclass(frozen=True)
class Upload:
    """A bundle in the sync outbox and how far its delivery got (``uploads_out``)."""

    ciphertext_sha256: str
    sequence: int
    size: int
    status: str  # pending | delivered | acknowledged
    attempts: int
    last_error: str | None
    last_attempt_at: str | None
    relay_url: str | None
    relay_receipt: bytes | None
    delivered_at: str | None


PENDING, DELIVERED, ACKNOWLEDGED = "pending", "delivered", "acknowledged"
_UPLOAD_COLS = (
    "ciphertext_sha256, sequence, size, status, attempts, last_error, last_attempt_at,"
    " relay_url, relay_receipt, delivered_at"
)


def _upload(r: Any) -> Upload:
    return Upload(
        str(r[0]),
        int(r[1]),
        int(r[2]),
        str(r[3]),
        int(r[4]),
        r[5],
        r[6],
        r[7],
        None if r[8] is None else bytes(r[8]),
        r[9],
    )


@dataclass(frozen=True)
class StoredReceipt:
    receipt_sha256: str
    manifest_sha256: str
    sequence: int
    received_at: str
    receipt_json: str
    signature: str


class OutboxStore:
    """Typed access to ``bundles_out`` and ``receipts_in`` (the caller owns transactions)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _meta(self, key: str) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else ""

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # ------------------------------------------------------------------ the bundle chain
    def next_sequence(self) -> int:
        row = self.conn.execute("SELECT max(sequence) FROM bundles_out").fetchone()
        return max(int(self._meta(_META_SEQUENCE) or 0), int(row[0] or 0)) + 1

    def last_manifest_sha256(self) -> str | None:
        return self._meta(_META_LAST_MANIFEST) or None

    def record_sent(self, b: SentBundle) -> None:
        """Remember a bundle that left the laptop and move the chain forward to it."""
        self.conn.execute(
            "INSERT INTO bundles_out(sequence, bundle_id, manifest_sha256, ciphertext_sha256,"
            " size, created_at, report_ids) VALUES (?,?,?,?,?,?,?)",
            (
                b.sequence,
                b.bundle_id,
                b.manifest_sha256,
                b.ciphertext_sha256,
                b.size,
                b.created_at,
                json.dumps(list(b.report_ids)),
            ),
        )
        self._set_meta(_META_SEQUENCE, str(b.sequence))
        self._set_meta(_META_LAST_MANIFEST, b.manifest_sha256)
        self.clear_pending()

    # ------------------------------------------------------------------ the pending bundle
    def set_pending(self, p: PendingBundle) -> None:
        """Remember a bundle about to become visible; at most one is pending at a time."""
        self._set_meta(_META_PENDING, p.to_json())

    def pending(self) -> PendingBundle | None:
        text = self._meta(_META_PENDING)
        return PendingBundle.from_json(text) if text else None

    def clear_pending(self) -> None:
        self.conn.execute("DELETE FROM meta WHERE key = ?", (_META_PENDING,))

    def sent_sequence(self, manifest_sha256: str) -> int | None:
        """The sequence number of a bundle this laptop sent, by its manifest hash."""
        row = self.conn.execute(
            "SELECT sequence FROM bundles_out WHERE manifest_sha256 = ?", (manifest_sha256,)
        ).fetchone()
        return None if row is None else int(row[0])

    def sent(self) -> list[SentBundle]:
        rows = self.conn.execute(
            "SELECT sequence, bundle_id, manifest_sha256, ciphertext_sha256, size, created_at,"
            " report_ids FROM bundles_out ORDER BY sequence"
        ).fetchall()
        return [
            SentBundle(int(r[0]), r[1], r[2], r[3], int(r[4]), r[5], tuple(json.loads(r[6])))
            for r in rows
        ]

    # ------------------------------------------------------------------ receipts
    def has_receipt(self, receipt_sha256: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM receipts_in WHERE receipt_sha256 = ?", (receipt_sha256,)
            ).fetchone()
            is not None
        )

    def last_receipt_sha256(self) -> str | None:
        row = self.conn.execute(
            "SELECT receipt_sha256 FROM receipts_in ORDER BY received_at DESC, sequence DESC"
            " LIMIT 1"
        ).fetchone()
        return str(row[0]) if row else None

    def add_receipt(self, r: StoredReceipt) -> None:
        self.conn.execute(
            "INSERT INTO receipts_in(receipt_sha256, manifest_sha256, sequence, received_at,"
            " receipt, signature) VALUES (?,?,?,?,?,?)",
            (
                r.receipt_sha256,
                r.manifest_sha256,
                r.sequence,
                r.received_at,
                r.receipt_json,
                r.signature,
            ),
        )

    def receipts(self) -> Sequence[tuple[str, str, int]]:
        """(receipt JSON, signature, sequence) in sequence order, for ``verify``."""
        return [
            (str(r[0]), str(r[1]), int(r[2]))
            for r in self.conn.execute(
                "SELECT receipt, signature, sequence FROM receipts_in ORDER BY sequence"
            )
        ]

    # ------------------------------------------------------------------ reports to send
    def reports_to_send(self, statuses: Sequence[str]) -> list[str]:
        """Ids of unpurged reports in ``statuses``, in the order they were sealed."""
        marks = ",".join("?" * len(statuses))
        rows = self.conn.execute(
            f"SELECT id FROM reports WHERE status IN ({marks}) AND purged_at IS NULL"  # noqa: S608
            " ORDER BY sealed_at, id",
            list(statuses),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def seal_state(self, report_id: str) -> tuple[str, str | None, str | None] | None:
        """(status, seal hash, purged at) of a report, or None if the laptop has no such report."""
        row = self.conn.execute(
            "SELECT status, seal_sha256, purged_at FROM reports WHERE id = ?", (report_id,)
        ).fetchone()
        return None if row is None else (str(row[0]), row[1], row[2])

    # ------------------------------------------------------------------ sync uploads
    def track_upload(self, ciphertext_sha256: str, sequence: int, size: int) -> bool:
        """Start tracking an outbox bundle's delivery (True if it was not tracked yet)."""
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO uploads_out(ciphertext_sha256, sequence, size) VALUES (?,?,?)",
            (ciphertext_sha256, sequence, size),
        )
        return bool(cur.rowcount)

    def upload(self, ciphertext_sha256: str) -> Upload | None:
        row = self.conn.execute(
            f"SELECT {_UPLOAD_COLS} FROM uploads_out WHERE ciphertext_sha256 = ?",  # noqa: S608
            (ciphertext_sha256,),
        ).fetchone()
        return None if row is None else _upload(row)

    def uploads(self, status: str | None = None) -> list[Upload]:
        """Tracked uploads in sequence order (all, or those in ``status``)."""
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        rows = self.conn.execute(
            f"SELECT {_UPLOAD_COLS} FROM uploads_out {where} ORDER BY sequence",  # noqa: S608
            params,
        ).fetchall()
        return [_upload(r) for r in rows]

    def upload_failed(self, ciphertext_sha256: str, error: str, at: str) -> None:
        """One more attempt that did not deliver, with its reason (ids and words, no content)."""
        self.conn.execute(
            "UPDATE uploads_out SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?"
            " WHERE ciphertext_sha256 = ? AND status = 'pending'",
            (error[:500], at, ciphertext_sha256),
        )

    def upload_delivered(
        self, ciphertext_sha256: str, relay_url: str, receipt: bytes, at: str
    ) -> bool:
        """Mark delivered with its verified relay receipt (True only the first time)."""
        cur = self.conn.execute(
            "UPDATE uploads_out SET status = 'delivered', relay_url = ?, relay_receipt = ?,"
            " delivered_at = ?, attempts = attempts + 1, last_error = NULL, last_attempt_at = ?"
            " WHERE ciphertext_sha256 = ? AND status = 'pending'",
            (relay_url, receipt, at, at, ciphertext_sha256),
        )
        return bool(cur.rowcount)

    def upload_acknowledged(self, ciphertext_sha256: str) -> None:
        self.conn.execute(
            "UPDATE uploads_out SET status = 'acknowledged' WHERE ciphertext_sha256 = ?",
            (ciphertext_sha256,),
        )

    def upload_resend(self, sequence: int) -> bool:
        """HQ says it misses bundle ``sequence``: deliver it again (the relay may still hold it)."""
        cur = self.conn.execute(
            "UPDATE uploads_out SET status = 'pending' WHERE sequence = ? AND status = 'delivered'",
            (sequence,),
        )
        return bool(cur.rowcount)

    def acknowledged_sequences(self) -> set[int]:
        """Bundle sequences HQ sent a receipt for."""
        return {int(r[0]) for r in self.conn.execute("SELECT sequence FROM receipts_in")}
