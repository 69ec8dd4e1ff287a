"""Positions as people type them: DMS, decimal, hemisphere letters; integer micro-degrees."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpfield.domain.position import Axis, format_degrees, parse_coordinate, parse_position

LAT, LON = Axis.LATITUDE, Axis.LONGITUDE


@pytest.mark.parametrize(
    ("text", "axis", "micro"),
    [
        ("8°38'35\"N", LAT, 8_643_056),
        ("8° 38' 35\" N", LAT, 8_643_056),
        ("8°38′35″N", LAT, 8_643_056),
        ("8 38 35 N", LAT, 8_643_056),
        ("N 8 38 35", LAT, 8_643_056),
        ("8°38.583'N", LAT, 8_643_050),
        ("8.643210", LAT, 8_643_210),
        ("8,643210", LAT, 8_643_210),
        ("8.6432 S", LAT, -8_643_200),
        ("10°58'16\"W", LON, -10_971_111),
        ("10°58'16\"O", LON, -10_971_111),  # ouest / oeste
        ("10 58 16 E", LON, 10_971_111),
        ("10 58 16 L", LON, 10_971_111),  # leste
        ("-10.971230", LON, -10_971_230),
        ("+10.5", LON, 10_500_000),
    ],
)
def test_accepted_forms(text: str, axis: Axis, micro: int) -> None:
    assert parse_coordinate(text, axis) == micro


@pytest.mark.parametrize(
    ("text", "axis"),
    [
        ("", LAT), ("abc", LAT), ("91", LAT), ("181", LON), ("8°60'N", LAT), ("8°38'60\"N", LAT),
        ("-8 S", LAT), ("8.5°30'", LAT), ("10 W", LAT), ("8 N", LON), ("near the river", LAT),
        ("8°38'35\"N 10°58'16\"W", LAT),
    ],
)
def test_refused_forms(text: str, axis: Axis) -> None:
    assert parse_coordinate(text, axis) is None


def test_pairs_pasted_together() -> None:
    assert parse_position("8°38'35\"N 10°58'16\"W") == (8_643_056, -10_971_111)
    assert parse_position("8.64, -10.97") == (8_640_000, -10_970_000)
    assert parse_position("8,64; -10,97") == (8_640_000, -10_970_000)
    assert parse_position("8.64") is None


@given(st.integers(-90_000_000, 90_000_000))
def test_decimal_round_trip(micro: int) -> None:
    assert parse_coordinate(format_degrees(micro), LAT) == micro


@given(
    st.integers(0, 179), st.integers(0, 59), st.integers(0, 59), st.sampled_from("EWOL"),
)
def test_dms_matches_arithmetic(d: int, m: int, s: int, letter: str) -> None:
    sign = -1 if letter in "WO" else 1
    expected = sign * round((d * 3600 + m * 60 + s) * 1_000_000 / 3600)
    got = parse_coordinate(f"{d}°{m}'{s}\"{letter}", LON)
    assert got is not None and abs(got - expected) <= 1
