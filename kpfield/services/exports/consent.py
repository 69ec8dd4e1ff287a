"""Consent at export: who may be named in which use, and which reports a use may carry.

Identifying details (names, contacts, addresses) never leave the vault in any export: they are
not even decoded into the records exports read. What consent decides is whether a witness
appears at all (pseudonym, role, age group, gender) and whether a report may be used.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from kpfield.errors import N_
from kpfield.services.exports.records import CaseRecord, WitnessRecord


class Use(enum.StrEnum):
    COALITION = "coalition"
    """CSV and JSON for the coalition's own analysis and its partners."""
    KP_BRIEF = "kp_brief"
    """The PDF brief for Kimberley Process working groups."""
    PUBLIC = "public"
    """The de-identified incident CSV, shaped for conflict-data analysts."""


def may_name(w: WitnessRecord, use: Use) -> bool:
    """Whether this witness may appear (by pseudonym) in an export of this use."""
    if use is Use.COALITION:
        return w.coalition_use
    if use is Use.KP_BRIEF:
        return w.share_with_kp
    return False  # the public incident file names nobody


def named(case: CaseRecord, use: Use) -> tuple[WitnessRecord, ...]:
    return tuple(w for w in case.witnesses if may_name(w, use))


# Reasons are stored in manifests in English (stable ids) and shown translated.
NO_KP_CONSENT = N_("a witness did not consent to sharing with Kimberley Process bodies")
NO_PUBLISH_CONSENT = N_("a witness did not consent to anonymised publication")
NO_COALITION_CONSENT = N_("a witness did not consent to use by the coalition")
OVERRIDDEN = N_("included by the analyst without consent to share with KP bodies")


_NEEDS = {
    Use.COALITION: ("coalition_use", NO_COALITION_CONSENT),
    Use.KP_BRIEF: ("share_with_kp", NO_KP_CONSENT),
    Use.PUBLIC: ("publish_anonymised", NO_PUBLISH_CONSENT),
}


def refusal(case: CaseRecord, use: Use) -> str | None:
    """Why this report may not be used this way, or None when it may.

    Every witness must allow the use (one who does not, or who never gave consent, is enough to
    leave the report out), as the desk's consent filter counts it. A report with no witness is
    the monitor's own observation and may be used.
    """
    scope, reason = _NEEDS[use]
    return None if all(getattr(w, scope) for w in case.witnesses) else reason


@dataclass(frozen=True)
class LeftOut:
    report_id: str
    reason: str


@dataclass(frozen=True)
class Selection:
    included: tuple[CaseRecord, ...]
    left_out: tuple[LeftOut, ...]
    overridden: tuple[str, ...]


def select(
    cases: Sequence[CaseRecord], use: Use, *, override: Sequence[str] = ()
) -> Selection:
    """Split cases into those the use may carry and those left out with their reason.

    ``override`` lists reports the analyst chose to include in a KP brief despite consent;
    only that refusal can be overridden (the caller logs it to the audit log).
    """
    wanted = set(override)
    inc: list[CaseRecord] = []
    out: list[LeftOut] = []
    forced: list[str] = []
    for c in cases:
        why = refusal(c, use)
        if why is None:
            inc.append(c)
        elif use is Use.KP_BRIEF and c.report_id in wanted:
            inc.append(c)
            forced.append(c.report_id)
        else:
            out.append(LeftOut(c.report_id, why))
    return Selection(tuple(inc), tuple(out), tuple(forced))
