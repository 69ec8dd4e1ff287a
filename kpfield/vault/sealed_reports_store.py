"""Read-only SQL over the reports HQ imported, for exports (the sealed JSON is the evidence)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from kpfield.vault.db import Connection

_CHUNK = 500
"""Ids per ``IN (…)`` query: far under SQLite's variable limit, few round trips."""


@dataclass(frozen=True)
class SealedRow:
    report_id: str
    device_id: str
    device_name: str
    device_fingerprint: str
    imported_at: str
    sha256: str
    sealed_json: bytes


class SealedReportsStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def report_ids(self) -> list[str]:
        """Every imported report, oldest import first (the export order without a filter)."""
        rows = self.conn.execute(
            "SELECT report_id FROM hq_reports ORDER BY imported_at, report_id"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def sealed(self, ids: Sequence[str]) -> Iterator[SealedRow]:
        """The sealed rows of ``ids``, in the order given (unknown ids are skipped)."""
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            # Only "?" placeholders are formatted into these statements.
            sql = (
                "SELECT r.report_id, r.device_id, COALESCE(d.name, ''),"  # noqa: S608
                " COALESCE(d.fingerprint, ''), r.imported_at, r.sha256, r.sealed_json"
                " FROM hq_reports r LEFT JOIN hq_devices d ON d.device_id = r.device_id"
                f" WHERE r.report_id IN ({marks})"
            )
            rows = self.conn.execute(sql, chunk).fetchall()
            by_id = {
                str(r[0]): SealedRow(
                    str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), bytes(r[6])
                )
                for r in rows
            }
            yield from (by_id[i] for i in chunk if i in by_id)

    def review_states(self, ids: Sequence[str]) -> dict[str, str]:
        """The desk's review state of each report, where the desk has one."""
        has_cases = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hq_cases'"
        ).fetchone()
        if has_cases is None:
            return {}
        out: dict[str, str] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            for rid, state in self.conn.execute(
                f"SELECT report_id, review_state FROM hq_cases WHERE report_id IN ({marks})",  # noqa: S608
                chunk,
            ):
                out[str(rid)] = str(state)
        return out

    def coordinates(self, ids: Sequence[str]) -> Iterator[tuple[str, int, int]]:
        """(report id, lat micro-degrees, lon micro-degrees) of the reports that have a place
        on the map, read inside SQLite so no sealed document is decoded in Python."""
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            # Only "?" placeholders are formatted into this statement.
            sql = (
                "SELECT report_id,"  # noqa: S608
                " json_extract(CAST(sealed_json AS TEXT), '$.place.coordinates.lat_micro'),"
                " json_extract(CAST(sealed_json AS TEXT), '$.place.coordinates.lon_micro')"
                f" FROM hq_reports WHERE report_id IN ({marks})"
            )
            for rid, lat, lon in self.conn.execute(sql, chunk):
                if isinstance(lat, int) and isinstance(lon, int):
                    yield str(rid), lat, lon
