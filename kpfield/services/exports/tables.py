"""CSV and JSON exports: pure functions from case records to bytes (same input, same bytes).

Columns and the JSON schema are documented in docs/exports.md; change them there first.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from kpfield.domain.models import CoordinateSource, DatePrecision
from kpfield.domain.taxonomy import Taxonomy
from kpfield.services.exports.consent import Use, named
from kpfield.services.exports.records import CaseRecord

CASES_COLUMNS = (
    "report_id", "version", "amends", "device_id", "device_name", "sealed_at", "imported_at",
    "review_state", "title", "incident_date", "date_precision", "date_approximate", "country",
    "area", "site", "latitude", "longitude", "coordinate_source", "categories", "perpetrators",
    "people_affected", "witnesses_named", "witnesses_withheld", "photos", "photo_sha256",
    "narrative", "monitor_notes", "sealed_sha256",
)  # fmt: skip

INCIDENT_COLUMNS = (
    "event_id", "event_date", "time_precision", "date_approximate", "event_type",
    "sub_event_types", "actor_types", "country", "admin1", "location", "latitude", "longitude",
    "geo_precision", "people_affected", "source", "source_scale",
)  # fmt: skip

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """Text as a spreadsheet will not run it: a leading formula character gets a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _degrees(micro: int, places: int = 6) -> str:
    value = round(micro / 1_000_000, places)
    return f"{value:.{places}f}"


def _csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_cell(v) for v in r])
    return out.getvalue().encode("utf-8")


def cases_csv(cases: Sequence[CaseRecord]) -> bytes:
    """One row per report; witnesses by pseudonym only and only where consent allows."""
    rows = []
    for c in cases:
        d, p, xy = c.incident_date, c.place, c.coordinates
        shown = named(c, Use.COALITION)
        rows.append([
            c.report_id, c.version, c.amends or "", c.device_id, c.device_name, c.sealed_at,
            c.imported_at, c.review_state, c.title, d.value if d else "",
            d.precision.value if d else "", d.approximate if d else "", p.country, p.area, p.site,
            _degrees(xy.lat_micro) if xy else "", _degrees(xy.lon_micro) if xy else "",
            xy.source.value if xy else "", ";".join(c.categories), ";".join(c.perpetrators),
            c.people_affected, ";".join(w.pseudonym for w in shown),
            len(c.witnesses) - len(shown), len(c.attachments),
            ";".join(a.sha256 for a in c.attachments), c.narrative, c.monitor_notes, c.sha256,
        ])  # fmt: skip
    return _csv(CASES_COLUMNS, rows)


_TIME_PRECISION = {DatePrecision.DAY: 1, DatePrecision.MONTH: 2, DatePrecision.YEAR: 3}
_GEO_PRECISION = {
    CoordinateSource.GPS_DEVICE: 1,
    CoordinateSource.PHOTO_EXIF: 1,
    CoordinateSource.MAP: 2,
    CoordinateSource.ESTIMATED: 3,
}
DEIDENTIFIED_PLACES = 2
"""Decimal places kept of coordinates in the incident file: about 1 km, never a homestead."""


def incidents_csv(cases: Sequence[CaseRecord]) -> bytes:
    """De-identified incidents: no narrative, no witnesses, coarse coordinates, precise dates."""
    rows = []
    for c in cases:
        d, p, xy = c.incident_date, c.place, c.coordinates
        rows.append([
            c.report_id, d.value if d else "", _TIME_PRECISION[d.precision] if d else "",
            d.approximate if d else "", c.categories[0] if c.categories else "",
            ";".join(c.categories), ";".join(c.perpetrators), p.country, p.area, p.site,
            _degrees(xy.lat_micro, DEIDENTIFIED_PLACES) if xy else "",
            _degrees(xy.lon_micro, DEIDENTIFIED_PLACES) if xy else "",
            _GEO_PRECISION[xy.source] if xy else 3, c.people_affected,
            "KPCSC monitor report", "local",
        ])  # fmt: skip
    return _csv(INCIDENT_COLUMNS, rows)


EVENTS_FORMAT = "kpfield.events/1"


def _date(c: CaseRecord) -> dict[str, Any] | None:
    d = c.incident_date
    if d is None:
        return None
    return {"date": d.value, "precision": d.precision.value, "approximate": d.approximate}


def _event(c: CaseRecord, taxonomy: Taxonomy) -> dict[str, Any]:
    """One event after the HURIDOCS ESF: event → acts → involvements, persons by reference."""
    persons: list[dict[str, Any]] = []
    victims: list[str] = []
    sources: list[str] = []
    for i, w in enumerate(named(c, Use.COALITION), start=1):
        pid = f"{c.report_id}/person/{i}"
        persons.append({
            "person_record_number": pid, "counting_unit": "person", "name": w.pseudonym,
            "name_is_pseudonym": True, "sex": w.gender, "age_group": w.age_group,
            "role_in_report": w.role,
        })  # fmt: skip
        (victims if w.role == "victim" else sources).append(pid)
    acts = []
    for cat in c.categories:
        aid = f"{c.report_id}/act/{cat}"
        acts.append({
            "act_record_number": aid,
            "type_of_act": {"id": cat, "label": taxonomy.label(cat)},
            "victims": victims,
            "initial_date": _date(c),
            "involvements": [
                {
                    "involvement_record_number": f"{aid}/involvement/{perp}",
                    "perpetrator_type": {"id": perp, "label": taxonomy.label(perp)},
                    "degree_of_involvement": "alleged",
                }
                for perp in c.perpetrators
            ],
        })
    xy = c.coordinates
    return {
        "event_record_number": c.report_id,
        "event_title": c.title,
        "initial_date": _date(c),
        "geographical_term": {"country": c.place.country, "admin1": c.place.area,
                              "local": c.place.site},
        "coordinates": None if xy is None else {
            "lat_micro": xy.lat_micro, "lon_micro": xy.lon_micro, "source": xy.source.value},
        "event_description": c.narrative,
        "impact_of_event": {"people_affected": c.people_affected},
        "violation_status": c.review_state or "unreviewed",
        "acts": acts,
        "persons": persons,
        "information": {
            "source_type": "monitor_report", "device_id": c.device_id, "sealed_at": c.sealed_at,
            "sealed_sha256": c.sha256, "sources": sources,
            "witnesses_withheld": len(c.witnesses) - len(persons),
            "attachments": [{"id": a.attachment_id, "sha256": a.sha256, "kind": a.kind}
                            for a in c.attachments],
        },
    }  # fmt: skip


def events_json(cases: Sequence[CaseRecord], taxonomy: Taxonomy, created_at: str) -> bytes:
    doc = {
        "format": EVENTS_FORMAT,
        "shaped_after": "HURIDOCS Events Standard Formats (2001)",
        "created_at": created_at,
        "taxonomy_version": taxonomy.version,
        "events": [_event(c, taxonomy) for c in cases],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
