"""The HQ desk's cases (Qt-free): filter, page, read, review, link, annotate, audit.

``CaseService.ids(filter, sort)`` runs one SQL query and returns report ids; ``rows(ids)`` reads one
page of them; ``report(id)`` reads one case in full. Every analyst action (review state, link,
note, identity reveal, and exports or overrides logged by their services through
:meth:`CaseService.log_action`) is written to the hash-chained audit log in the same transaction.

One part per use case, one module each: :mod:`.listing` (the cases list), :mod:`.reading` (one
case in full), :mod:`.review` (analyst actions and the audit log); :mod:`.views` holds the values
they return. :class:`CaseService` is all three on one vault, as the session hands it out.
"""

from __future__ import annotations

from kpfield.domain.desk import (
    ALL_CASES,
    CaseFilter,
    CaseSort,
    ConsentUse,
    CountBy,
    ReviewState,
    VerificationState,
)
from kpfield.services.desk.listing import CaseListing
from kpfield.services.desk.reading import CaseReading, diff
from kpfield.services.desk.review import CaseReview
from kpfield.services.desk.views import (
    AttachmentView,
    AuditEntry,
    CaseRow,
    CaseView,
    Check,
    CustodyStep,
    FieldChange,
    WitnessView,
)

__all__ = [
    "ALL_CASES",
    "AttachmentView",
    "AuditEntry",
    "CaseFilter",
    "CaseRow",
    "CaseService",
    "CaseSort",
    "CaseView",
    "Check",
    "ConsentUse",
    "CountBy",
    "CustodyStep",
    "FieldChange",
    "ReviewState",
    "VerificationState",
    "WitnessView",
    "diff",
]


class CaseService(CaseListing, CaseReading, CaseReview):
    """Every imported report as a case: filter, page, read, review, link, annotate."""
