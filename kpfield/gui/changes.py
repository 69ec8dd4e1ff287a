"""What a service call changed, for ``op.announces(...)``: service results mapped to Changes.

The services return their own results (a Report, an ExportResult…); these small mappers say which
screens care, so that each op announces its changes in one word at the call site.
"""

from __future__ import annotations

from typing import Any

from kpfield.domain.jobs import Changes
from kpfield.domain.models import Report

TRANSFERRED = Changes(report_list=True, transfers=True)
"""Bundles went out or came in: statuses of reports the result does not name may have changed."""

PROFILE_INSTALLED = Changes(profile=True)


def report_changed(report: Report) -> Changes:
    """One report was created, sealed or amended (a new version is a new row)."""
    return Changes.for_reports([report.id])


def transferred(result: Any) -> Changes:
    """Export, HQ import or receipts: any of their results, with what the result says it
    changed (an HQ import adds cases and inbox entries, so the desk's screens refresh too)."""
    own = getattr(result, "changes", None)
    return TRANSFERRED | own if isinstance(own, Changes) else TRANSFERRED


def profile_installed(_result: Any) -> Changes:
    return PROFILE_INSTALLED
