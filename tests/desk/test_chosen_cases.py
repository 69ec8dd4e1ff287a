"""Cases chosen on a chart bar or a map cluster: the filter narrows to them, in SQL."""

from __future__ import annotations

from kpfield.domain.desk import CaseFilter, CountBy
from kpfield.figures.charts import Bar, ChartSpec, bar_at, chart, limited
from tests.desk.world import Desk


def _english(s: str) -> str:
    return s


def test_a_filter_of_chosen_cases_is_ands_with_the_rest(desk: Desk) -> None:
    c = desk.s.cases
    every = c.ids()
    ao = c.ids(CaseFilter(country="AO"))
    chosen = CaseFilter(cases=(every[0], every[-1]))
    assert sorted(c.ids(chosen)) == sorted([every[0], every[-1]])
    both = c.ids(chosen.with_(country="AO"))
    assert set(both) == set(ao) & {every[0], every[-1]}
    assert c.ids(CaseFilter(cases=("not-an-id",))) == []
    assert chosen.as_dict() == {"cases": "2 chosen"}
    assert (
        c.counts(chosen, CountBy.COUNTRY)
        and sum(n for _k, n in c.counts(chosen, CountBy.COUNTRY)) == 2
    )


def test_every_bar_opens_the_cases_it_counts(desk: Desk) -> None:
    figures = desk.s.figures
    counts = figures.counts()
    specs = figures.specs(counts, gettext=_english)
    for spec in specs:
        by = CountBy(spec.key)
        for bar in spec.bars:
            ids = figures.bar_cases(by, bar.keys)
            assert len(ids) == bar.value, (spec.key, bar)
    ao = CaseFilter(country="AO")
    [sl_site] = [k for k, _n in counts[CountBy.SITE] if k.startswith("SL")]
    assert figures.bar_cases(CountBy.SITE, [sl_site], ao) == []
    months = [k for k, _n in counts[CountBy.MONTH]]
    assert len(figures.bar_cases(CountBy.MONTH, months)) == 3


def test_bar_at_finds_rows_and_columns_and_the_other_bar() -> None:
    bars = tuple(Bar(f"b{i}", i + 1, (f"k{i}",)) for i in range(15))
    rows = ChartSpec("category", "By category", bars)
    d = chart(rows, 600, 400)
    kept = limited(rows.bars, rows.other_label)
    assert kept[-1].keys == ("k0", "k1", "k2", "k3")  # the four smallest, summed
    rects = [it for it in d.items if getattr(it, "fill", "") == "#2f6690"]
    first = rects[0]
    hit = bar_at(rows, d, 5, first.y + first.h / 2)  # on the label, left of the bar
    assert hit is not None and hit.keys == kept[0].keys
    assert bar_at(rows, d, 300, 10) is None  # the title
    cols = ChartSpec("month", "By month", (Bar("2026-01", 2, ("2026-01",)),
                                           Bar("2026-02", 0, ("2026-02",))), columns=True)  # fmt: skip
    d = chart(cols, 600, 300)
    rects = [it for it in d.items if getattr(it, "fill", "") == "#2f6690"]
    zero = rects[1]
    got = bar_at(cols, d, zero.x + zero.w / 2, 200)
    assert got is not None and got.keys == ("2026-02",)
    empty = ChartSpec("site", "By site", ())
    assert bar_at(empty, chart(empty, 600, 300), 300, 150) is None
