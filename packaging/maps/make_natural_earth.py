"""Regenerate resources/maps/countries.geojson from Natural Earth 1:110m admin-0 countries.

Natural Earth is in the public domain. We take the copy geopandas 0.14 shipped inside its wheel
(``geopandas/datasets/naturalearth_lowres``, Natural Earth 1:110m, version 2.0.0) because it can
be fetched with pip alone, read it with pyshp (dev only), keep Africa and the other Kimberley
Process producing and trading countries, simplify each ring (Douglas-Peucker, 0.05 degrees) and
round to 0.01 degrees. Country names in English, French and Portuguese come from
CLDR through Babel. The output is deterministic: same input, same bytes.

    pip download --no-deps geopandas==0.14.4 -d /tmp/ne
    unzip -o /tmp/ne/geopandas-0.14.4-py3-none-any.whl 'geopandas/datasets/*' -d /tmp/ne
    pip install pyshp
    python packaging/maps/make_natural_earth.py /tmp/ne/geopandas/datasets/naturalearth_lowres
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import shapefile  # pyshp, dev only
from babel import Locale  # dev only: country names in each shipped language (CLDR)

TOLERANCE = 0.05
DECIMALS = 2
LANGUAGES = ("en", "fr", "pt")
OUT = Path(__file__).resolve().parents[2] / "resources" / "maps" / "countries.geojson"

# ISO 3166 alpha-3 (as in the shapefile) -> alpha-2 (as reports store it). Africa in full, so a
# map of any African participant shows its neighbours; elsewhere KP producers and traders.
A3_TO_A2 = {
    "DZA": "DZ", "AGO": "AO", "BEN": "BJ", "BWA": "BW", "BFA": "BF", "BDI": "BI", "CMR": "CM",
    "CAF": "CF", "TCD": "TD", "COG": "CG", "COD": "CD", "CIV": "CI", "DJI": "DJ", "EGY": "EG",
    "GNQ": "GQ", "ERI": "ER", "SWZ": "SZ", "ETH": "ET", "GAB": "GA", "GMB": "GM", "GHA": "GH",
    "GIN": "GN", "GNB": "GW", "KEN": "KE", "LSO": "LS", "LBR": "LR", "LBY": "LY", "MDG": "MG",
    "MWI": "MW", "MLI": "ML", "MRT": "MR", "MAR": "MA", "MOZ": "MZ", "NAM": "NA", "NER": "NE",
    "NGA": "NG", "RWA": "RW", "SEN": "SN", "SLE": "SL", "SOM": "SO", "ZAF": "ZA", "SSD": "SS",
    "SDN": "SD", "TZA": "TZ", "TGO": "TG", "TUN": "TN", "UGA": "UG", "ZMB": "ZM", "ZWE": "ZW",
    "ESH": "EH",
    "RUS": "RU", "CAN": "CA", "AUS": "AU", "IND": "IN", "BRA": "BR", "GUY": "GY", "VEN": "VE",
    "CHN": "CN", "USA": "US", "ARE": "AE", "ISR": "IL", "BEL": "BE", "GBR": "GB", "CHE": "CH",
    "LBN": "LB", "ARM": "AM", "BLR": "BY", "KAZ": "KZ", "UKR": "UA", "JPN": "JP", "KOR": "KR",
    "THA": "TH", "MYS": "MY", "IDN": "ID", "LKA": "LK", "MEX": "MX", "PAN": "PA", "TUR": "TR",
    "NZL": "NZ", "SGP": "SG", "TWN": "TW",
}


def _perp(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return float(((x - x1) ** 2 + (y - y1) ** 2) ** 0.5)
    return float(abs(dy * x - dx * y + x2 * y1 - y2 * x1) / (dx * dx + dy * dy) ** 0.5)


def simplify(points: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        best, at = 0.0, -1
        for k in range(i + 1, j):
            d = _perp(points[k], points[i], points[j])
            if d > best:
                best, at = d, k
        if best > tol and at > 0:
            keep[at] = True
            stack += [(i, at), (at, j)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def rings(shape: shapefile.Shape) -> list[list[list[float]]]:
    parts = [*shape.parts, len(shape.points)]
    out = []
    for a, b in zip(parts, parts[1:], strict=False):
        ring = simplify([(float(x), float(y)) for x, y in shape.points[a:b]], TOLERANCE)
        rounded: list[list[float]] = []
        for x, y in ring:
            pt = [round(x, DECIMALS), round(y, DECIMALS)]
            if not rounded or rounded[-1] != pt:
                rounded.append(pt)
        if len(rounded) >= 4:
            out.append(rounded)
    return out


def names_of(code: str | None, fallback: str) -> dict[str, str]:
    if not code:
        return dict.fromkeys(LANGUAGES, fallback)
    return {lang: Locale(lang).territories.get(code, fallback) for lang in LANGUAGES}


def main(base: str) -> None:
    path = Path(base)
    if path.is_dir():
        path = path / path.name
    reader = shapefile.Reader(str(path))
    names = [f[0] for f in reader.fields[1:]]
    features = []
    for sr in reader.iterShapeRecords():
        rec = dict(zip(names, sr.record, strict=True))
        code = A3_TO_A2.get(rec["iso_a3"])
        if code is None and rec["continent"] != "Africa":
            continue
        polys = rings(sr.shape)
        if not polys:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"iso_a2": code or "", "name": names_of(code, rec["name"])},
                "geometry": {"type": "MultiPolygon", "coordinates": [[r] for r in polys]},
            }
        )
    features.sort(key=lambda f: (f["properties"]["iso_a2"], f["properties"]["name"]["en"]))
    doc = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:110m admin-0 countries v2.0.0 (public domain)",
        "features": features,
    }
    OUT.write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n", "utf-8")
    print(f"{len(features)} countries, {OUT.stat().st_size} bytes -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
