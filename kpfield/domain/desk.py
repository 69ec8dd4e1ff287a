"""Values of the HQ desk: the case filter, sort orders, review and verification states. No I/O.

A :class:`CaseFilter` is what the cases list, the charts, the map and the exports all follow; the
store turns it into SQL that returns report ids (as Anki's browser does), so nothing loads every
case to filter it in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from kpfield.errors import N_


class ReviewState(StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    VERIFIED = "verified"
    NEEDS_FOLLOW_UP = "needs_follow_up"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


REVIEW_LABELS: dict[ReviewState, str] = {
    ReviewState.NEW: N_("New"),
    ReviewState.IN_REVIEW: N_("In review"),
    ReviewState.VERIFIED: N_("Verified"),
    ReviewState.NEEDS_FOLLOW_UP: N_("Needs follow-up"),
    ReviewState.DUPLICATE: N_("Duplicate"),
    ReviewState.REJECTED: N_("Rejected"),
}

REASON_REQUIRED = frozenset({ReviewState.DUPLICATE, ReviewState.REJECTED})
"""States that need a reason written down (the others may have one)."""


class VerificationState(StrEnum):
    VERIFIED = "verified"
    """Every check passed at import and nothing in the photos disagrees with the report."""
    FLAGGED = "flagged"
    """Every check passed, but a photo's EXIF time or GPS disagrees with the report."""


VERIFICATION_LABELS: dict[VerificationState, str] = {
    VerificationState.VERIFIED: N_("Verified"),
    VerificationState.FLAGGED: N_("Verified, with flags"),
}


class ConsentUse(StrEnum):
    """A use of a report that every one of its witnesses must have consented to."""

    COALITION_USE = "coalition_use"
    SHARE_WITH_KP = "share_with_kp"
    PUBLISH_ANONYMISED = "publish_anonymised"
    RECONTACT = "recontact"


CONSENT_LABELS: dict[ConsentUse, str] = {
    ConsentUse.COALITION_USE: N_("Use by the coalition"),
    ConsentUse.SHARE_WITH_KP: N_("Share with KP bodies"),
    ConsentUse.PUBLISH_ANONYMISED: N_("Publish anonymised"),
    ConsentUse.RECONTACT: N_("Re-contact"),
}


BUNDLE_CHECKS = ("recipients", "signature", "sequence", "hashes", "custody")
"""The checks intake makes on every bundle, in the order it makes them."""
BUNDLE_CHECK_LABELS: dict[str, str] = {
    "recipients": N_("Addressed to this HQ (recipients)"),
    "signature": N_("Signed by an enrolled device (signature)"),
    "sequence": N_("In sequence with the device's other bundles"),
    "hashes": N_("Every file matches its SHA-256 (hashes)"),
    "custody": N_("Custody chain intact"),
}
CHECK_PASSED, CHECK_FAILED, CHECK_NOT_REACHED = "passed", "failed", "not reached"
CHECK_RESULT_LABELS: dict[str, str] = {
    CHECK_PASSED: N_("passed"),
    CHECK_FAILED: N_("failed"),
    CHECK_NOT_REACHED: N_("not checked (an earlier check failed)"),
}


class CaseSort(StrEnum):
    INCIDENT_DATE = "incident_date"
    IMPORTED = "imported"
    TITLE = "title"
    COUNTRY = "country"
    SITE = "site"
    DEVICE = "device"
    REVIEW = "review"
    RELEVANCE = "relevance"
    """Best full-text match first (only with a text filter; else incident date)."""


class CountBy(StrEnum):
    CATEGORY = "category"
    MONTH = "month"
    COUNTRY = "country"
    SITE = "site"
    PERPETRATOR = "perpetrator"


@dataclass(frozen=True)
class CaseFilter:
    """Which cases to show. Empty strings mean "any"; every set field must match (AND).

    Dates are ISO (``YYYY-MM-DD``), inclusive, compared with the incident date. ``consent`` is a
    :class:`ConsentUse` that every witness of the report allows. ``text`` is a full-text query
    over title, narrative, notes for HQ, place and witness pseudonyms; accents are ignored.
    """

    category: str = ""
    perpetrator: str = ""
    country: str = ""
    site: str = ""
    date_from: str = ""
    date_to: str = ""
    device: str = ""
    consent: str = ""
    verification: str = ""
    review: str = ""
    text: str = ""
    cases: tuple[str, ...] = ()
    """Only these report ids (the cases under a chart bar or a map cluster); empty: any."""

    def with_(self, **changes: Any) -> CaseFilter:
        return replace(self, **changes)

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def as_dict(self) -> dict[str, str]:
        """The fields that are set (for a JSON manifest or an audit entry). Cases chosen on a
        chart or the map are given by their number; the manifest lists every report anyway."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}
        if self.cases:
            out["cases"] = f"{len(self.cases)} chosen"
        return out


@dataclass(frozen=True)
class CaseIndex:
    """What the desk indexes of one imported report (derived from its sealed JSON)."""

    report_id: str
    device_id: str
    title: str
    incident_date: str
    country: str
    area: str
    site: str
    categories: tuple[str, ...]
    perpetrators: tuple[str, ...]
    consent: tuple[str, ...]
    people_affected: int | None
    witnesses: tuple[str, ...]
    photos: int
    version: int
    amends: str | None
    verification: VerificationState
    sealed_at: str
    imported_at: str
    narrative: str
    notes: str


ALL_CASES = CaseFilter()

HIGHLIGHT_START = "\ue000"
HIGHLIGHT_END = "\ue001"
"""Private-use marks around matched words in a snippet; CaseRow renders them as HTML or «»."""
