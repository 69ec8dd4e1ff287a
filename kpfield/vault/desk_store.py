"""SQL of the HQ desk: the case index and its full-text search, the inbox, review, links, notes
and the audit log. The caller owns transactions.

Filters become one WHERE clause over ``hq_cases`` (multi-valued fields through ``hq_case_terms``,
text through the FTS5 table ``hq_case_search`` whose rowid is the case number), so a filter change
at 50,000 reports is one indexed query returning ids.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kpfield.domain.desk import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    CaseFilter,
    CaseIndex,
    CaseSort,
    CountBy,
)
from kpfield.vault.db import Connection

_WORD = re.compile(r"\w+", re.UNICODE)

_SORTS: dict[CaseSort, str] = {
    CaseSort.INCIDENT_DATE: "c.incident_date {d}, c.report_id {d}",
    CaseSort.IMPORTED: "c.imported_at {d}, c.report_id {d}",
    CaseSort.TITLE: "c.title COLLATE NOCASE {d}, c.case_no",
    CaseSort.COUNTRY: "c.country {d}, c.site {d}, c.case_no",
    CaseSort.SITE: "c.site COLLATE NOCASE {d}, c.case_no",
    CaseSort.DEVICE: "(SELECT name FROM hq_devices d WHERE d.device_id = c.device_id) {d},"
    " c.case_no",
    CaseSort.REVIEW: "c.review_state {d}, c.case_no",
}


_KEYS: dict[CountBy, str] = {
    CountBy.MONTH: "substr(c.incident_date, 1, 7)",
    CountBy.COUNTRY: "c.country",
    CountBy.SITE: "c.country || ' · ' || c.site",
}
"""What a chart of cases counts them by (categories and perpetrators: hq_case_terms)."""


def fts_query(text: str) -> str:
    """A safe FTS5 query from what a user typed: every word must match, as a prefix."""
    words = _WORD.findall(text)
    return " ".join(f'"{w}"*' for w in words)


@dataclass(frozen=True)
class CaseRecord:
    """One row of the cases list, as stored."""

    case_no: int
    report_id: str
    device_id: str
    device_name: str
    title: str
    incident_date: str
    country: str
    area: str
    site: str
    categories: tuple[str, ...]
    perpetrators: tuple[str, ...]
    people_affected: int | None
    witnesses: int
    photos: int
    version: int
    amends: str | None
    verification: str
    review_state: str
    review_reason: str
    imported_at: str
    snippet: str


@dataclass(frozen=True)
class InboxRecord:
    seen_no: int
    seen_at: str
    source: str
    status: str
    reason_template: str
    reason_params: str
    failed_check: str | None
    device_id: str | None
    device_name: str | None
    fingerprint: str | None
    sequence: int | None
    manifest_sha256: str | None
    new_reports: int


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: str
    action: str
    report_id: str | None
    entry: str
    prev_hash: str
    entry_hash: str


def _split(v: str) -> tuple[str, ...]:
    return tuple(x for x in v.split(",") if x)


class DeskStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------------ index
    def unindexed_reports(self, limit: int = 500) -> list[tuple[str, str, int, bytes, str]]:
        """(report id, device id, version, sealed JSON, imported at) of reports not yet indexed."""
        rows = self.conn.execute(
            "SELECT r.report_id, r.device_id, r.version, r.sealed_json, r.imported_at"
            " FROM hq_reports r LEFT JOIN hq_cases c ON c.report_id = r.report_id"
            " WHERE c.report_id IS NULL LIMIT ?",
            (limit,),
        ).fetchall()
        return [(str(r[0]), str(r[1]), int(r[2]), bytes(r[3]), str(r[4])) for r in rows]

    def add_case(self, c: CaseIndex) -> int:
        cur = self.conn.execute(
            "INSERT INTO hq_cases(report_id, device_id, title, incident_date, country, area, site,"
            " categories, perpetrators, consent, people_affected, witnesses, photos, version,"
            " amends, verification, sealed_at, imported_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                c.report_id,
                c.device_id,
                c.title,
                c.incident_date,
                c.country,
                c.area,
                c.site,
                ",".join(c.categories),
                ",".join(c.perpetrators),
                ",".join(c.consent),
                c.people_affected,
                len(c.witnesses),
                c.photos,
                c.version,
                c.amends,
                c.verification.value,
                c.sealed_at,
                c.imported_at,
            ),
        )
        case_no = int(cur.lastrowid)
        terms = (
            [(case_no, "category", t) for t in dict.fromkeys(c.categories)]
            + [(case_no, "perpetrator", t) for t in dict.fromkeys(c.perpetrators)]
            + [(case_no, "consent", t) for t in c.consent]
        )
        self.conn.executemany(
            "INSERT INTO hq_case_terms(case_no, kind, term) VALUES (?,?,?)", terms
        )
        self.conn.execute(
            "INSERT INTO hq_case_search(rowid, title, narrative, notes, place, witnesses)"
            " VALUES (?,?,?,?,?,?)",
            (
                case_no,
                c.title,
                c.narrative,
                c.notes,
                " ".join(x for x in (c.site, c.area, c.country) if x),
                " ".join(c.witnesses),
            ),
        )
        return case_no

    # ------------------------------------------------------------------ filters
    def _where(self, f: CaseFilter) -> tuple[str, list[Any]]:
        sql: list[str] = []
        args: list[Any] = []
        for kind, value in (
            ("category", f.category),
            ("perpetrator", f.perpetrator),
            ("consent", f.consent),
        ):
            if value:
                sql.append(
                    "c.case_no IN (SELECT case_no FROM hq_case_terms WHERE kind = ? AND term = ?)"
                )
                args += [kind, value]
        for column, value in (
            ("c.country", f.country),
            ("c.site", f.site),
            ("c.device_id", f.device),
            ("c.verification", f.verification),
            ("c.review_state", f.review),
        ):
            if value:
                sql.append(f"{column} = ?")
                args.append(value)
        if f.date_from:
            sql.append("c.incident_date >= ?")
            args.append(f.date_from)
        if f.date_to:
            sql.append("c.incident_date <= ?")
            args.append(f.date_to)
        if f.cases:  # one parameter however many: a cluster may hold thousands of cases
            sql.append("c.report_id IN (SELECT value FROM json_each(?))")
            args.append(json.dumps(list(f.cases)))
        query = fts_query(f.text)
        if f.text and not query:
            sql.append("0")  # only punctuation: nothing can match
        elif query:
            sql.append(
                "c.case_no IN (SELECT rowid FROM hq_case_search WHERE hq_case_search MATCH ?)"
            )
            args.append(query)
        return (" WHERE " + " AND ".join(sql)) if sql else "", args

    def case_ids(self, f: CaseFilter, sort: CaseSort, descending: bool) -> list[str]:
        where, args = self._where(f)
        d = "DESC" if descending else "ASC"
        query = fts_query(f.text)
        if sort is CaseSort.RELEVANCE and query:
            sql = (
                "SELECT c.report_id FROM hq_case_search s JOIN hq_cases c ON c.case_no = s.rowid"  # noqa: S608
                f"{where} AND hq_case_search MATCH ? ORDER BY s.rank, c.case_no"
            )
            args = [*args, query]
        else:
            order = _SORTS.get(sort, _SORTS[CaseSort.INCIDENT_DATE]).format(d=d)
            sql = f"SELECT c.report_id FROM hq_cases c{where} ORDER BY {order}"  # noqa: S608
        return [str(r[0]) for r in self.conn.execute(sql, args)]

    def case_records(self, ids: Sequence[str], text: str = "") -> list[CaseRecord]:
        """The rows for ``ids``, in that order; a snippet of the text match when ``text``."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(
            "SELECT c.case_no, c.report_id, c.device_id, COALESCE(d.name, ''), c.title,"  # noqa: S608
            " c.incident_date, c.country, c.area, c.site, c.categories, c.perpetrators,"
            " c.people_affected, c.witnesses, c.photos, c.version, c.amends, c.verification,"
            " c.review_state, c.review_reason, c.imported_at"
            " FROM hq_cases c LEFT JOIN hq_devices d ON d.device_id = c.device_id"
            f" WHERE c.report_id IN ({marks})",
            list(ids),
        ).fetchall()
        snippets = self._snippets([int(r[0]) for r in rows], text) if text else {}
        by_id = {
            str(r[1]): CaseRecord(
                int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]),
                str(r[7]), str(r[8]), _split(str(r[9])), _split(str(r[10])),
                None if r[11] is None else int(r[11]), int(r[12]), int(r[13]), int(r[14]),
                None if r[15] is None else str(r[15]), str(r[16]), str(r[17]), str(r[18]),
                str(r[19]), snippets.get(int(r[0]), ""),
            )
            for r in rows
        }  # fmt: skip
        return [by_id[i] for i in ids if i in by_id]

    def _snippets(self, case_nos: list[int], text: str) -> dict[int, str]:
        query = fts_query(text)
        if not query or not case_nos:
            return {}
        marks = ",".join("?" * len(case_nos))
        rows = self.conn.execute(
            "SELECT rowid, snippet(hq_case_search, -1, ?, ?, '…', 12) FROM hq_case_search"  # noqa: S608
            f" WHERE hq_case_search MATCH ? AND rowid IN ({marks})",
            [HIGHLIGHT_START, HIGHLIGHT_END, query, *case_nos],
        ).fetchall()
        return {int(r[0]): str(r[1]) for r in rows}

    def ids_with_keys(self, f: CaseFilter, by: CountBy, keys: Sequence[str]) -> list[str]:
        """Ids of the cases matching ``f`` that :meth:`counts` counts under one of ``keys``."""
        where, args = self._where(f)
        wanted = json.dumps(list(keys))
        if by in (CountBy.CATEGORY, CountBy.PERPETRATOR):
            sql = (
                "SELECT DISTINCT c.report_id FROM hq_case_terms t JOIN hq_cases c"  # noqa: S608
                f" ON c.case_no = t.case_no{where or ' WHERE 1'} AND t.kind = ?"
                " AND t.term IN (SELECT value FROM json_each(?)) ORDER BY c.incident_date DESC"
            )
            args = [*args, by.value, wanted]
        else:
            sql = (
                f"SELECT c.report_id FROM hq_cases c{where or ' WHERE 1'}"  # noqa: S608
                f" AND {_KEYS[by]} IN (SELECT value FROM json_each(?))"
                " ORDER BY c.incident_date DESC"
            )
            args = [*args, wanted]
        return [str(r[0]) for r in self.conn.execute(sql, args)]

    def counts(self, f: CaseFilter, by: CountBy) -> list[tuple[str, int]]:
        where, args = self._where(f)
        if by in (CountBy.CATEGORY, CountBy.PERPETRATOR):
            sql = (
                "SELECT t.term, count(*) FROM hq_case_terms t JOIN hq_cases c"  # noqa: S608
                f" ON c.case_no = t.case_no{where or ' WHERE 1'} AND t.kind = ?"
                " GROUP BY t.term ORDER BY count(*) DESC, t.term"
            )
            args = [*args, by.value]
        else:
            key = _KEYS[by]
            order = "1" if by is CountBy.MONTH else "2 DESC, 1"
            sql = (
                f"SELECT {key}, count(*) FROM hq_cases c{where}"  # noqa: S608
                f" GROUP BY 1 ORDER BY {order}"
            )
        return [(str(r[0]), int(r[1])) for r in self.conn.execute(sql, args)]

    def distinct(self, column: str) -> list[str]:
        """Distinct non-empty countries, sites or devices indexed (for the filter bar)."""
        col = {"country": "country", "site": "site", "device": "device_id"}[column]
        rows = self.conn.execute(
            f"SELECT DISTINCT {col} FROM hq_cases WHERE {col} != '' ORDER BY 1"  # noqa: S608
        )
        return [str(r[0]) for r in rows]

    def ids_with_prefix(self, prefix: str, limit: int = 2) -> list[str]:
        rows = self.conn.execute(
            "SELECT report_id FROM hq_cases WHERE report_id LIKE ? || '%' ORDER BY 1 LIMIT ?",
            (prefix, limit),
        )
        return [str(r[0]) for r in rows]

    def count_all(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM hq_cases").fetchone()[0])

    # ------------------------------------------------------------------ one case
    def sealed(self, report_id: str) -> tuple[str, int, bytes, str, str, str, str] | None:
        """(device id, version, sealed JSON, signature, sha256, manifest sha256, imported at)."""
        r = self.conn.execute(
            "SELECT device_id, version, sealed_json, signature, sha256, manifest_sha256,"
            " imported_at FROM hq_reports WHERE report_id = ?",
            (report_id,),
        ).fetchone()
        if r is None:
            return None
        return str(r[0]), int(r[1]), bytes(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6])

    def amended_by(self, report_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT report_id FROM hq_cases WHERE amends = ? ORDER BY version", (report_id,)
        )
        return [str(r[0]) for r in rows]

    def custody_for(self, device_id: str, report_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT entry FROM hq_custody WHERE device_id = ?"
            " AND json_extract(entry, '$.report_id') = ? ORDER BY seq",
            (device_id, report_id),
        )
        return [str(r[0]) for r in rows]

    def bundle_info(self, manifest_sha256: str) -> tuple[int, str, str] | None:
        """(sequence, imported at, manifest JSON) of an imported bundle."""
        r = self.conn.execute(
            "SELECT sequence, imported_at, manifest FROM hq_bundles WHERE manifest_sha256 = ?",
            (manifest_sha256,),
        ).fetchone()
        return None if r is None else (int(r[0]), str(r[1]), str(r[2]))

    def set_review(self, report_id: str, state: str, reason: str) -> bool:
        cur = self.conn.execute(
            "UPDATE hq_cases SET review_state = ?, review_reason = ? WHERE report_id = ?",
            (state, reason, report_id),
        )
        return int(cur.rowcount) > 0

    def add_link(self, a: str, b: str, at: str) -> bool:
        lo, hi = sorted((a, b))
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO hq_case_links(a, b, linked_at) VALUES (?,?,?)", (lo, hi, at)
        )
        return int(cur.rowcount) > 0

    def remove_link(self, a: str, b: str) -> bool:
        lo, hi = sorted((a, b))
        cur = self.conn.execute("DELETE FROM hq_case_links WHERE a = ? AND b = ?", (lo, hi))
        return int(cur.rowcount) > 0

    def links(self, report_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT b FROM hq_case_links WHERE a = ? UNION SELECT a FROM hq_case_links WHERE b = ?"
            " ORDER BY 1",
            (report_id, report_id),
        )
        return [str(r[0]) for r in rows]

    def add_note(self, report_id: str, at: str, text: str) -> None:
        self.conn.execute(
            "INSERT INTO hq_case_notes(report_id, at, text) VALUES (?,?,?)", (report_id, at, text)
        )

    def notes(self, report_id: str) -> list[tuple[str, str]]:
        rows = self.conn.execute(
            "SELECT at, text FROM hq_case_notes WHERE report_id = ? ORDER BY note_no", (report_id,)
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    # ------------------------------------------------------------------ inbox
    def add_inbox(
        self,
        *,
        seen_at: str,
        source: str,
        status: str,
        reason_template: str,
        reason_params: str,
        failed_check: str | None,
        device_id: str | None,
        sequence: int | None,
        manifest_sha256: str | None,
        new_reports: int,
    ) -> int:
        cur = self.conn.execute(
            "INSERT INTO hq_inbox(seen_at, source, status, reason_template, reason_params,"
            " failed_check, device_id, sequence, manifest_sha256, new_reports)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                seen_at, source, status, reason_template, reason_params, failed_check,
                device_id, sequence, manifest_sha256, new_reports,
            ),
        )  # fmt: skip
        return int(cur.lastrowid)

    def inbox(self, limit: int = 10_000, seen_no: int | None = None) -> list[InboxRecord]:
        where = "WHERE i.seen_no = ?" if seen_no is not None else ""
        args: list[Any] = [seen_no] if seen_no is not None else []
        rows = self.conn.execute(
            "SELECT i.seen_no, i.seen_at, i.source, i.status, i.reason_template,"  # noqa: S608
            " i.reason_params, i.failed_check, i.device_id, d.name, d.fingerprint, i.sequence,"
            " i.manifest_sha256, i.new_reports FROM hq_inbox i"
            f" LEFT JOIN hq_devices d ON d.device_id = i.device_id {where}"
            " ORDER BY i.seen_no DESC LIMIT ?",
            [*args, limit],
        ).fetchall()
        return [InboxRecord(*r) for r in rows]

    def device_stats(self) -> dict[str, tuple[int, str | None]]:
        """Per device: (bundles imported, last time a bundle from it was seen)."""
        out: dict[str, tuple[int, str | None]] = {}
        for dev, n, last in self.conn.execute(
            "SELECT device_id, count(*), max(imported_at) FROM hq_bundles GROUP BY device_id"
        ):
            out[str(dev)] = (int(n), None if last is None else str(last))
        for dev, last in self.conn.execute(
            "SELECT device_id, max(seen_at) FROM hq_inbox WHERE device_id IS NOT NULL"
            " GROUP BY device_id"
        ):
            n, prev = out.get(str(dev), (0, None))
            out[str(dev)] = (n, max(x for x in (prev, str(last)) if x is not None))
        return out

    def rejected_by_device(self) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT device_id, count(*) FROM hq_inbox WHERE status = 'rejected'"
            " AND device_id IS NOT NULL GROUP BY device_id"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    # ------------------------------------------------------------------ audit
    def audit_head(self) -> tuple[int, str] | None:
        r = self.conn.execute(
            "SELECT seq, entry_hash FROM hq_audit ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return None if r is None else (int(r[0]), str(r[1]))

    def add_audit(self, a: AuditRecord) -> None:
        self.conn.execute(
            "INSERT INTO hq_audit(seq, at, action, report_id, entry, prev_hash, entry_hash)"
            " VALUES (?,?,?,?,?,?,?)",
            (a.seq, a.at, a.action, a.report_id, a.entry, a.prev_hash, a.entry_hash),
        )

    def audit(self, report_id: str | None = None, limit: int = 100_000) -> list[AuditRecord]:
        where = "WHERE report_id = ?" if report_id is not None else ""
        args: list[Any] = [report_id] if report_id is not None else []
        rows = self.conn.execute(
            "SELECT seq, at, action, report_id, entry, prev_hash, entry_hash FROM hq_audit"  # noqa: S608
            f" {where} ORDER BY seq LIMIT ?",
            [*args, limit],
        ).fetchall()
        return [AuditRecord(*r) for r in rows]
