"""HQ's tables: enrolled devices, imported bundles, reports, attachments and custody entries.

All SQL of the HQ desk's intake and enrollment lives here; the use cases in ``kpfield.hq`` and
``kpfield.services`` call these methods and never write SQL themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kpfield.vault.db import Connection

MAX_LISTED_GAPS = 1000
"""Gaps listed per device; a device missing more than that has bigger problems to report."""


@dataclass(frozen=True)
class Device:
    device_id: str
    name: str
    fingerprint: str
    public_key: bytes
    age_recipient: str
    enrolled_at: str
    revoked_at: str | None


@dataclass(frozen=True)
class BundleRow:
    """What intake records for one imported bundle."""

    manifest_sha256: str
    device_id: str
    sequence: int
    bundle_id: str
    previous_manifest_sha256: str | None
    custody_head_seq: int
    custody_head_hash: str
    manifest: str
    signature: str
    imported_at: str


@dataclass(frozen=True)
class ReportRow:
    report_id: str
    device_id: str
    version: int
    sha256: str
    sealed_json: bytes
    signature: str
    manifest_sha256: str
    imported_at: str


@dataclass(frozen=True)
class AttachmentRow:
    attachment_id: str
    report_id: str
    sha256: str
    size: int
    blob_name: str
    blob_key: bytes


@dataclass(frozen=True)
class InboxRow:
    """A bundle HQ saw on a relay (``hq_relay_inbox``)."""

    bundle_id: str
    relay_url: str
    device_id: str
    sequence: int
    cursor: int
    outcome: str
    reason: str
    manifest_sha256: str | None
    seen_at: str
    receipt_posted_at: str | None


_INBOX_COLS = (
    "bundle_id, relay_url, device_id, sequence, cursor, outcome, reason, manifest_sha256,"
    " seen_at, receipt_posted_at"
)

_DEVICE_COLS = "device_id, name, fingerprint, public_key, age_recipient, enrolled_at, revoked_at"
_HEX_PREFIX = re.compile(r"[0-9a-f]{4,16}")


def _device(r: Any) -> Device:
    return Device(r[0], r[1], r[2], bytes(r[3]), r[4], r[5], r[6])


class HqStore:
    """Typed access to the HQ tables of one connection (the caller owns transactions)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------------ devices
    def add_device(self, device: Device) -> None:
        self.conn.execute(
            "INSERT INTO hq_devices(device_id, public_key, age_recipient, name, fingerprint,"
            " enrolled_at) VALUES (?,?,?,?,?,?)",
            (
                device.device_id,
                device.public_key,
                device.age_recipient,
                device.name,
                device.fingerprint,
                device.enrolled_at,
            ),
        )

    def devices_matching(self, prefix: str, limit: int = 2) -> list[Device]:
        """Devices whose id starts with ``prefix`` (4-16 lowercase hex digits, else none)."""
        if not _HEX_PREFIX.fullmatch(prefix):
            return []
        rows = self.conn.execute(
            f"SELECT {_DEVICE_COLS} FROM hq_devices WHERE device_id LIKE ? || '%' LIMIT ?",  # noqa: S608
            (prefix, limit),
        ).fetchall()
        return [_device(r) for r in rows]

    def devices(self) -> list[Device]:
        rows = self.conn.execute(
            f"SELECT {_DEVICE_COLS} FROM hq_devices ORDER BY enrolled_at"  # noqa: S608
        ).fetchall()
        return [_device(r) for r in rows]

    def revoke_device(self, device_id: str, at: str) -> None:
        self.conn.execute(
            "UPDATE hq_devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL",
            (at, device_id),
        )

    # ------------------------------------------------------------------ bundles
    def has_manifest(self, manifest_sha256: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM hq_bundles WHERE manifest_sha256 = ?", (manifest_sha256,)
            ).fetchone()
            is not None
        )

    def manifest_at(self, device_id: str, sequence: int) -> str | None:
        """The manifest hash of a device's bundle number ``sequence``, if imported."""
        row = self.conn.execute(
            "SELECT manifest_sha256 FROM hq_bundles WHERE device_id = ? AND sequence = ?",
            (device_id, sequence),
        ).fetchone()
        return str(row[0]) if row else None

    def previous_named_by(self, device_id: str, sequence: int) -> str | None | bool:
        """What bundle ``sequence`` names as its predecessor; False if it was not imported."""
        row = self.conn.execute(
            "SELECT previous_manifest_sha256 FROM hq_bundles WHERE device_id = ? AND sequence = ?",
            (device_id, sequence),
        ).fetchone()
        if row is None:
            return False
        return None if row[0] is None else str(row[0])

    def highest_sequence(self, device_id: str) -> int:
        row = self.conn.execute(
            "SELECT COALESCE(MAX(sequence), 0) FROM hq_bundles WHERE device_id = ?", (device_id,)
        ).fetchone()
        return int(row[0])

    def custody_heads_around(self, device_id: str, sequence: int) -> tuple[int | None, int | None]:
        """The longest custody head of earlier bundles and the shortest of later ones."""
        earlier = self.conn.execute(
            "SELECT max(custody_head_seq) FROM hq_bundles WHERE device_id = ? AND sequence < ?",
            (device_id, sequence),
        ).fetchone()[0]
        later = self.conn.execute(
            "SELECT min(custody_head_seq) FROM hq_bundles WHERE device_id = ? AND sequence > ?",
            (device_id, sequence),
        ).fetchone()[0]
        return (
            None if earlier is None else int(earlier),
            None if later is None else int(later),
        )

    def add_bundle(self, b: BundleRow) -> None:
        self.conn.execute(
            "INSERT INTO hq_bundles(manifest_sha256, device_id, sequence, bundle_id,"
            " previous_manifest_sha256, custody_head_seq, custody_head_hash, manifest, signature,"
            " imported_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                b.manifest_sha256,
                b.device_id,
                b.sequence,
                b.bundle_id,
                b.previous_manifest_sha256,
                b.custody_head_seq,
                b.custody_head_hash,
                b.manifest,
                b.signature,
                b.imported_at,
            ),
        )

    def bundle_for_receipt(self, manifest_sha256: str) -> tuple[str, int, str, str, str] | None:
        """(device id, sequence, bundle id, manifest JSON, device age recipient)."""
        row = self.conn.execute(
            "SELECT b.device_id, b.sequence, b.bundle_id, b.manifest, d.age_recipient"
            " FROM hq_bundles b JOIN hq_devices d ON d.device_id = b.device_id"
            " WHERE b.manifest_sha256 = ?",
            (manifest_sha256,),
        ).fetchone()
        if row is None:
            return None
        return str(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4])

    def gaps(self) -> dict[str, list[int]]:
        """Missing bundle sequence numbers per device (1 … highest seen), at most
        MAX_LISTED_GAPS each; walks the imported numbers, so cost never depends on their size."""
        out: dict[str, list[int]] = {}
        rows = self.conn.execute(
            "SELECT device_id, sequence FROM hq_bundles ORDER BY device_id, sequence"
        ).fetchall()
        expected: dict[str, int] = {}
        for dev, seq in rows:
            nxt = expected.get(dev, 1)
            missing = out.setdefault(dev, [])
            while nxt < int(seq) and len(missing) < MAX_LISTED_GAPS:
                missing.append(nxt)
                nxt += 1
            expected[dev] = int(seq) + 1
        return {dev: missing for dev, missing in out.items() if missing}

    # ------------------------------------------------------------------ custody
    def custody_length(self, device_id: str) -> int:
        row = self.conn.execute(
            "SELECT max(seq) FROM hq_custody WHERE device_id = ?", (device_id,)
        ).fetchone()
        return int(row[0] or 0)

    def custody_hash_at(self, device_id: str, seq: int) -> str | None:
        row = self.conn.execute(
            "SELECT entry_hash FROM hq_custody WHERE device_id = ? AND seq = ?", (device_id, seq)
        ).fetchone()
        return None if row is None else str(row[0])

    def add_custody(self, device_id: str, rows: Iterable[Sequence[Any]]) -> None:
        """Entries (seq, entry, prev_hash, entry_hash); ones already held are kept as they are."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO hq_custody(device_id, seq, entry, prev_hash, entry_hash)"
            " VALUES (?,?,?,?,?)",
            [(device_id, *r) for r in rows],
        )

    # ------------------------------------------------------------------ reports, attachments
    def report_sha256(self, report_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT sha256 FROM hq_reports WHERE report_id = ?", (report_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def has_attachment(self, attachment_id: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM hq_attachments WHERE attachment_id = ?", (attachment_id,)
            ).fetchone()
            is not None
        )

    def add_report(self, r: ReportRow) -> None:
        self.conn.execute(
            "INSERT INTO hq_reports(report_id, device_id, version, sha256, sealed_json,"
            " signature, manifest_sha256, imported_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                r.report_id,
                r.device_id,
                r.version,
                r.sha256,
                r.sealed_json,
                r.signature,
                r.manifest_sha256,
                r.imported_at,
            ),
        )

    def add_attachment(self, a: AttachmentRow) -> None:
        self.conn.execute(
            "INSERT INTO hq_attachments(attachment_id, report_id, sha256, size,"
            " blob_name, blob_key) VALUES (?,?,?,?,?,?)",
            (a.attachment_id, a.report_id, a.sha256, a.size, a.blob_name, a.blob_key),
        )

    def attachment_blob(self, attachment_id: str) -> tuple[str, bytes] | None:
        row = self.conn.execute(
            "SELECT blob_name, blob_key FROM hq_attachments WHERE attachment_id = ?",
            (attachment_id,),
        ).fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]))

    def attachments(self) -> list[AttachmentRow]:
        """Every imported attachment, by report (for ``verify``)."""
        rows = self.conn.execute(
            "SELECT attachment_id, report_id, sha256, size, blob_name, blob_key"
            " FROM hq_attachments ORDER BY report_id, attachment_id"
        ).fetchall()
        return [AttachmentRow(r[0], r[1], r[2], int(r[3]), r[4], bytes(r[5])) for r in rows]

    def blob_names(self) -> set[str]:
        return {str(r[0]) for r in self.conn.execute("SELECT blob_name FROM hq_attachments")}

    # ------------------------------------------------------------------ for ``verify``
    def bundles(self) -> list[BundleRow]:
        """Every imported bundle, by device and sequence."""
        rows = self.conn.execute(
            "SELECT manifest_sha256, device_id, sequence, bundle_id, previous_manifest_sha256,"
            " custody_head_seq, custody_head_hash, manifest, signature, imported_at"
            " FROM hq_bundles ORDER BY device_id, sequence"
        ).fetchall()
        return [
            BundleRow(r[0], r[1], int(r[2]), r[3], r[4], int(r[5]), r[6], r[7], r[8], r[9])
            for r in rows
        ]

    def reports(self) -> list[ReportRow]:
        rows = self.conn.execute(
            "SELECT report_id, device_id, version, sha256, sealed_json, signature,"
            " manifest_sha256, imported_at FROM hq_reports ORDER BY report_id"
        ).fetchall()
        return [ReportRow(r[0], r[1], int(r[2]), r[3], bytes(r[4]), r[5], r[6], r[7]) for r in rows]

    def custody_rows(self, device_id: str) -> list[tuple[int, str, str, str]]:
        """(seq, entry, prev_hash, entry_hash) HQ holds for a device, in order."""
        return [
            (int(r[0]), str(r[1]), str(r[2]), str(r[3]))
            for r in self.conn.execute(
                "SELECT seq, entry, prev_hash, entry_hash FROM hq_custody WHERE device_id = ?"
                " ORDER BY seq",
                (device_id,),
            )
        ]

    # ------------------------------------------------------------------ the relay inbox
    def inbox(self, bundle_id: str) -> InboxRow | None:
        row = self.conn.execute(
            f"SELECT {_INBOX_COLS} FROM hq_relay_inbox WHERE bundle_id = ?",  # noqa: S608
            (bundle_id,),
        ).fetchone()
        return None if row is None else InboxRow(*row)

    def add_inbox(self, r: InboxRow) -> None:
        self.conn.execute(
            f"INSERT INTO hq_relay_inbox({_INBOX_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
            (
                r.bundle_id,
                r.relay_url,
                r.device_id,
                r.sequence,
                r.cursor,
                r.outcome,
                r.reason,
                r.manifest_sha256,
                r.seen_at,
                r.receipt_posted_at,
            ),
        )

    def receipts_to_post(self, relay_url: str) -> list[InboxRow]:
        """Imported (or already held) bundles whose receipt is not on the relay yet."""
        rows = self.conn.execute(
            f"SELECT {_INBOX_COLS} FROM hq_relay_inbox WHERE relay_url = ?"  # noqa: S608
            " AND receipt_posted_at IS NULL AND manifest_sha256 IS NOT NULL ORDER BY cursor",
            (relay_url,),
        ).fetchall()
        return [InboxRow(*r) for r in rows]

    def receipt_posted(self, bundle_id: str, at: str) -> None:
        self.conn.execute(
            "UPDATE hq_relay_inbox SET receipt_posted_at = ? WHERE bundle_id = ?", (at, bundle_id)
        )
