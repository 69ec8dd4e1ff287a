"""Records a monitor keeps: reports, witnesses with consent, attachments. Values only, no I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any

from kpfield.domain.ids import AttachmentId, ReportId, WitnessId


class VaultRole(enum.StrEnum):
    """What a vault is for: a monitor's laptop or the HQ desk (fixed when it is created)."""

    FIELD = "field"
    HQ = "hq"


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    SEALED = "sealed"
    EXPORTED = "exported"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"


class DatePrecision(enum.StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class CoordinateSource(enum.StrEnum):
    GPS_DEVICE = "gps_device"
    PHOTO_EXIF = "photo_exif"
    MAP = "map"
    ESTIMATED = "estimated"


class ConsentMethod(enum.StrEnum):
    WRITTEN = "written"
    VERBAL_RECORDED = "verbal_recorded"
    VERBAL_WITNESSED = "verbal_witnessed"
    THUMBPRINT = "thumbprint"


class AgeGroup(enum.StrEnum):
    CHILD = "under_18"
    YOUNG = "18_29"
    ADULT = "30_49"
    OLDER = "50_plus"
    UNKNOWN = "unknown"


class Gender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNDISCLOSED = "undisclosed"


class WitnessRole(enum.StrEnum):
    VICTIM = "victim"
    EYEWITNESS = "eyewitness"
    FAMILY = "family_member"
    COMMUNITY = "community_member"
    OFFICIAL = "official"
    OTHER = "other"


class AttachmentKind(enum.StrEnum):
    PHOTO = "photo"
    AUDIO = "audio"
    DOCUMENT = "document"


@dataclass(frozen=True)
class IncidentDate:
    """A date known to a day, a month or a year: ``2026-10-03``, ``2026-10`` or ``2026``."""

    value: str
    precision: DatePrecision
    approximate: bool = False


@dataclass(frozen=True)
class Coordinates:
    """WGS84 position in integer micro-degrees (no floats anywhere in sealed data)."""

    lat_micro: int
    lon_micro: int
    source: CoordinateSource


@dataclass(frozen=True)
class Place:
    site: str = ""
    area: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    coordinates: Coordinates | None = None


@dataclass(frozen=True)
class ConsentScope:
    coalition_use: bool = False
    share_with_kp: bool = False
    publish_anonymised: bool = False
    recontact: bool = False
    # The witness lets the coalition's HQ hold their name and how to reach them. Without it the
    # identifying details never leave the laptop, whatever the monitor chooses.
    identity_to_hq: bool = False

    def any(self) -> bool:
        """Whether the witness agreed to anything at all (given consent needs one scope)."""
        return (
            self.coalition_use
            or self.share_with_kp
            or self.publish_anonymised
            or self.recontact
            or self.identity_to_hq
        )

    def without(self, scopes: frozenset[str]) -> ConsentScope:
        """This scope with the named permissions withdrawn (names as in SCOPE_NAMES)."""
        return replace(self, **{name: False for name in scopes})


SCOPE_NAMES = (
    "coalition_use",
    "share_with_kp",
    "publish_anonymised",
    "recontact",
    "identity_to_hq",
)


@dataclass(frozen=True)
class Consent:
    given: bool
    method: ConsentMethod
    recorded_on: str  # ISO date
    scope: ConsentScope = field(default_factory=ConsentScope)
    notes: str = ""
    # Consent spoken and recorded: the SHA-256 (lowercase hex) of the report's audio attachment
    # that holds it, so HQ can find the evidence. Empty when not named (or not on this laptop:
    # a voice identifies the witness, so the recording may stay elsewhere).
    recording_sha256: str = ""


@dataclass(frozen=True)
class IdentifyingDetails:
    """Kept apart from the pseudonym; optional; never sealed (the seal holds a salted hash) and
    sent to HQ only when consent allows it and the monitor chose to."""

    full_name: str = ""
    contact: str = ""
    address: str = ""
    notes: str = ""

    def is_empty(self) -> bool:
        return not (self.full_name or self.contact or self.address or self.notes)


@dataclass(frozen=True)
class Witness:
    id: WitnessId
    pseudonym: str
    age_group: AgeGroup = AgeGroup.UNKNOWN
    gender: Gender = Gender.UNDISCLOSED
    role: WitnessRole = WitnessRole.OTHER
    identifying: IdentifyingDetails | None = None
    consent: Consent | None = None
    risk_notes: str = ""
    created_at: str = ""
    updated_at: str = ""
    # Per-witness random salt (hex) of the sealed commitment to the identifying details: without
    # it, a phone number could be recovered from its hash by trying them all.
    identity_salt: str = ""
    # The monitor's choice to send the identifying details to HQ (only effective with consent).
    send_identity: bool = False

    @property
    def identity_may_travel(self) -> bool:
        """Consent allows the identity at HQ, the monitor chose to send it, and there is one."""
        c = self.consent
        return (
            self.send_identity
            and self.identifying is not None
            and c is not None
            and c.given
            and c.scope.identity_to_hq
        )

    def with_changes(self, **changes: Any) -> Witness:
        return replace(self, **changes)


@dataclass(frozen=True)
class CaptureClaims:
    """What the file says about itself. Claims, not facts: cameras' clocks and GPS can be wrong."""

    taken_at: str | None = None
    gps_lat_micro: int | None = None
    gps_lon_micro: int | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    """A recording's length, where the file states it (WAV); other formats: unknown."""


@dataclass(frozen=True)
class Attachment:
    id: AttachmentId
    report_id: ReportId
    kind: AttachmentKind
    original_name: str
    size: int
    mime: str
    sha256: str
    claims: CaptureClaims
    imported_at: str
    has_thumbnail: bool = False
    caption: str = ""
    """The monitor's words about the file; sealed with the report."""


@dataclass(frozen=True)
class Report:
    id: ReportId
    status: ReportStatus
    title: str = ""
    incident_date: IncidentDate | None = None
    place: Place = field(default_factory=Place)
    categories: tuple[str, ...] = ()
    perpetrators: tuple[str, ...] = ()
    people_affected: int | None = None
    narrative: str = ""
    # Notes for HQ: sealed and sent with the report (what "monitor notes" always were).
    monitor_notes: str = ""
    language: str = "en"
    # Private notes: kept on this laptop only; never sealed, never in a bundle.
    private_notes: str = ""
    witness_ids: tuple[WitnessId, ...] = ()
    version: int = 1
    amends: ReportId | None = None
    created_at: str = ""
    updated_at: str = ""
    sealed_at: str | None = None

    @property
    def is_draft(self) -> bool:
        return self.status is ReportStatus.DRAFT

    def with_changes(self, **changes: Any) -> Report:
        return replace(self, **changes)


@dataclass(frozen=True)
class CustodyEntry:
    seq: int
    event: str
    report_id: ReportId | None
    at: str
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str
