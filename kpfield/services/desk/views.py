"""What the desk shows: frozen values read from the case index, a sealed report and the audit log.

Nothing here touches the vault; :mod:`.listing`, :mod:`.reading` and :mod:`.review` build them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from kpfield.domain.desk import HIGHLIGHT_END, HIGHLIGHT_START
from kpfield.hq import audit
from kpfield.vault.desk_store import AuditRecord, CaseRecord


@dataclass(frozen=True)
class CaseRow:
    """One line of the cases list."""

    report_id: str
    case_no: int
    title: str
    incident_date: str
    country: str
    area: str
    site: str
    device_id: str
    device_name: str
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
    snippet: str = ""
    """Text around the search match, the matched words between HIGHLIGHT_START/END marks."""

    def snippet_html(self) -> str:
        """The snippet as HTML with matches in <b>, everything else escaped."""
        return escape(self.snippet).replace(HIGHLIGHT_START, "<b>").replace(HIGHLIGHT_END, "</b>")

    def snippet_text(self) -> str:
        """The snippet as plain text with matches in «»."""
        return self.snippet.replace(HIGHLIGHT_START, "«").replace(HIGHLIGHT_END, "»")


def case_row(r: CaseRecord) -> CaseRow:
    return CaseRow(
        r.report_id, r.case_no, r.title, r.incident_date, r.country, r.area, r.site,
        r.device_id, r.device_name, r.categories, r.perpetrators, r.people_affected,
        r.witnesses, r.photos, r.version, r.amends, r.verification, r.review_state,
        r.review_reason, r.imported_at, r.snippet,
    )  # fmt: skip


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class WitnessView:
    """A witness as the desk shows it: never the identity (see :meth:`CaseService.reveal`)."""

    witness_id: str
    pseudonym: str
    age_group: str
    gender: str
    role: str
    consent: dict[str, bool]
    has_identity: bool
    """Identifying details travelled with the report (revealing them is logged)."""
    consent_method: str = ""
    recording_sha256: str = ""
    """The SHA-256 of the audio attachment holding a spoken consent ("" when none is named)."""
    identity_apart: bool = False
    """HQ holds them apart from the seal (bundle format 2), so an analyst may delete them;
    otherwise they are inside the sealed report and stay there."""


@dataclass(frozen=True)
class AttachmentView:
    attachment_id: str
    kind: str
    mime: str
    original_name: str
    size: int
    sha256: str
    claims: dict[str, Any]
    flags: tuple[str, ...]
    """"time" / "gps" where the capture claims disagree with the report's date or place."""
    stored: bool
    caption: str = ""
    """The monitor's caption, sealed with the report (empty in reports sealed before captions)."""


@dataclass(frozen=True)
class CustodyStep:
    at: str
    event: str
    detail: str


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class CaseView:
    """One case in full: the parsed sealed report and what HQ knows about it."""

    report_id: str
    case_no: int
    device_id: str
    device_name: str
    device_fingerprint: str
    version: int
    sha256: str
    document: dict[str, Any]
    """The sealed report as signed (witness identities removed; see ``reveal``)."""
    title: str
    narrative: str
    monitor_notes: str
    incident_date: str
    date_precision: str
    place: dict[str, Any]
    categories: tuple[str, ...]
    perpetrators: tuple[str, ...]
    people_affected: int | None
    witnesses: tuple[WitnessView, ...]
    attachments: tuple[AttachmentView, ...]
    checks: tuple[Check, ...]
    verification: str
    custody: tuple[CustodyStep, ...]
    amends: str | None
    amended_by: tuple[str, ...]
    changes: tuple[FieldChange, ...]
    """What changed from the version this one amends (empty for a first version)."""
    review_state: str
    review_reason: str
    links: tuple[str, ...]
    notes: tuple[tuple[str, str], ...]
    imported_at: str
    consent: tuple[str, ...] = field(default=())
    """The uses every witness allows."""


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    action: str
    report_id: str | None
    details: dict[str, Any]
    entry_hash: str


def audit_entry(r: AuditRecord) -> AuditEntry:
    return AuditEntry(r.seq, r.at, r.action, r.report_id, audit.details(r), r.entry_hash)
