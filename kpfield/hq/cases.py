"""What the desk indexes of an imported report, read from its signed sealed JSON.

Everything here is derived (the sealed JSON stays the evidence), so it can be rebuilt at any time.
The reading is defensive: a sealed report is signed, not necessarily of today's schema, and witness
identity details may move out of it (into a separate bundle member), so missing or oddly shaped
fields are read as empty, never as an error.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

from kpfield.domain.desk import CaseIndex, ConsentUse, VerificationState
from kpfield.vault.desk_store import DeskStore

TIME_TOLERANCE_DAYS = 3
"""A photo taken this many days after (or one day before) the incident is not flagged."""
GPS_TOLERANCE_KM = 25.0


def parse_sealed(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _str(v: Any) -> str:
    return v if isinstance(v, str) else ""


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def witnesses(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in _list(doc.get("witnesses")) if isinstance(w, dict)]


def consent_scope(witness: dict[str, Any]) -> dict[str, bool]:
    """Which uses this witness allows; nothing unless consent was given."""
    consent = _dict(witness.get("consent"))
    given = consent.get("given") is True
    scope = _dict(consent.get("scope"))
    return {u.value: given and scope.get(u.value) is True for u in ConsentUse}


def consent_method(witness: dict[str, Any]) -> str:
    """How the witness's consent was recorded (``verbal_recorded``…), or empty."""
    return _str(_dict(witness.get("consent")).get("method"))


def consent_recording(witness: dict[str, Any]) -> str:
    """The SHA-256 a spoken consent names as its recording; empty when none is named. A value
    that is not text comes back as ``"?"``, which names no attachment (the view says so)."""
    value = _dict(witness.get("consent")).get("recording_sha256")
    if value is None:
        return ""
    return value if isinstance(value, str) else "?"


def allowed_uses(doc: dict[str, Any]) -> tuple[str, ...]:
    """The uses every witness allows (all of them for a report without witnesses)."""
    ws = witnesses(doc)
    return tuple(u.value for u in ConsentUse if all(consent_scope(w)[u.value] for w in ws))


def incident_date(doc: dict[str, Any]) -> tuple[str, str]:
    """(ISO date, precision) of the incident, or empty strings."""
    d = _dict(_dict(doc.get("incident")).get("date"))
    return _str(d.get("date")), _str(d.get("precision"))


def photo_flags(doc: dict[str, Any], claims: dict[str, Any]) -> tuple[str, ...]:
    """Where a photo's capture claims disagree with the report: "time", "gps" (or nothing)."""
    flags: list[str] = []
    when, precision = incident_date(doc)
    taken = _str(claims.get("taken_at"))[:10]
    if when and taken:
        try:
            start, shot = date.fromisoformat(when), date.fromisoformat(taken)
        except ValueError:
            start = shot = None  # type: ignore[assignment]
        if start is not None and shot is not None:
            if precision == "year":
                disagrees = shot.year != start.year and shot.year != start.year + 1
            elif precision == "month":
                months = (shot.year - start.year) * 12 + shot.month - start.month
                disagrees = not 0 <= months <= 1
            else:
                days = (shot - start).days
                disagrees = not -1 <= days <= TIME_TOLERANCE_DAYS
            if disagrees:
                flags.append("time")
    coords = _dict(_dict(doc.get("place")).get("coordinates"))
    lat, lon = _int(coords.get("lat_micro")), _int(coords.get("lon_micro"))
    glat, glon = _int(claims.get("gps_lat_micro")), _int(claims.get("gps_lon_micro"))
    if None not in (lat, lon, glat, glon):
        km = distance_km(lat / 1e6, lon / 1e6, glat / 1e6, glon / 1e6)  # type: ignore[operator]
        if km > GPS_TOLERANCE_KM:
            flags.append("gps")
    return tuple(flags)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


def attachments(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in _list(doc.get("attachments")) if isinstance(a, dict)]


def index_of(
    doc: dict[str, Any], *, report_id: str, device_id: str, version: int, imported_at: str
) -> CaseIndex:
    incident = _dict(doc.get("incident"))
    place = _dict(doc.get("place"))
    when, _ = incident_date(doc)
    photos = [a for a in attachments(doc) if _str(a.get("kind")) in ("photo", "")]
    flagged = any(photo_flags(doc, _dict(a.get("capture_claims"))) for a in photos)
    return CaseIndex(
        report_id=report_id,
        device_id=device_id,
        title=_str(doc.get("title")),
        incident_date=when,
        country=_str(place.get("country")),
        area=_str(place.get("area")),
        site=_str(place.get("site")),
        categories=tuple(_str(c) for c in _list(incident.get("categories")) if _str(c)),
        perpetrators=tuple(_str(c) for c in _list(incident.get("perpetrators")) if _str(c)),
        consent=allowed_uses(doc),
        people_affected=_int(incident.get("people_affected")),
        witnesses=tuple(_str(w.get("pseudonym")) for w in witnesses(doc)),
        photos=len(photos),
        version=version,
        amends=_str(doc.get("amends")) or None,
        verification=VerificationState.FLAGGED if flagged else VerificationState.VERIFIED,
        sealed_at=_str(doc.get("sealed_at")),
        imported_at=imported_at,
        narrative=_str(doc.get("narrative")),
        notes=_str(doc.get("monitor_notes")),
    )


def index_report(  # noqa: PLR0917 - the columns of one hq_reports row
    store: DeskStore, report_id: str, device_id: str, version: int, sealed: bytes, at: str
) -> int:
    """Add one imported report to the case index (inside the caller's transaction)."""
    doc = parse_sealed(sealed)
    return store.add_case(
        index_of(doc, report_id=report_id, device_id=device_id, version=version, imported_at=at)
    )
