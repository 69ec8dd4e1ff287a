"""The checks every bundle goes through at intake, in the order the reader makes them, and which
check a rejection failed (from its message template), so the inbox can show each one.
"""

from __future__ import annotations

from kpfield.domain.desk import (
    BUNDLE_CHECK_LABELS as LABELS,
)
from kpfield.domain.desk import (
    BUNDLE_CHECKS as ORDER,
)
from kpfield.domain.desk import (
    CHECK_FAILED as FAILED,
)
from kpfield.domain.desk import (
    CHECK_NOT_REACHED as NOT_REACHED,
)
from kpfield.domain.desk import (
    CHECK_PASSED as PASSED,
)

RECIPIENTS, SIGNATURE, SEQUENCE, HASHES, CUSTODY = ORDER
__all__ = ["FAILED", "LABELS", "NOT_REACHED", "ORDER", "PASSED", "failed_check", "results"]

# Keywords of the reader's and intake's rejection templates, most specific first.
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("does not exist", ""),
    ("cannot be read", ""),
    ("custody", CUSTODY),
    ("history was", CUSTODY),
    ("SHA256SUMS signature", SIGNATURE),
    ("seal of report", SIGNATURE),
    ("signature", SIGNATURE),
    ("signed by device", SIGNATURE),
    ("names a different key", SIGNATURE),
    ("among the recipients", RECIPIENTS),
    ("not addressed", RECIPIENTS),
    ("envelope", RECIPIENTS),
    ("decryption failed", RECIPIENTS),
    ("sequence", SEQUENCE),
    ("previous bundle", SEQUENCE),
    ("next bundle", SEQUENCE),
    ("chain is broken", SEQUENCE),
)


def failed_check(template: str) -> str:
    """Which check a rejection's message template belongs to: hashes for damage inside the
    archive, "" when the file could not even be opened."""
    for word, check in _KEYWORDS:
        if word in template:
            return check
    return HASHES


def results(status: str, failed: str | None) -> list[tuple[str, str]]:
    """(check, passed|failed|not reached) for every check of one bundle."""
    if status != "rejected":
        return [(c, PASSED) for c in ORDER]
    if failed not in ORDER:
        return [(c, FAILED if i == 0 else NOT_REACHED) for i, c in enumerate(ORDER)]
    at = ORDER.index(failed)
    return [
        (c, PASSED if i < at else FAILED if i == at else NOT_REACHED) for i, c in enumerate(ORDER)
    ]
