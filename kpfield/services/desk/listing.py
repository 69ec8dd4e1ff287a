"""The cases list: index imported reports, filter and sort them in SQL, read one page of rows."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kpfield.domain.desk import (
    ALL_CASES,
    CaseFilter,
    CaseSort,
    ConsentUse,
    CountBy,
    ReviewState,
    VerificationState,
)
from kpfield.errors import N_, NotFound, UsageError
from kpfield.hq import cases
from kpfield.services.desk.base import CaseBase
from kpfield.services.desk.views import CaseRow, case_row
from kpfield.vault.db import transaction

log = logging.getLogger(__name__)


class CaseListing(CaseBase):
    """Which cases there are: ids in filter and sort order (one query), rows, counts, choices."""

    # ------------------------------------------------------------------ index
    def ensure_indexed(self) -> int:
        """Index imported reports the desk has not indexed yet (vaults older than the desk)."""
        done = 0
        while batch := self._store.unindexed_reports():
            with transaction(self._vault.conn):
                for rid, dev, version, sealed, imported_at in batch:
                    cases.index_report(self._store, rid, dev, version, sealed, imported_at)
            done += len(batch)
        if done:
            log.info("indexed %d imported reports", done)
        return done

    # ------------------------------------------------------------------ lists
    def ids(
        self,
        filter: CaseFilter = ALL_CASES,  # noqa: A002 - the word the desk uses
        sort: CaseSort = CaseSort.INCIDENT_DATE,
        *,
        descending: bool = True,
    ) -> list[str]:
        """Report ids matching ``filter``, in ``sort`` order (one SQL query)."""
        check_filter(filter)
        return self._store.case_ids(filter, sort, descending)

    def rows(self, ids: Sequence[str], *, highlight: str = "") -> list[CaseRow]:
        """The rows of ``ids`` (one page), in that order; snippets of ``highlight`` if given."""
        return [case_row(r) for r in self._store.case_records(ids, highlight)]

    def counts(
        self,
        filter: CaseFilter = ALL_CASES,  # noqa: A002
        by: CountBy = CountBy.CATEGORY,
    ) -> list[tuple[str, int]]:
        """(key, number of cases) for the cases matching ``filter``; months ascending, the
        others by count descending. A case with two categories counts once in each."""
        check_filter(filter)
        return self._store.counts(filter, by)

    def ids_with_keys(
        self,
        filter: CaseFilter,  # noqa: A002
        by: CountBy,
        keys: Sequence[str],
    ) -> list[str]:
        """Ids of the cases matching ``filter`` that :meth:`counts` counts under ``keys``."""
        check_filter(filter)
        return self._store.ids_with_keys(filter, by, keys)

    def resolve(self, prefix: str) -> str:
        """A report id from an unambiguous prefix (at least 4 characters)."""
        prefix = prefix.strip().lower()
        ok = len(prefix) >= 4 and all(ch in "0123456789abcdef-" for ch in prefix)
        ids = self._store.ids_with_prefix(prefix) if ok else []
        if len(ids) == 1:
            return ids[0]
        if ids:
            raise UsageError(N_("The id {id} matches more than one case."), id=prefix)
        raise NotFound(N_("No imported report has the id {id}."), id=prefix)

    def total(self) -> int:
        return self._store.count_all()

    def choices(self, what: str) -> list[str]:
        """Values present for a filter field: "country", "site" or "device"."""
        return self._store.distinct(what)


def check_filter(f: CaseFilter) -> None:
    """Refuse a filter that names a review state, verification or consent scope not known."""
    if f.review and f.review not in {s.value for s in ReviewState}:
        raise UsageError(N_("Unknown review state {state}."), state=f.review)
    if f.verification and f.verification not in {s.value for s in VerificationState}:
        raise UsageError(N_("Unknown verification state {state}."), state=f.verification)
    if f.consent and f.consent not in {s.value for s in ConsentUse}:
        raise UsageError(N_("Unknown consent scope {scope}."), scope=f.consent)
