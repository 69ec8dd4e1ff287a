"""The report JSON document: precise messages for every kind of mistake."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpfield.app import default_taxonomy
from kpfield.domain.document import parse_report_document
from kpfield.errors import ValidationError

TAX = default_taxonomy()


def _problems(doc: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        parse_report_document(doc, TAX.category_ids, TAX.perpetrator_ids)
    return dict(info.value.problems)


def test_example_is_valid(example_doc: dict[str, Any]) -> None:
    parsed = parse_report_document(example_doc, TAX.category_ids, TAX.perpetrator_ids)
    assert parsed.report.place.coordinates is not None
    assert parsed.witnesses[0].consent is not None
    assert parsed.witnesses[0].consent.scope.share_with_kp


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        (["schema"], "other", "schema", "must be"),
        (["incident", "categories"], ["torture", "bogus"], "incident.categories[1]", "taxonomy"),
        (["incident", "categories"], ["torture", "torture"], "incident.categories[1]", "twice"),
        (["incident", "date", "date"], "2026-13-01", "incident.date.date", "real date"),
        (["incident", "date", "date"], "2999-01-01", "incident.date.date", "future"),
        (["incident", "date", "precision"], "month", "incident.date.date", "precision"),
        (["incident", "people_affected"], -1, "incident.people_affected", "between"),
        (["incident", "people_affected"], 2.5, "incident.people_affected", "whole number"),
        (["place", "country"], "Sierra Leone", "place.country", "ISO"),
        (
            ["place", "coordinates", "lat_micro"],
            91_000_000,
            "place.coordinates.lat_micro",
            "between",
        ),
        (["place", "coordinates", "source"], "guess", "place.coordinates.source", "one of"),
        (["narrative"], 42, "narrative", "text"),
        (["language"], "English", "language", "language code"),
        (
            ["witnesses", 0, "consent", "method"],
            "telepathy",
            "witnesses[0].consent.method",
            "one of",
        ),
        (
            ["witnesses", 0, "consent", "recorded_on"],
            "yesterday",
            "witnesses[0].consent.recorded_on",
            "date",
        ),
        (["witnesses", 0, "gender"], "x", "witnesses[0].gender", "one of"),
        (["witnesses", 0, "pseudonym"], "", "witnesses[0].pseudonym", "empty"),
        (["witnesses", 0, "id"], "not-a-uuid", "witnesses[0].id", "existing witness"),
        (["narrative"], "a" * 200_001, "narrative", "too long"),
        (["title"], "nul\x00byte", "title", "NUL"),
    ],
)
def test_precise_problem(
    example_doc: dict[str, Any], path: list[Any], value: Any, field: str, words: str
) -> None:
    doc = copy.deepcopy(example_doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    problems = _problems(doc)
    assert field in problems, problems
    assert words in problems[field]


def test_unknown_field_is_named(example_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(example_doc)
    doc["witnesses"][0]["nickname"] = "x"
    assert "witnesses[0].nickname" in _problems(doc)


def test_all_problems_reported_at_once(example_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(example_doc)
    doc["place"]["country"] = "xx"
    doc["incident"]["categories"] = ["nope"]
    assert len(_problems(doc)) >= 2


def test_not_an_object() -> None:
    assert "document" in _problems([1, 2])


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=5),
        max_leaves=20,
    )
)
def test_random_documents_never_crash(doc: Any) -> None:
    try:
        parse_report_document(doc, TAX.category_ids, TAX.perpetrator_ids)
    except ValidationError:
        pass
