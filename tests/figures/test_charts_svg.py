"""Charts as drawings and SVG: labels and values present, well-formed, deterministic."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from kpfield.figures.charts import MAX_BARS, Bar, ChartSpec, chart, limited, nice_step
from kpfield.figures.drawing import Text
from kpfield.figures.svg import to_svg

SVG = "{http://www.w3.org/2000/svg}"
SPEC = ChartSpec(
    "category", "Incidents par catégorie",
    (Bar("Abus de sécurité privée", 14), Bar("Torture & <mauvais> traitements", 9)),
)  # fmt: skip


def test_svg_is_well_formed_and_holds_the_labels_and_values() -> None:
    root = ET.fromstring(to_svg(chart(SPEC, 660, 330)))  # noqa: S314 - our own output
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Incidents par catégorie" in texts
    assert "Abus de sécurité privée" in texts
    assert "Torture & <mauvais> traitements" in texts
    assert {"14", "9"} <= set(texts)
    assert root.find(f"{SVG}title").text == "Incidents par catégorie"  # type: ignore[union-attr]


def test_same_input_same_svg_bytes() -> None:
    assert to_svg(chart(SPEC, 660, 330)) == to_svg(chart(SPEC, 660, 330))


def test_an_empty_chart_says_so() -> None:
    spec = ChartSpec("month", "By month", (), columns=True, empty_label="Nothing matches")
    texts = [i.text for i in chart(spec, 400, 300).items if isinstance(i, Text)]
    assert "Nothing matches" in texts


def test_many_bars_keep_the_largest_and_sum_the_rest() -> None:
    bars = [Bar(f"s{i}", i) for i in range(30)]
    out = limited(bars, "Other")
    assert len(out) == MAX_BARS
    assert out[-1] == Bar("Other", sum(range(30 - MAX_BARS + 1)))
    assert sum(b.value for b in out) == sum(range(30))


@given(st.integers(min_value=1, max_value=10**7))
def test_nice_steps_are_round_and_give_few_ticks(top: int) -> None:
    step = nice_step(top)
    assert str(step).strip("0") in {"1", "2", "5"}
    assert 1 <= -(-top // step) <= 10


@given(st.lists(st.tuples(st.text(max_size=40), st.integers(0, 10**6)), max_size=40),
       st.booleans())
def test_any_counts_give_a_parseable_svg(rows: list[tuple[str, int]], columns: bool) -> None:
    spec = ChartSpec("x", "t", tuple(Bar(label, n) for label, n in rows), columns=columns)
    text = to_svg(chart(spec, 500, 300))
    clean = all(ch.isprintable() for label, _ in rows for ch in label)
    if clean:
        ET.fromstring(text)  # noqa: S314 - our own output
