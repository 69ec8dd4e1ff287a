"""The offline map: country shapes, a projection fitted to the data, clusters and hit-testing.

Equirectangular with the longitude scaled by cos(central latitude): at the scale of a country or
a region of Africa it keeps shapes recognisable, and it inverts exactly (for tests and clicks).
Report coordinates are integer micro-degrees; shapes are degrees from resources/maps.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from kpfield.figures.drawing import (
    BORDER,
    HIGHLIGHT,
    INK,
    LAND,
    MUTED,
    Circle,
    Drawing,
    Item,
    Polygon,
    Rect,
    Text,
    fit_text,
    text_width,
)

MICRO = 1_000_000
CLUSTER_RADIUS = 18.0
"""Pixels: points closer than this on screen are drawn and clicked as one cluster."""
MIN_SPAN = 6.0
"""Degrees: the least a fitted view shows, so one point still sits in its country."""
SEA = "#f5f8fb"


@dataclass(frozen=True)
class Country:
    code: str
    names: dict[str, str]
    rings: tuple[tuple[tuple[float, float], ...], ...]  # (lon, lat) degrees

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.code

    def bounds(self) -> tuple[float, float, float, float]:
        lons = [p[0] for r in self.rings for p in r]
        lats = [p[1] for r in self.rings for p in r]
        return min(lons), min(lats), max(lons), max(lats)


def load_countries(path: Path) -> tuple[Country, ...]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for f in raw["features"]:
        props = f["properties"]
        rings = tuple(
            tuple((float(x), float(y)) for x, y in ring)
            for poly in f["geometry"]["coordinates"]
            for ring in poly
        )
        out.append(Country(str(props["iso_a2"]), dict(props["name"]), rings))
    return tuple(out)


@dataclass(frozen=True)
class MapPoint:
    report_id: str
    lat_micro: int
    lon_micro: int


@dataclass(frozen=True)
class Projection:
    """Degrees → pixels: x = (lon - lon0)·k·cos φ0 + ox, y = (lat0 - lat)·k + oy."""

    lon0: float
    lat0: float
    k: float
    cos0: float
    ox: float
    oy: float

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        x = (lon - self.lon0) * self.k * self.cos0 + self.ox
        return x, (self.lat0 - lat) * self.k + self.oy

    def unproject(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.ox) / (self.k * self.cos0) + self.lon0, self.lat0 - (y - self.oy) / self.k

    def project_micro(self, p: MapPoint) -> tuple[float, float]:
        return self.project(p.lon_micro / MICRO, p.lat_micro / MICRO)


def fit(
    bounds: tuple[float, float, float, float], width: float, height: float, margin: float = 24.0
) -> Projection:
    """The projection showing ``bounds`` (min lon, min lat, max lon, max lat) centred, whole."""
    lo_lon, lo_lat, hi_lon, hi_lat = bounds
    if hi_lon - lo_lon < MIN_SPAN:
        mid = (lo_lon + hi_lon) / 2
        lo_lon, hi_lon = mid - MIN_SPAN / 2, mid + MIN_SPAN / 2
    if hi_lat - lo_lat < MIN_SPAN:
        mid = (lo_lat + hi_lat) / 2
        lo_lat, hi_lat = mid - MIN_SPAN / 2, mid + MIN_SPAN / 2
    lat0 = (lo_lat + hi_lat) / 2
    cos0 = max(0.2, math.cos(math.radians(lat0)))
    k = min(
        (width - 2 * margin) / ((hi_lon - lo_lon) * cos0), (height - 2 * margin) / (hi_lat - lo_lat)
    )
    lon0 = (lo_lon + hi_lon) / 2
    return Projection(lon0, lat0, k, cos0, width / 2, height / 2)


def points_bounds(points: Sequence[MapPoint]) -> tuple[float, float, float, float] | None:
    if not points:
        return None
    lons = [p.lon_micro / MICRO for p in points]
    lats = [p.lat_micro / MICRO for p in points]
    pad = 1.0
    return min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad


def countries_bounds(
    countries: Sequence[Country], codes: set[str]
) -> tuple[float, float, float, float] | None:
    boxes = [c.bounds() for c in countries if c.code in codes]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


AFRICA = (-18.0, -35.0, 52.0, 28.0)
"""The view when there is nothing to fit: where most KP producing countries are."""


@dataclass(frozen=True)
class Cluster:
    x: float
    y: float
    report_ids: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.report_ids)

    def radius(self) -> float:
        return min(CLUSTER_RADIUS, 6.0 + 3.0 * math.log2(self.count))


def cluster(
    points: Sequence[MapPoint], proj: Projection, radius: float = CLUSTER_RADIUS
) -> tuple[Cluster, ...]:
    """Greedy grid clustering in screen space: deterministic (points taken in id order), and
    linear in the number of points (each looks only at its own and neighbouring cells)."""
    cells: dict[tuple[int, int], list[int]] = {}
    seeds: list[tuple[float, float]] = []
    members: list[list[str]] = []
    for p in sorted(points, key=lambda q: q.report_id):
        x, y = proj.project_micro(p)
        cx, cy = math.floor(x / radius), math.floor(y / radius)
        best, best_d = -1, radius * radius
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for i in cells.get((cx + dx, cy + dy), ()):
                    sx, sy = seeds[i]
                    d = (sx - x) ** 2 + (sy - y) ** 2
                    if d <= best_d:
                        best, best_d = i, d
        if best < 0:
            cells.setdefault((cx, cy), []).append(len(seeds))
            seeds.append((x, y))
            members.append([p.report_id])
        else:
            members[best].append(p.report_id)
    return tuple(
        Cluster(sx, sy, tuple(sorted(ids))) for (sx, sy), ids in zip(seeds, members, strict=True)
    )


def hit(clusters: Sequence[Cluster], x: float, y: float, slack: float = 3.0) -> Cluster | None:
    """The cluster under (x, y): the nearest whose circle (plus ``slack`` pixels) holds it."""
    best, best_d = None, math.inf
    for c in clusters:
        d = math.hypot(c.x - x, c.y - y)
        if d <= c.radius() + slack and d < best_d:
            best, best_d = c, d
    return best


def reading_order(clusters: Sequence[Cluster]) -> tuple[Cluster, ...]:
    """Clusters left to right (then top to bottom): the order the keyboard walks them."""
    return tuple(sorted(clusters, key=lambda c: (round(c.x), round(c.y))))


def country_at(countries: Sequence[Country], lon: float, lat: float) -> Country | None:
    """The country whose shape holds (lon, lat) in degrees (even-odd over its rings)."""
    for c in countries:
        w, s, e, n = c.bounds()
        if not (w <= lon <= e and s <= lat <= n):
            continue
        inside = False
        for ring in c.rings:
            for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
                if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                    inside = not inside
        if inside:
            return c
    return None


def _clear_of(label: Text, clusters: Sequence[Cluster]) -> Text:
    """The country's name moved below any cluster it would sit under (points stay readable)."""
    half = text_width(label.text, label.size) / 2 + 2
    for c in clusters:
        r = c.radius()
        if abs(c.x - label.x) <= half + r and label.y - label.size - r <= c.y <= label.y + r:
            return replace(label, y=c.y + r + label.size + 2)
    return label


@dataclass(frozen=True)
class MapFigure:
    drawing: Drawing
    projection: Projection
    clusters: tuple[Cluster, ...]


def incident_map(
    countries: Sequence[Country],
    points: Sequence[MapPoint],
    width: float,
    height: float,
    *,
    title: str,
    language: str = "en",
    focus: set[str] | None = None,
    caption: str = "",
) -> MapFigure:
    """The map fitted to the points (or the ``focus`` countries, or Africa), with clusters."""
    bounds = points_bounds(points) or countries_bounds(countries, focus or set()) or AFRICA
    proj = fit(bounds, width, height - 28)
    proj = Projection(proj.lon0, proj.lat0, proj.k, proj.cos0, proj.ox, proj.oy + 28)
    items: list[Item] = [Rect(0, 0, width, height, SEA)]
    labels: list[Item] = []
    for c in countries:
        rings = tuple(tuple(proj.project(lon, lat) for lon, lat in r) for r in c.rings)
        xs = [p[0] for r in rings for p in r]
        ys = [p[1] for r in rings for p in r]
        if max(xs) < 0 or min(xs) > width or max(ys) < 0 or min(ys) > height:
            continue
        items.append(Polygon(rings, LAND, BORDER))
        box_w = min(max(xs), width) - max(min(xs), 0)
        if box_w > 60 and c.code:
            lx = (max(min(xs), 0) + min(max(xs), width)) / 2
            ly = (max(min(ys), 28) + min(max(ys), height)) / 2
            labels.append(Text(lx, ly, fit_text(c.name(language), 10, box_w), 10, MUTED, "middle"))
    clusters = cluster(points, proj)
    items += [_clear_of(t, clusters) for t in labels if isinstance(t, Text)]
    for cl in clusters:
        r = cl.radius()
        items.append(Circle(cl.x, cl.y, r, HIGHLIGHT, "#ffffff"))
        if cl.count > 1:
            items.append(Text(cl.x, cl.y + 4, str(cl.count), 11, "#ffffff", "middle", bold=True))
    items.append(Rect(0, 0, width, 28, "#ffffff"))
    items.append(Text(12, 19, fit_text(title, 14, width - 24), 14, INK, bold=True))
    if caption:
        items.append(Text(width - 8, height - 6, caption, 9, MUTED, "end"))
    return MapFigure(Drawing(width, height, title, tuple(items)), proj, clusters)
