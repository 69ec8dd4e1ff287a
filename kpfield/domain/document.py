"""The report JSON document (``kpfield.report/1``): parse with precise errors, and render back.

This one form is used by ``kpfield report new --from``, ``report show --json``, bulk entry and the
sealed canonical JSON. See docs/report-schema.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from kpfield.domain.identity import identifying_doc, identity_commitment
from kpfield.domain.ids import WitnessId, is_uuid
from kpfield.domain.models import (
    AgeGroup,
    Attachment,
    AttachmentKind,
    Consent,
    ConsentMethod,
    ConsentScope,
    Coordinates,
    CoordinateSource,
    DatePrecision,
    Gender,
    IdentifyingDetails,
    IncidentDate,
    Place,
    Report,
    Witness,
    WitnessRole,
)
from kpfield.errors import N_, ValidationError

SCHEMA = "kpfield.report/1"
MAX_TEXT = 200_000  # characters in one field: about 100 pages of testimony
MAX_SHORT = 300
MAX_WITNESSES = 200
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

Problems = list[tuple[str, str]]
NO_SCOPE = "consent is given but nothing is ticked: tick what the witness agreed to"


@dataclass(frozen=True)
class ReportFields:
    """Everything a draft holds that a monitor edits (no id, status or times)."""

    title: str = ""
    incident_date: IncidentDate | None = None
    place: Place = Place()
    categories: tuple[str, ...] = ()
    perpetrators: tuple[str, ...] = ()
    people_affected: int | None = None
    narrative: str = ""
    monitor_notes: str = ""  # notes for HQ: sealed and sent
    language: str = "en"
    private_notes: str = ""  # never sealed, never sent


def report_from_fields(f: ReportFields, **rest: Any) -> Report:
    """A Report holding these editable fields; ``rest`` gives id, status, times, versions."""
    return Report(
        title=f.title,
        incident_date=f.incident_date,
        place=f.place,
        categories=f.categories,
        perpetrators=f.perpetrators,
        people_affected=f.people_affected,
        narrative=f.narrative,
        monitor_notes=f.monitor_notes,
        language=f.language,
        private_notes=f.private_notes,
        **rest,
    )


def fields_of(report: Report) -> ReportFields:
    """The editable fields of a report (the inverse of :func:`report_from_fields`)."""
    return ReportFields(
        title=report.title,
        incident_date=report.incident_date,
        place=report.place,
        categories=report.categories,
        perpetrators=report.perpetrators,
        people_affected=report.people_affected,
        narrative=report.narrative,
        monitor_notes=report.monitor_notes,
        language=report.language,
        private_notes=report.private_notes,
    )


@dataclass(frozen=True)
class WitnessFields:
    """A witness as written in a document; ``id`` set when it refers to an existing witness."""

    id: WitnessId | None
    pseudonym: str
    age_group: AgeGroup = AgeGroup.UNKNOWN
    gender: Gender = Gender.UNDISCLOSED
    role: WitnessRole = WitnessRole.OTHER
    identifying: IdentifyingDetails | None = None
    consent: Consent | None = None
    risk_notes: str = ""
    send_identity: bool = False


@dataclass(frozen=True)
class ReportDocument:
    report: ReportFields
    witnesses: tuple[WitnessFields, ...]


class _Reader:
    """Collects every problem instead of stopping at the first, so one run fixes a whole file."""

    def __init__(self, lenient: bool = False) -> None:
        self.problems: Problems = []
        # Lenient mode decodes what the vault itself stored: it never drops or cuts data that
        # a stricter rule (length, a date now "in the future" after a clock change) would refuse.
        self.lenient = lenient

    def add(self, path: str, what: str) -> None:
        self.problems.append((path, what))

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.add(path, "must be an object")
            return {}
        return value

    def unknown_keys(self, value: dict[str, Any], path: str, allowed: set[str]) -> None:
        for key in sorted(set(value) - allowed):
            self.add(f"{path}.{key}" if path else key, "is not a known field")

    def text(self, value: Any, path: str, *, limit: int = MAX_SHORT, required: bool = False) -> str:
        if value is None:
            if required:
                self.add(path, "is required")
            return ""
        if not isinstance(value, str):
            self.add(path, "must be text")
            return ""
        if len(value) > limit:
            self.add(path, f"is too long ({len(value)} characters, at most {limit})")
            return value if self.lenient else value[:limit]
        if "\x00" in value:
            self.add(path, "contains a NUL character")
            return value.replace("\x00", "")
        if required and not value.strip():
            self.add(path, "must not be empty")
        return value

    def boolean(self, value: Any, path: str, default: bool = False) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(path, "must be true or false")
            return default
        return value

    def integer(self, value: Any, path: str, lo: int, hi: int) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, "must be a whole number")
            return None
        if not lo <= value <= hi:
            self.add(path, f"must be between {lo} and {hi}")
            return None
        return value

    def enum(self, value: Any, path: str, kind: Any, default: Any) -> Any:
        if value is None:
            return default
        try:
            return kind(value)
        except ValueError:
            choices = ", ".join(m.value for m in kind)
            self.add(path, f"must be one of: {choices}")
            return default

    def ids(self, value: Any, path: str, allowed: set[str] | None) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(path, "must be a list of identifiers")
            return ()
        out: list[str] = []
        for i, item in enumerate(value):
            if allowed is not None and item not in allowed:
                self.add(f"{path}[{i}]", f"'{item}' is not in the taxonomy")
            elif item in out:
                self.add(f"{path}[{i}]", f"'{item}' is listed twice")
            else:
                out.append(item)
        return tuple(out)


def parse_iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _incident_date(r: _Reader, raw: Any, path: str) -> IncidentDate | None:
    if raw is None:
        return None
    obj = r.obj(raw, path)
    r.unknown_keys(obj, path, {"date", "precision", "approximate"})
    value = r.text(obj.get("date"), f"{path}.date", required=True)
    precision = r.enum(obj.get("precision"), f"{path}.precision", DatePrecision, None)
    approximate = r.boolean(obj.get("approximate"), f"{path}.approximate")
    if not value:
        return None
    patterns = {
        DatePrecision.DAY: r"\d{4}-\d{2}-\d{2}",
        DatePrecision.MONTH: r"\d{4}-\d{2}",
        DatePrecision.YEAR: r"\d{4}",
    }
    if precision is None:
        precision = next((p for p, pat in patterns.items() if re.fullmatch(pat, value)), None)
        if precision is None:
            r.add(f"{path}.date", "must look like 2026-10-03, 2026-10 or 2026")
            return IncidentDate(value, DatePrecision.DAY, approximate) if r.lenient else None
    if not re.fullmatch(patterns[precision], value):
        if any(re.fullmatch(pat, value) for pat in patterns.values()):
            r.add(f"{path}.date", f"does not match precision '{precision.value}'")
        else:
            r.add(f"{path}.date", "must look like 2026-10-03, 2026-10 or 2026")
        return IncidentDate(value, precision, approximate) if r.lenient else None
    padded = value + {"day": "", "month": "-01", "year": "-01-01"}[precision.value]
    parsed = parse_iso_date(padded)
    if parsed is None:
        r.add(f"{path}.date", "is not a real date")
        return IncidentDate(value, precision, approximate) if r.lenient else None
    if parsed > date.today() and not r.lenient:
        r.add(f"{path}.date", "is in the future")
    return IncidentDate(value=value, precision=precision, approximate=approximate)


def _place(r: _Reader, raw: Any, path: str) -> Place:
    if raw is None:
        return Place()
    obj = r.obj(raw, path)
    r.unknown_keys(obj, path, {"site", "area", "country", "coordinates"})
    country = r.text(obj.get("country"), f"{path}.country")
    if country and not _COUNTRY.match(country):
        r.add(f"{path}.country", "must be a two-letter ISO 3166 code in capitals, like SL or CD")
    coords = None
    if obj.get("coordinates") is not None:
        cpath = f"{path}.coordinates"
        c = r.obj(obj["coordinates"], cpath)
        r.unknown_keys(c, cpath, {"lat_micro", "lon_micro", "source"})
        lat = r.integer(c.get("lat_micro"), f"{cpath}.lat_micro", -90_000_000, 90_000_000)
        lon = r.integer(c.get("lon_micro"), f"{cpath}.lon_micro", -180_000_000, 180_000_000)
        if c.get("lat_micro") is None:
            r.add(f"{cpath}.lat_micro", "is required")
        if c.get("lon_micro") is None:
            r.add(f"{cpath}.lon_micro", "is required")
        source = r.enum(c.get("source"), f"{cpath}.source", CoordinateSource, None)
        if c.get("source") is None:
            r.add(f"{cpath}.source", "is required (where the position came from)")
        if lat is not None and lon is not None and source is not None:
            coords = Coordinates(lat, lon, source)
    return Place(
        site=r.text(obj.get("site"), f"{path}.site"),
        area=r.text(obj.get("area"), f"{path}.area"),
        country=country,
        coordinates=coords,
    )


def _consent(r: _Reader, raw: Any, path: str) -> Consent | None:
    if raw is None:
        return None
    obj = r.obj(raw, path)
    r.unknown_keys(
        obj, path, {"given", "method", "recorded_on", "scope", "notes", "recording_sha256"}
    )
    if "given" not in obj:
        r.add(f"{path}.given", "is required")
    given = r.boolean(obj.get("given"), f"{path}.given")
    method = r.enum(obj.get("method"), f"{path}.method", ConsentMethod, None)
    if obj.get("method") is None:
        r.add(f"{path}.method", "is required (how consent was recorded)")
    recorded_on = r.text(obj.get("recorded_on"), f"{path}.recorded_on", required=True)
    if recorded_on and parse_iso_date(recorded_on) is None:
        r.add(f"{path}.recorded_on", "must be a date like 2026-10-03")
    scope_raw = r.obj(obj.get("scope", {}), f"{path}.scope")
    spath = f"{path}.scope"
    r.unknown_keys(
        scope_raw,
        spath,
        {"coalition_use", "share_with_kp", "publish_anonymised", "recontact", "identity_to_hq"},
    )
    scope = ConsentScope(
        coalition_use=r.boolean(scope_raw.get("coalition_use"), f"{spath}.coalition_use"),
        share_with_kp=r.boolean(scope_raw.get("share_with_kp"), f"{spath}.share_with_kp"),
        publish_anonymised=r.boolean(
            scope_raw.get("publish_anonymised"), f"{spath}.publish_anonymised"
        ),
        recontact=r.boolean(scope_raw.get("recontact"), f"{spath}.recontact"),
        identity_to_hq=r.boolean(scope_raw.get("identity_to_hq"), f"{spath}.identity_to_hq"),
    )
    recording = _recording(r, obj.get("recording_sha256"), f"{path}.recording_sha256", method)
    if method is None:
        return None
    return Consent(
        given=given,
        method=method,
        recorded_on=recorded_on,
        scope=scope,
        notes=r.text(obj.get("notes"), f"{path}.notes", limit=MAX_TEXT),
        recording_sha256=recording,
    )


def _recording(r: _Reader, value: Any, path: str, method: ConsentMethod | None) -> str:
    """The SHA-256 naming the recording of a spoken consent; refused with any other method (a
    link that is never valid is dropped, even in lenient mode: it is not something typed)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        r.add(path, "must be the SHA-256 of an audio attachment: 64 lowercase hex digits")
        return ""
    if method is not ConsentMethod.VERBAL_RECORDED:
        r.add(path, "names a recording, but consent was not spoken and audio recorded")
        return ""
    return value


def _identifying(r: _Reader, raw: Any, path: str) -> IdentifyingDetails | None:
    if raw is None:
        return None
    obj = r.obj(raw, path)
    r.unknown_keys(obj, path, {"full_name", "contact", "address", "notes"})
    details = IdentifyingDetails(
        full_name=r.text(obj.get("full_name"), f"{path}.full_name"),
        contact=r.text(obj.get("contact"), f"{path}.contact"),
        address=r.text(obj.get("address"), f"{path}.address", limit=2000),
        notes=r.text(obj.get("notes"), f"{path}.notes", limit=MAX_TEXT),
    )
    return None if details.is_empty() else details


def _witness(r: _Reader, raw: Any, path: str) -> WitnessFields | None:
    obj = r.obj(raw, path)
    r.unknown_keys(
        obj,
        path,
        {
            "id",
            "pseudonym",
            "age_group",
            "gender",
            "role",
            "identifying",
            "consent",
            "risk_notes",
            "send_identity",
            # What a sealed report holds instead of the details (``report show --json`` of a
            # sealed report): accepted and ignored, so show → new round-trips.
            "identity_sha256",
        },
    )
    wid = obj.get("id")
    if wid is not None and (not isinstance(wid, str) or not is_uuid(wid)):
        r.add(f"{path}.id", "must be the id of an existing witness")
        wid = None
    pseudonym = r.text(obj.get("pseudonym"), f"{path}.pseudonym", required=wid is None)
    return WitnessFields(
        id=WitnessId(wid) if wid else None,
        pseudonym=pseudonym,
        age_group=r.enum(obj.get("age_group"), f"{path}.age_group", AgeGroup, AgeGroup.UNKNOWN),
        gender=r.enum(obj.get("gender"), f"{path}.gender", Gender, Gender.UNDISCLOSED),
        role=r.enum(obj.get("role"), f"{path}.role", WitnessRole, WitnessRole.OTHER),
        identifying=_identifying(r, obj.get("identifying"), f"{path}.identifying"),
        consent=_consent(r, obj.get("consent"), f"{path}.consent"),
        risk_notes=r.text(obj.get("risk_notes"), f"{path}.risk_notes", limit=MAX_TEXT),
        send_identity=r.boolean(obj.get("send_identity"), f"{path}.send_identity"),
    )


REPORT_KEYS = {
    "schema",
    "title",
    "incident",
    "place",
    "narrative",
    "monitor_notes",
    "private_notes",
    "language",
    "witnesses",
}
# Keys that ``report show --json`` adds; accepted and ignored on input so show → new round-trips.
OUTPUT_KEYS = {
    "id",
    "status",
    "version",
    "amends",
    "created_at",
    "updated_at",
    "sealed_at",
    "attachments",
}


def parse_report_document(
    raw: Any,
    categories: set[str] | None = None,
    perpetrators: set[str] | None = None,
    *,
    lenient: bool = False,
) -> ReportDocument:
    """Validate a decoded JSON document; raises ValidationError listing every problem.

    ``lenient`` is for decoding the vault's own stored drafts: best effort, never raises for
    problems of content, never shortens text.
    """
    r = _Reader(lenient)
    obj = r.obj(raw, "document")
    if r.problems:
        raise ValidationError(N_("The report document is not valid."), r.problems)
    r.unknown_keys(obj, "", REPORT_KEYS | OUTPUT_KEYS)
    if obj.get("schema") != SCHEMA:
        r.add("schema", f'must be "{SCHEMA}"')
    incident = r.obj(obj.get("incident", {}), "incident")
    r.unknown_keys(incident, "incident", {"date", "categories", "perpetrators", "people_affected"})
    language = r.text(obj.get("language", "en"), "language")
    if language and not _LANG.match(language):
        r.add("language", "must be a language code like en, fr or pt")
    fields = ReportFields(
        title=r.text(obj.get("title"), "title"),
        incident_date=_incident_date(r, incident.get("date"), "incident.date"),
        place=_place(r, obj.get("place"), "place"),
        categories=r.ids(incident.get("categories"), "incident.categories", categories),
        perpetrators=r.ids(incident.get("perpetrators"), "incident.perpetrators", perpetrators),
        people_affected=r.integer(
            incident.get("people_affected"), "incident.people_affected", 0, 1_000_000
        ),
        narrative=r.text(obj.get("narrative"), "narrative", limit=MAX_TEXT),
        monitor_notes=r.text(obj.get("monitor_notes"), "monitor_notes", limit=MAX_TEXT),
        language=language or "en",
        private_notes=r.text(obj.get("private_notes"), "private_notes", limit=MAX_TEXT),
    )
    witnesses: list[WitnessFields] = []
    raw_w = obj.get("witnesses", [])
    if not isinstance(raw_w, list):
        r.add("witnesses", "must be a list")
        raw_w = []
    if len(raw_w) > MAX_WITNESSES:
        r.add("witnesses", f"at most {MAX_WITNESSES} witnesses in one report")
        raw_w = raw_w[:MAX_WITNESSES]
    for i, item in enumerate(raw_w):
        w = _witness(r, item, f"witnesses[{i}]")
        if w is not None:
            witnesses.append(w)
    if r.problems and not lenient:
        raise ValidationError(N_("The report document is not valid."), r.problems)
    return ReportDocument(report=fields, witnesses=tuple(witnesses))


# ---------------------------------------------------------------------------- rendering


def consent_doc(c: Consent | None) -> dict[str, Any] | None:
    if c is None:
        return None
    doc: dict[str, Any] = {
        "given": c.given,
        "method": c.method.value,
        "recorded_on": c.recorded_on,
        "scope": {
            "coalition_use": c.scope.coalition_use,
            "share_with_kp": c.scope.share_with_kp,
            "publish_anonymised": c.scope.publish_anonymised,
            "recontact": c.scope.recontact,
            "identity_to_hq": c.scope.identity_to_hq,
        },
        "notes": c.notes,
    }
    # Only when named: documents and seals made before this field are unchanged.
    if c.recording_sha256 and c.method is ConsentMethod.VERBAL_RECORDED:
        doc["recording_sha256"] = c.recording_sha256
    return doc


def witness_doc(
    w: Witness, *, sealed: bool = False, recordings: frozenset[str] | None = None
) -> dict[str, Any]:
    """A witness in document form. ``sealed``: what a seal signs, with the identifying details
    replaced by their salted hash (``identity_sha256``, null when there are none).
    ``recordings``: the SHA-256 of the report's audio attachments; a consent naming any other
    recording loses the link (the file was removed, or belongs to another report)."""
    c = w.consent
    if (
        c is not None
        and c.recording_sha256
        and recordings is not None
        and c.recording_sha256 not in recordings
    ):
        w = replace(w, consent=replace(c, recording_sha256=""))
    doc: dict[str, Any] = {
        "id": w.id,
        "pseudonym": w.pseudonym,
        "age_group": w.age_group.value,
        "gender": w.gender.value,
        "role": w.role.value,
        "consent": consent_doc(w.consent),
        "risk_notes": w.risk_notes,
    }
    if sealed:
        doc["identity_sha256"] = (
            None
            if w.identifying is None
            else identity_commitment(w.identity_salt, w.identifying)
        )
        return doc
    doc["send_identity"] = w.send_identity
    if w.identifying is not None:
        doc["identifying"] = identifying_doc(w.identifying)
    return doc


def place_doc(p: Place) -> dict[str, Any]:
    doc: dict[str, Any] = {"site": p.site, "area": p.area, "country": p.country}
    if p.coordinates is not None:
        doc["coordinates"] = {
            "lat_micro": p.coordinates.lat_micro,
            "lon_micro": p.coordinates.lon_micro,
            "source": p.coordinates.source.value,
        }
    return doc


def attachment_doc(a: Attachment) -> dict[str, Any]:
    c = a.claims
    return {
        "id": a.id,
        "kind": a.kind.value,
        "original_name": a.original_name,
        "size": a.size,
        "mime": a.mime,
        "sha256": a.sha256,
        "caption": a.caption,
        "imported_at": a.imported_at,
        "capture_claims": {
            k: v
            for k, v in {
                "taken_at": c.taken_at,
                "gps_lat_micro": c.gps_lat_micro,
                "gps_lon_micro": c.gps_lon_micro,
                "camera_make": c.camera_make,
                "camera_model": c.camera_model,
                "width": c.width,
                "height": c.height,
                "duration_ms": c.duration_ms,
            }.items()
            if v is not None
        },
    }


def audio_hashes(attachments: list[Attachment]) -> frozenset[str]:
    """The SHA-256 of a report's recordings: what a spoken consent's link may name."""
    return frozenset(a.sha256 for a in attachments if a.kind is AttachmentKind.AUDIO)


def report_doc(
    report: Report,
    witnesses: list[Witness],
    attachments: list[Attachment],
    *,
    sealed: bool = False,
) -> dict[str, Any]:
    """The report in document form: what ``report show --json`` prints for a draft, and (with
    ``sealed``) what sealing signs. Private notes are never part of it (see ``private_notes``)."""
    d = report.incident_date
    recordings = audio_hashes(attachments)
    return {
        "schema": SCHEMA,
        "id": report.id,
        "status": report.status.value,
        "version": report.version,
        "amends": report.amends,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "sealed_at": report.sealed_at,
        "title": report.title,
        "incident": {
            "date": None
            if d is None
            else {"date": d.value, "precision": d.precision.value, "approximate": d.approximate},
            "categories": list(report.categories),
            "perpetrators": list(report.perpetrators),
            "people_affected": report.people_affected,
        },
        "place": place_doc(report.place),
        "narrative": report.narrative,
        "monitor_notes": report.monitor_notes,
        "language": report.language,
        "witnesses": [witness_doc(w, sealed=sealed, recordings=recordings) for w in witnesses],
        "attachments": [attachment_doc(a) for a in attachments],
    }


def completeness_problems(report: Report, witnesses: list[Witness]) -> Problems:
    """What must still be filled in before a report can be sealed (empty list: complete)."""
    out: Problems = []
    if not report.title.strip():
        out.append(("title", "is required"))
    if report.incident_date is None:
        out.append(("incident.date", "is required"))
    if not report.categories:
        out.append(("incident.categories", "choose at least one category"))
    if not report.place.country:
        out.append(("place.country", "is required"))
    if not (report.place.site.strip() or report.place.area.strip()):
        out.append(("place.site", "give the site or the area"))
    if not report.narrative.strip():
        out.append(("narrative", "is required"))
    for w in witnesses:
        if w.consent is None:
            out.append((f"witness '{w.pseudonym}'", "consent has not been recorded"))
        elif not w.consent.given:
            out.append(
                (f"witness '{w.pseudonym}'", "declined consent: remove them from this report")
            )
        elif not w.consent.recorded_on:
            out.append((f"witness '{w.pseudonym}'", "the date consent was given is missing"))
        elif not w.consent.scope.any():
            out.append((f"witness '{w.pseudonym}'", NO_SCOPE))
    return out
