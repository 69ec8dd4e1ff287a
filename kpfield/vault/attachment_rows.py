"""Attachment rows of the field vault: photos, recordings, documents, their blobs, captions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kpfield.domain.ids import AttachmentId, ReportId
from kpfield.domain.models import Attachment, AttachmentKind, CaptureClaims
from kpfield.errors import N_, NotFound, StateError
from kpfield.vault.db import Connection

_COLUMNS = (
    "id, report_id, kind, original_name, size, mime, sha256, claims, imported_at, thumb_name,"
    " caption"
)


@dataclass(frozen=True)
class BlobRef:
    name: str
    key: bytes


@dataclass(frozen=True)
class SameFile:
    """An attachment elsewhere in the vault with the same SHA-256 as a file being imported."""

    report_id: ReportId
    report_title: str
    original_name: str


class AttachmentRows:
    """The attachments table (mixed into :class:`~kpfield.vault.records.RecordStore`)."""

    conn: Connection

    def insert_attachment(
        self, a: Attachment, blob: BlobRef, thumb: BlobRef | None, position: int
    ) -> None:
        self.conn.execute(
            "INSERT INTO attachments(id, report_id, position, kind, original_name, size, mime,"
            " sha256, claims, imported_at, blob_name, blob_key, thumb_name, thumb_key, caption)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                a.id,
                a.report_id,
                position,
                a.kind.value,
                a.original_name,
                a.size,
                a.mime,
                a.sha256,
                json.dumps(claims_json(a.claims), sort_keys=True),
                a.imported_at,
                blob.name,
                blob.key,
                thumb.name if thumb else None,
                thumb.key if thumb else None,
                a.caption,
            ),
        )

    def next_attachment_position(self, rid: ReportId) -> int:
        row = self.conn.execute(
            "SELECT COALESCE(MAX(position), -1) + 1 FROM attachments WHERE report_id = ?", (rid,)
        ).fetchone()
        return int(row[0])

    def attachments_for(self, rid: str) -> list[Attachment]:
        return [
            _attachment_from_row(r)
            for r in self.conn.execute(
                f"SELECT {_COLUMNS} FROM attachments WHERE report_id = ? ORDER BY position",  # noqa: S608 - constant columns
                (rid,),
            )
        ]

    def get_attachment(self, aid: str) -> Attachment:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM attachments WHERE id = ?",  # noqa: S608 - constant columns
            (aid,),
        ).fetchone()
        if row is None:
            raise NotFound(N_("No attachment has the id {id}."), id=aid)
        return _attachment_from_row(row)

    def same_file(self, sha256: str) -> list[SameFile]:
        """Every attachment in this vault whose original has this SHA-256 (purged ones too)."""
        return [
            SameFile(ReportId(r[0]), r[1] or "", r[2] or "")
            for r in self.conn.execute(
                "SELECT a.report_id, r.title, a.original_name FROM attachments a"
                " JOIN reports r ON r.id = a.report_id WHERE a.sha256 = ?"
                " ORDER BY r.created_at, a.position",
                (sha256,),
            )
        ]

    def set_caption(self, aid: str, caption: str) -> None:
        """A draft's attachment caption (a trigger refuses it once the report is sealed)."""
        row = self.conn.execute(
            "SELECT r.status FROM attachments a JOIN reports r ON r.id = a.report_id"
            " WHERE a.id = ?",
            (aid,),
        ).fetchone()
        if row is None:
            raise NotFound(N_("No attachment has the id {id}."), id=aid)
        if row[0] != "draft":
            raise StateError(N_("Captions of a sealed report cannot change; amend the report."))
        self.conn.execute("UPDATE attachments SET caption = ? WHERE id = ?", (caption, aid))

    def blob_refs(self, aid: str) -> tuple[BlobRef, BlobRef | None]:
        row = self.conn.execute(
            "SELECT blob_name, blob_key, thumb_name, thumb_key FROM attachments WHERE id = ?",
            (aid,),
        ).fetchone()
        if row is None:
            raise NotFound(N_("No attachment has the id {id}."), id=aid)
        thumb = BlobRef(row[2], bytes(row[3])) if row[2] else None
        return BlobRef(row[0], bytes(row[1])), thumb

    def replace_thumbnail(self, aid: str, thumb: BlobRef) -> None:
        """Point an attachment at a regenerated thumbnail (allowed on sealed reports too: the
        thumbnail is a derivative, not part of what was sealed)."""
        cur = self.conn.execute(
            "UPDATE attachments SET thumb_name = ?, thumb_key = ? WHERE id = ?",
            (thumb.name, thumb.key, aid),
        )
        if cur.rowcount != 1:
            raise NotFound(N_("No attachment has the id {id}."), id=aid)

    def delete_attachment(self, aid: str) -> tuple[BlobRef, BlobRef | None]:
        refs = self.blob_refs(aid)
        self.conn.execute("DELETE FROM attachments WHERE id = ?", (aid,))
        return refs


def claims_json(c: CaptureClaims) -> dict[str, Any]:
    return {k: v for k, v in c.__dict__.items() if v is not None}


def _attachment_from_row(r: Any) -> Attachment:
    known = CaptureClaims.__dataclass_fields__
    raw = json.loads(r[7])
    claims = CaptureClaims(**{k: v for k, v in raw.items() if k in known})
    return Attachment(
        id=AttachmentId(r[0]),
        report_id=ReportId(r[1]),
        kind=AttachmentKind(r[2]),
        original_name=r[3],
        size=r[4],
        mime=r[5],
        sha256=r[6],
        claims=claims,
        imported_at=r[8],
        has_thumbnail=r[9] is not None,
        caption=r[10] or "",
    )
