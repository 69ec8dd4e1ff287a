"""The offline map: the projection, clustering and click hit-testing."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpfield.figures.geo import (
    CLUSTER_RADIUS,
    Cluster,
    MapPoint,
    cluster,
    country_at,
    fit,
    hit,
    incident_map,
    load_countries,
    reading_order,
)
from kpfield.figures.svg import to_svg

MAPS = Path(__file__).resolve().parents[2] / "resources" / "maps" / "countries.geojson"
BOUNDS = (-14.0, 4.0, 0.0, 12.0)  # Sierra Leone to Ghana


def test_the_fitted_view_holds_the_bounds_inside_the_margins() -> None:
    p = fit(BOUNDS, 800, 500, margin=20)
    corners = [p.project(lon, lat) for lon in BOUNDS[::2] for lat in BOUNDS[1::2]]
    assert all(19.99 <= x <= 780.01 and 19.99 <= y <= 480.01 for x, y in corners)
    x0, y0 = p.project(BOUNDS[0], BOUNDS[3])
    x1, y1 = p.project(BOUNDS[2], BOUNDS[1])
    assert y0 < y1 and x0 < x1  # north is up, east is right
    assert math.isclose(p.project(-7.0, 8.0)[0], 400)  # centred


@given(st.floats(-30, 30), st.floats(-30, 30))
def test_unproject_inverts_project(lon: float, lat: float) -> None:
    p = fit(BOUNDS, 800, 500)
    back = p.unproject(*p.project(lon, lat))
    assert back == pytest.approx((lon, lat), abs=1e-9)


def test_points_close_on_screen_cluster_and_far_ones_do_not() -> None:
    p = fit(BOUNDS, 800, 500)
    near = [MapPoint(f"a{i}", 8_600_000 + i * 1000, -11_000_000) for i in range(5)]
    far = [MapPoint("b", 6_000_000, -2_000_000)]
    clusters = cluster([*far, *near], p)
    assert sorted(c.count for c in clusters) == [1, 5]
    big = next(c for c in clusters if c.count == 5)
    assert big.report_ids == tuple(f"a{i}" for i in range(5))


@given(st.lists(st.tuples(st.integers(-2_000_000, 2_000_000), st.integers(-2_000_000,
       2_000_000)), max_size=60))
def test_every_point_is_in_exactly_one_cluster_near_it(coords: list[tuple[int, int]]) -> None:
    pts = [MapPoint(f"r{i:03}", 8_000_000 + a, -8_000_000 + b) for i, (a, b) in enumerate(coords)]
    p = fit(BOUNDS, 800, 500)
    clusters = cluster(pts, p)
    ids = [i for c in clusters for i in c.report_ids]
    assert sorted(ids) == sorted(x.report_id for x in pts)
    where = {x.report_id: p.project_micro(x) for x in pts}
    for c in clusters:
        for rid in c.report_ids:
            x, y = where[rid]
            assert math.hypot(x - c.x, y - c.y) <= CLUSTER_RADIUS + 1e-9
    assert cluster(list(reversed(pts)), p) == clusters  # order of input does not matter


def test_a_click_hits_the_nearest_cluster_under_it_and_nothing_elsewhere() -> None:
    p = fit(BOUNDS, 800, 500)
    pts = [MapPoint("a", 8_600_000, -11_000_000), MapPoint("b", 6_000_000, -2_000_000)]
    clusters = cluster(pts, p)
    ax, ay = p.project_micro(pts[0])
    chosen = hit(clusters, ax + 3, ay - 2)
    assert chosen is not None and chosen.report_ids == ("a",)
    assert hit(clusters, ax + 40, ay + 40) is None


def test_the_map_draws_the_bundled_countries_and_the_clusters() -> None:
    countries = load_countries(MAPS)
    codes = {c.code for c in countries}
    assert {"SL", "CD", "AO", "ZA", "BW", "ZW", "CF", "LR", "GN", "CI", "NA"} <= codes
    pts = [MapPoint("a", 8_643_210, -10_971_230), MapPoint("b", 8_650_000, -10_960_000)]
    fig = incident_map(countries, pts, 800, 500, title="Incidents", language="fr")
    assert [c.count for c in fig.clusters] == [2]
    svg = to_svg(fig.drawing)
    assert "Sierra Leone" in svg.decode() and "Guinée" in svg.decode()
    assert svg == to_svg(incident_map(countries, pts, 800, 500, title="Incidents",
                                      language="fr").drawing)


def test_country_at_names_the_shape_that_holds_a_position() -> None:
    countries = load_countries(MAPS)
    bo, kisangani, atlantic = (-11.74, 7.96), (25.19, 0.52), (-20.0, 0.0)
    assert (c := country_at(countries, *bo)) is not None and c.code == "SL"
    assert (c := country_at(countries, *kisangani)) is not None and c.code == "CD"
    assert country_at(countries, *atlantic) is None


def test_the_keyboard_walks_clusters_west_to_east_then_north_to_south() -> None:
    a, b, c = Cluster(50, 10, ("a",)), Cluster(10, 90, ("b",)), Cluster(10, 20, ("c",))
    assert reading_order((a, b, c)) == (c, b, a)
