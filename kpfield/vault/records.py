"""Persistence of reports, witnesses and attachments in the encrypted database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from kpfield.domain.document import (
    ReportFields,
    WitnessFields,
    consent_doc,
    fields_of,
    parse_report_document,
    place_doc,
    report_from_fields,
)
from kpfield.domain.identity import identifying_doc
from kpfield.domain.ids import ReportId, WitnessId
from kpfield.domain.models import (
    Report,
    ReportStatus,
    Witness,
)
from kpfield.errors import N_, NotFound, StateError
from kpfield.vault.attachment_rows import AttachmentRows, BlobRef, SameFile

__all__ = ["BlobRef", "RecordStore", "ReportRow", "SameFile"]
from kpfield.vault.db import Connection


def _fields_json(f: ReportFields) -> str:
    d = f.incident_date
    return json.dumps(
        {
            "title": f.title,
            "incident": {
                "date": None
                if d is None
                else {
                    "date": d.value,
                    "precision": d.precision.value,
                    "approximate": d.approximate,
                },
                "categories": list(f.categories),
                "perpetrators": list(f.perpetrators),
                "people_affected": f.people_affected,
            },
            "place": place_doc(f.place),
            "narrative": f.narrative,
            "monitor_notes": f.monitor_notes,
            "language": f.language,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _fields_from_json(text: str) -> ReportFields:
    raw = json.loads(text)
    raw["schema"] = "kpfield.report/1"
    return parse_report_document(raw, lenient=True).report


_REPORT_COLS = (
    "id, status, version, amends, doc, created_at, updated_at, sealed_at, private_notes"
)


@dataclass(frozen=True)
class ReportRow:
    """A report as listed: enough to show and filter without decoding witnesses or attachments."""

    id: ReportId
    status: ReportStatus
    title: str
    incident_date: str | None
    country: str
    categories: tuple[str, ...]
    updated_at: str
    version: int


class RecordStore(AttachmentRows):
    """Reads and writes records on one connection. Callers own transactions."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ---------------------------------------------------------------- reports
    def _report_from_row(self, row: Any) -> Report:
        rid, status, version, amends, doc, created, updated, sealed, private = row
        f = replace(_fields_from_json(doc), private_notes=private)
        wids = tuple(
            WitnessId(r[0])
            for r in self.conn.execute(
                "SELECT witness_id FROM report_witnesses WHERE report_id = ? ORDER BY position",
                (rid,),
            )
        )
        return report_from_fields(
            f,
            id=ReportId(rid),
            status=ReportStatus(status),
            witness_ids=wids,
            version=version,
            amends=ReportId(amends) if amends else None,
            created_at=created,
            updated_at=updated,
            sealed_at=sealed,
        )

    def get_report(self, rid: str) -> Report:
        row = self.conn.execute(
            f"SELECT {_REPORT_COLS} FROM reports WHERE id = ?",  # noqa: S608 - constant columns
            (rid,),
        ).fetchone()
        if row is None:
            raise NotFound(N_("No report has the id {id}."), id=rid)
        return self._report_from_row(row)

    def resolve_report_id(self, prefix: str) -> ReportId:
        """Accept a full id or an unambiguous prefix of at least 6 characters."""
        if len(prefix) < 6:
            raise NotFound(N_("No report has the id {id}."), id=prefix)
        rows = self.conn.execute(
            "SELECT id FROM reports WHERE id LIKE ? || '%' LIMIT 2", (prefix.lower(),)
        ).fetchall()
        if len(rows) != 1:
            if rows:
                raise NotFound(N_("The id {id} matches more than one report."), id=prefix)
            raise NotFound(N_("No report has the id {id}."), id=prefix)
        return ReportId(rows[0][0])

    def insert_report(self, report: Report) -> None:
        self.conn.execute(
            "INSERT INTO reports(id, version, amends, status, doc, title, incident_date, country,"
            " categories, created_at, updated_at, private_notes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                report.id,
                report.version,
                report.amends,
                report.status.value,
                _fields_json(fields_of(report)),
                report.title,
                report.incident_date.value if report.incident_date else None,
                report.place.country,
                " ".join(report.categories),
                report.created_at,
                report.updated_at,
                report.private_notes,
            ),
        )
        self.set_report_witnesses(report.id, report.witness_ids)
        self.index_report(report)

    def update_draft(self, report: Report) -> None:
        cur = self.conn.execute(
            "UPDATE reports SET doc = ?, title = ?, incident_date = ?, country = ?, categories = ?,"
            " updated_at = ?, private_notes = ? WHERE id = ? AND status = 'draft'",
            (
                _fields_json(fields_of(report)),
                report.title,
                report.incident_date.value if report.incident_date else None,
                report.place.country,
                " ".join(report.categories),
                report.updated_at,
                report.private_notes,
                report.id,
            ),
        )
        if cur.rowcount != 1:
            raise StateError(N_("Only drafts can be changed; this report is sealed."))
        self.set_report_witnesses(report.id, report.witness_ids)
        self.index_report(report)

    def touch_draft(self, rid: ReportId, updated_at: str) -> None:
        """A draft's ``updated_at`` alone (adding a file changes no indexed text or witness)."""
        cur = self.conn.execute(
            "UPDATE reports SET updated_at = ? WHERE id = ? AND status = 'draft'",
            (updated_at, rid),
        )
        if cur.rowcount != 1:
            raise StateError(N_("Only drafts can be changed; this report is sealed."))

    def set_report_witnesses(self, rid: ReportId, wids: Iterable[WitnessId]) -> None:
        self.conn.execute("DELETE FROM report_witnesses WHERE report_id = ?", (rid,))
        self.conn.executemany(
            "INSERT INTO report_witnesses(report_id, witness_id, position) VALUES (?,?,?)",
            [(rid, w, i) for i, w in enumerate(wids)],
        )

    def set_sealed(
        self, rid: ReportId, sealed_at: str, sealed_json: bytes, sha256: str, signature: str
    ) -> None:
        cur = self.conn.execute(
            "UPDATE reports SET sealed_json = ?, seal_sha256 = ?, seal_signature = ?, "
            "sealed_at = ?, updated_at = ? WHERE id = ? AND status = 'draft'",
            (sealed_json, sha256, signature, sealed_at, sealed_at, rid),
        )
        if cur.rowcount != 1:
            raise StateError(N_("Only drafts can be sealed."))
        self.conn.execute("UPDATE reports SET status = 'sealed' WHERE id = ?", (rid,))

    def purge_content(self, rid: ReportId, at: str) -> list[tuple[BlobRef, BlobRef | None]]:
        """Erase an acknowledged report's content, keeping id, hash, signature and attachment
        hashes; returns the blobs to delete once the caller's transaction commits."""
        refs = [self.blob_refs(a.id) for a in self.attachments_for(rid)]
        self.conn.execute(
            "UPDATE reports SET doc = ?, sealed_json = NULL, purged_at = ?, title = '',"
            " incident_date = NULL, country = '', categories = '', private_notes = ''"
            " WHERE id = ?",
            (_fields_json(ReportFields()), at, rid),
        )
        self.unindex_report(rid)
        self.conn.execute(
            "UPDATE attachments SET original_name = '', claims = '{}', mime = '', caption = '',"
            " blob_key = zeroblob(32), thumb_name = NULL, thumb_key = NULL WHERE report_id = ?",
            (rid,),
        )
        witnesses = [
            r[0]
            for r in self.conn.execute(
                "SELECT witness_id FROM report_witnesses WHERE report_id = ?", (rid,)
            )
        ]
        self.conn.execute("DELETE FROM report_witnesses WHERE report_id = ?", (rid,))
        for wid in witnesses:
            if not self.conn.execute(
                "SELECT 1 FROM report_witnesses WHERE witness_id = ?", (wid,)
            ).fetchone():
                self.conn.execute("DELETE FROM witnesses WHERE id = ?", (wid,))
        return refs

    def set_status(self, rid: ReportId, status: ReportStatus, at: str) -> None:
        self.conn.execute(
            "UPDATE reports SET status = ?, updated_at = ? WHERE id = ?", (status.value, at, rid)
        )

    def sealed_record(self, rid: ReportId) -> tuple[bytes, str, str]:
        """The signed canonical JSON of a sealed report, its SHA-256 and its signature."""
        row = self.conn.execute(
            "SELECT sealed_json, seal_sha256, seal_signature FROM reports WHERE id = ?", (rid,)
        ).fetchone()
        if row is None or row[0] is None:
            raise StateError(N_("This report has not been sealed."))
        return bytes(row[0]), str(row[1]), str(row[2])

    def list_reports(
        self,
        *,
        status: ReportStatus | None = None,
        category: str | None = None,
        ids: list[str] | None = None,
        limit: int | None = None,
    ) -> list[ReportRow]:
        sql = (
            "SELECT id, status, title, incident_date, country, categories, updated_at, version "
            "FROM reports WHERE 1=1"
        )
        args: list[Any] = []
        if status is not None:
            sql += " AND status = ?"
            args.append(status.value)
        if category:
            sql += " AND (' ' || categories || ' ') LIKE ?"
            args.append(f"% {category} %")
        if ids is not None:
            sql += f" AND id IN ({','.join('?' * len(ids))})"
            args.extend(ids)
        sql += " ORDER BY updated_at DESC, id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [
            ReportRow(
                id=ReportId(r[0]),
                status=ReportStatus(r[1]),
                title=r[2],
                incident_date=r[3],
                country=r[4],
                categories=tuple(r[5].split()) if r[5] else (),
                updated_at=r[6],
                version=r[7],
            )
            for r in self.conn.execute(sql, args)
        ]

    def count_by_status(self) -> dict[ReportStatus, int]:
        return {
            ReportStatus(s): n
            for s, n in self.conn.execute("SELECT status, count(*) FROM reports GROUP BY status")
        }

    # ---------------------------------------------------------------- search
    def index_report(self, report: Report) -> None:
        pseudonyms = " ".join(w.pseudonym for w in self.get_witnesses(report.witness_ids))
        place = " ".join(filter(None, [report.place.site, report.place.area, report.place.country]))
        old = self._search_rowid(report.id)
        if old is not None:
            self.conn.execute("DELETE FROM report_search WHERE rowid = ?", (old,))
        cur = self.conn.execute(
            "INSERT INTO report_search(rowid, report_id, title, narrative, notes, place, witnesses)"
            " VALUES (?,?,?,?,?,?,?)",
            (
                old,
                report.id,
                report.title,
                report.narrative,
                # Both kinds of notes are searchable here: the index never leaves the laptop.
                " ".join(filter(None, [report.monitor_notes, report.private_notes])),
                place,
                pseudonyms,
            ),
        )
        if old is None:
            self.conn.execute(
                "INSERT INTO report_search_rows(report_id, fts_rowid) VALUES (?, ?)",
                (report.id, cur.lastrowid),
            )

    def _search_rowid(self, rid: str) -> int | None:
        row = self.conn.execute(
            "SELECT fts_rowid FROM report_search_rows WHERE report_id = ?", (rid,)
        ).fetchone()
        return None if row is None else int(row[0])

    def unindex_report(self, rid: str) -> None:
        """Remove a report from the full-text index (by rowid: no scan of the index)."""
        old = self._search_rowid(rid)
        if old is not None:
            self.conn.execute("DELETE FROM report_search WHERE rowid = ?", (old,))
            self.conn.execute("DELETE FROM report_search_rows WHERE report_id = ?", (rid,))

    def optimize_search(self) -> None:
        """Merge index segments so deleted text does not survive in superseded ones."""
        self.conn.execute("INSERT INTO report_search(report_search) VALUES ('optimize')")

    def search(self, query: str, limit: int = 500) -> list[ReportId]:
        """Full-text search; every word must match (prefix match on each word)."""
        words = [w for w in _tokenize(query) if w]
        if not words:
            return []
        match = " AND ".join(f'"{w}"*' for w in words)
        rows = self.conn.execute(
            "SELECT report_id FROM report_search WHERE report_search MATCH ? ORDER BY rank LIMIT ?",
            (match, limit),
        ).fetchall()
        return [ReportId(r[0]) for r in rows]

    def search_page(
        self, query: str, limit: int, after: int | None = None
    ) -> tuple[list[ReportId], int | None]:
        """One page of matches, newest report first, and the cursor of the next page (or None).

        FTS5 walks its index in rowid order and stops at ``limit``, so a page costs about the
        same however many reports match; ranking (``ORDER BY rank``) must score every match
        first, which at 10,000 reports and a common word is most of a second on a slow laptop.
        A report keeps its index rowid for life, so the order (first indexed, newest first) and
        the cursor are stable while drafts are edited.
        """
        words = [w for w in _tokenize(query) if w]
        if not words or limit <= 0:
            return [], None
        match = " AND ".join(f'"{w}"*' for w in words)
        sql = "SELECT rowid, report_id FROM report_search WHERE report_search MATCH ?"
        args: list[Any] = [match]
        if after is not None:
            sql += " AND rowid < ?"
            args.append(after)
        sql += " ORDER BY rowid DESC LIMIT ?"
        args.append(limit + 1)
        rows = self.conn.execute(sql, args).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = int(rows[-1][0]) if more and rows else None
        return [ReportId(r[1]) for r in rows], cursor

    # ---------------------------------------------------------------- witnesses
    def _witness_from_row(self, row: Any) -> Witness:
        wid, doc, created, updated = row
        raw = json.loads(doc)
        # The salt is the vault's own field, not part of any document a monitor writes.
        salt = raw.pop("identity_salt", "")
        wf = parse_report_document(
            {"schema": "kpfield.report/1", "witnesses": [raw]}, lenient=True
        ).witnesses[0]
        return Witness(
            id=WitnessId(wid),
            pseudonym=wf.pseudonym,
            age_group=wf.age_group,
            gender=wf.gender,
            role=wf.role,
            identifying=wf.identifying,
            consent=wf.consent,
            risk_notes=wf.risk_notes,
            created_at=created,
            updated_at=updated,
            identity_salt=salt if isinstance(salt, str) else "",
            send_identity=wf.send_identity,
        )

    def get_witness(self, wid: str) -> Witness:
        row = self.conn.execute(
            "SELECT id, doc, created_at, updated_at FROM witnesses WHERE id = ?", (wid,)
        ).fetchone()
        if row is None:
            raise NotFound(N_("No witness has the id {id}."), id=wid)
        return self._witness_from_row(row)

    def get_witnesses(self, wids: Iterable[str]) -> list[Witness]:
        return [self.get_witness(w) for w in wids]

    def list_witnesses(self) -> list[Witness]:
        return [
            self._witness_from_row(r)
            for r in self.conn.execute(
                "SELECT id, doc, created_at, updated_at FROM witnesses ORDER BY pseudonym"
            )
        ]

    def save_witness(self, w: Witness) -> None:
        doc = json.dumps(_witness_json(w), ensure_ascii=False, sort_keys=True)
        self.conn.execute(
            "INSERT INTO witnesses(id, pseudonym, doc, created_at, updated_at) VALUES (?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET pseudonym = excluded.pseudonym, doc = excluded.doc,"
            " updated_at = excluded.updated_at",
            (w.id, w.pseudonym, doc, w.created_at, w.updated_at),
        )

    def reports_citing(self, wid: WitnessId) -> list[ReportId]:
        return [
            ReportId(r[0])
            for r in self.conn.execute(
                "SELECT report_id FROM report_witnesses WHERE witness_id = ?", (wid,)
            )
        ]

    def delete_draft(self, rid: str) -> None:
        """The draft's row (witness links go with it); sealed rows are refused by a trigger."""
        self.conn.execute("DELETE FROM reports WHERE id = ? AND status = 'draft'", (rid,))



def _tokenize(query: str) -> list[str]:
    out = []
    for raw in query.split():
        word = "".join(ch for ch in raw if ch.isalnum() or ch in "-'")
        word = word.replace('"', "")
        if word:
            out.append(word)
    return out


def _witness_json(w: Witness | WitnessFields) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "pseudonym": w.pseudonym,
        "age_group": w.age_group.value,
        "gender": w.gender.value,
        "role": w.role.value,
        "risk_notes": w.risk_notes,
    }
    if w.consent is not None:
        doc["consent"] = consent_doc(w.consent)
    if w.identifying is not None:
        doc["identifying"] = identifying_doc(w.identifying)
    doc["send_identity"] = w.send_identity
    if isinstance(w, Witness) and w.identity_salt:
        doc["identity_salt"] = w.identity_salt
    return doc
