"""What an export reads of one imported report, decoded from its sealed JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kpfield.domain.document import parse_report_document
from kpfield.domain.models import Coordinates, IncidentDate, Place
from kpfield.vault.sealed_reports_store import SealedRow


@dataclass(frozen=True)
class WitnessRecord:
    """A witness as exports may see them: never their identifying details (not even read)."""

    pseudonym: str
    role: str
    age_group: str
    gender: str
    consent_given: bool
    coalition_use: bool
    share_with_kp: bool
    publish_anonymised: bool


@dataclass(frozen=True)
class PhotoRecord:
    attachment_id: str
    sha256: str
    mime: str
    kind: str


@dataclass(frozen=True)
class CaseRecord:
    report_id: str
    device_id: str
    device_name: str
    imported_at: str
    sha256: str
    version: int
    amends: str | None
    sealed_at: str
    title: str
    incident_date: IncidentDate | None
    place: Place
    categories: tuple[str, ...]
    perpetrators: tuple[str, ...]
    people_affected: int | None
    narrative: str
    monitor_notes: str
    language: str
    witnesses: tuple[WitnessRecord, ...]
    attachments: tuple[PhotoRecord, ...]
    review_state: str = ""

    @property
    def coordinates(self) -> Coordinates | None:
        return self.place.coordinates


def _witness(w: Any) -> WitnessRecord:
    consent = w.consent
    scope = consent.scope if consent is not None else None
    given = bool(consent is not None and consent.given)
    return WitnessRecord(
        pseudonym=w.pseudonym,
        role=w.role.value,
        age_group=w.age_group.value,
        gender=w.gender.value,
        consent_given=given,
        coalition_use=given and bool(scope and scope.coalition_use),
        share_with_kp=given and bool(scope and scope.share_with_kp),
        publish_anonymised=given and bool(scope and scope.publish_anonymised),
    )


def decode(row: SealedRow, review_state: str = "") -> CaseRecord:
    """The record of a sealed report (lenient: HQ already verified it; nothing is dropped)."""
    raw = json.loads(row.sealed_json.decode("utf-8"))
    doc = parse_report_document(raw, lenient=True)
    f = doc.report
    atts = tuple(
        PhotoRecord(str(a["id"]), str(a["sha256"]), str(a.get("mime", "")), str(a.get("kind", "")))
        for a in raw.get("attachments") or []
    )
    return CaseRecord(
        report_id=row.report_id,
        device_id=row.device_id,
        device_name=row.device_name,
        imported_at=row.imported_at,
        sha256=row.sha256,
        version=int(raw.get("version") or 1),
        amends=raw.get("amends"),
        sealed_at=str(raw.get("sealed_at") or ""),
        title=f.title,
        incident_date=f.incident_date,
        place=f.place,
        categories=f.categories,
        perpetrators=f.perpetrators,
        people_affected=f.people_affected,
        narrative=f.narrative,
        monitor_notes=f.monitor_notes,
        language=f.language,
        witnesses=tuple(_witness(w) for w in doc.witnesses),
        attachments=atts,
        review_state=review_state,
    )
