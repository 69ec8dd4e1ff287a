"""The desk's charts and map for the current filter, as Qt-free drawings and specs.

Counts come from the desk's SQL (:meth:`CaseService.counts`), coordinates from the sealed
reports inside SQLite; labels are put in the reader's language here, so the GUI, the SVG/PNG
files and the PDF brief show the same words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import cached_property

from kpfield.domain.desk import ALL_CASES, CaseFilter, CaseSort, CountBy
from kpfield.domain.taxonomy import Taxonomy
from kpfield.figures.charts import Bar, ChartSpec
from kpfield.figures.geo import Country, MapPoint, load_countries
from kpfield.i18n import N_
from kpfield.paths import resources_dir
from kpfield.services.desk import CaseService
from kpfield.services.exports.records import CaseRecord
from kpfield.vault.sealed_reports_store import SealedReportsStore
from kpfield.vault.vault import Vault

Gettext = Callable[[str], str]

CHART_TITLES: dict[CountBy, str] = {
    CountBy.CATEGORY: N_("Incidents by category"),
    CountBy.MONTH: N_("Incidents by month"),
    CountBy.COUNTRY: N_("Incidents by country"),
    CountBy.SITE: N_("Incidents by site"),
    CountBy.PERPETRATOR: N_("Incidents by perpetrator type"),
}
CHARTS = (CountBy.CATEGORY, CountBy.MONTH, CountBy.COUNTRY, CountBy.SITE, CountBy.PERPETRATOR)


class FigureService:
    def __init__(self, vault: Vault, cases: CaseService, taxonomy: Taxonomy) -> None:
        self._vault = vault
        self._cases = cases
        self._taxonomy = taxonomy

    @cached_property
    def countries(self) -> tuple[Country, ...]:
        """The bundled Natural Earth shapes (read once per session)."""
        return load_countries(resources_dir() / "maps" / "countries.geojson")

    def country_name(self, code: str, language: str) -> str:
        for c in self.countries:
            if c.code == code:
                return c.name(language)
        return code

    def counts(
        self, filter: CaseFilter = ALL_CASES  # noqa: A002
    ) -> dict[CountBy, list[tuple[str, int]]]:
        """What every chart counts (SQL; on the store lane). :meth:`specs` labels them."""
        return {by: self._cases.counts(filter, by) for by in CHARTS}

    def specs(
        self,
        counts: dict[CountBy, list[tuple[str, int]]],
        *,
        gettext: Gettext,
        language: str = "en",
    ) -> tuple[ChartSpec, ...]:
        """The charts of :meth:`counts`, labelled (no SQL: fit for the compute lane)."""
        return tuple(self._spec(by, counts[by], gettext, language) for by in CHARTS)

    def bar_cases(
        self,
        by: CountBy,
        keys: Sequence[str],
        filter: CaseFilter = ALL_CASES,  # noqa: A002
    ) -> list[str]:
        """The ids of the cases matching ``filter`` that one bar (its ``keys``) counts."""
        return self._cases.ids_with_keys(filter, by, keys)

    def _label(self, by: CountBy, key: str, gettext: Gettext, language: str) -> str:
        if not key:
            return gettext("(not given)")
        if by in (CountBy.CATEGORY, CountBy.PERPETRATOR):
            return gettext(self._taxonomy.label(key))
        if by is CountBy.COUNTRY:
            return self.country_name(key, language)
        if by is CountBy.SITE:
            country, _sep, site = key.partition(" · ")
            return f"{site or gettext('(not given)')} ({country})" if country else site
        return key

    def chart(
        self,
        by: CountBy,
        filter: CaseFilter = ALL_CASES,  # noqa: A002 - the desk's word
        *,
        gettext: Gettext,
        language: str = "en",
    ) -> ChartSpec:
        """One chart of the cases matching ``filter``, its labels in the reader's language."""
        return self._spec(by, self._cases.counts(filter, by), gettext, language)

    def _spec(
        self, by: CountBy, counts: Sequence[tuple[str, int]], gettext: Gettext, language: str
    ) -> ChartSpec:
        bars = tuple(
            Bar(self._label(by, key, gettext, language), n, (key,)) for key, n in counts
        )
        return ChartSpec(
            key=by.value,
            title=gettext(CHART_TITLES[by]),
            bars=bars,
            columns=by is CountBy.MONTH,
            other_label=gettext("Other"),
            empty_label=gettext("No incidents match the filter"),
        )

    def charts(
        self,
        filter: CaseFilter = ALL_CASES,  # noqa: A002
        *,
        gettext: Gettext,
        language: str = "en",
    ) -> tuple[ChartSpec, ...]:
        return tuple(self.chart(by, filter, gettext=gettext, language=language) for by in CHARTS)

    def charts_of(
        self, cases: Sequence[CaseRecord], *, gettext: Gettext, language: str = "en"
    ) -> tuple[ChartSpec, ...]:
        """The same charts counted over these records (a brief charts only what it holds)."""
        return tuple(
            self._spec(by, _count(cases, by), gettext, language) for by in CHARTS
        )

    def map_points(self, filter: CaseFilter = ALL_CASES) -> list[MapPoint]:  # noqa: A002
        """Where the matching cases happened (cases without coordinates are not on the map)."""
        ids = self._cases.ids(filter, CaseSort.IMPORTED)
        store = SealedReportsStore(self._vault.conn)
        return [MapPoint(rid, lat, lon) for rid, lat, lon in store.coordinates(ids)]


def _keys(c: CaseRecord, by: CountBy) -> tuple[str, ...]:
    if by is CountBy.CATEGORY:
        return c.categories
    if by is CountBy.PERPETRATOR:
        return c.perpetrators
    if by is CountBy.MONTH:
        return (c.incident_date.value[:7] if c.incident_date else "",)
    if by is CountBy.COUNTRY:
        return (c.place.country,)
    return (f"{c.place.country} · {c.place.site}",)


def _count(cases: Sequence[CaseRecord], by: CountBy) -> list[tuple[str, int]]:
    """As the desk's SQL counts: months ascending, the others by count descending, then key."""
    n = Counter(k for c in cases for k in _keys(c, by))
    if by is CountBy.MONTH:
        return sorted(n.items())
    return sorted(n.items(), key=lambda kv: (-kv[1], kv[0]))
