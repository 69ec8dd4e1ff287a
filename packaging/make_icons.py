"""Draw KP Field's icon: a cut diamond on a deep-blue tile, as SVG and PNG/ICO/ICNS.

Run ``python packaging/make_icons.py`` after changing the drawing; the files it writes to
``resources/icons/`` and ``packaging/icons/`` are committed, so builds need nothing but Pillow.
Small sizes drop the facet lines, which only blur below 48 px.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "resources" / "icons"
# Only the executables and the macOS bundle use these; they stay out of the wheel.
BUILD_ONLY = Path(__file__).resolve().parent / "icons"
SIZES = (16, 32, 48, 64, 128, 256)
UNIT = 256  # the drawing's own coordinates
TILE = "#1f3a5f"
STONE = "#f4f1ea"
FACET = "#1f3a5f"
ACCENT = "#c9a227"

STONE_OUTLINE = [(84, 80), (172, 80), (208, 114), (128, 204), (48, 114)]
FACETS = [
    [(84, 80), (106, 114), (128, 80), (150, 114), (172, 80)],
    [(48, 114), (208, 114)],
    [(106, 114), (128, 204), (150, 114)],
]
BAR = (80, 220, 176, 228)  # a thin gold line under the stone


def svg() -> str:
    def pts(points: list[tuple[int, int]]) -> str:
        return " ".join(f"{x},{y}" for x, y in points)

    facets = "\n".join(
        f'  <polyline points="{pts(f)}" fill="none" stroke="{FACET}" stroke-width="6" '
        'stroke-linejoin="round" stroke-linecap="round"/>'
        for f in FACETS
    )
    x0, y0, x1, y1 = BAR
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <title>KP Field</title>
  <rect x="16" y="16" width="224" height="224" rx="44" fill="{TILE}"/>
  <polygon points="{pts(STONE_OUTLINE)}" fill="{STONE}" stroke-linejoin="round"/>
{facets}
  <rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" rx="4" fill="{ACCENT}"/>
</svg>
"""


def png(size: int) -> Image.Image:
    scale = 8 if size < 128 else 4  # draw large, then downsample: smooth edges with Pillow only
    big = size * scale
    k = big / UNIT
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    margin = 16 if size >= 48 else 8  # small icons use the whole tile
    d.rounded_rectangle(
        [margin * k, margin * k, (UNIT - margin) * k, (UNIT - margin) * k],
        radius=44 * k,
        fill=TILE,
    )
    d.polygon([(x * k, y * k) for x, y in STONE_OUTLINE], fill=STONE)
    if size >= 48:
        for line in FACETS:
            d.line([(x * k, y * k) for x, y in line], fill=FACET, width=round(6 * k), joint="curve")
    d.rounded_rectangle([c * k for c in BAR], radius=4 * k, fill=ACCENT)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "kpfield.svg").write_text(svg(), encoding="utf-8")
    images = {size: png(size) for size in SIZES}
    for size, img in images.items():
        img.save(OUT / f"kpfield-{size}.png", optimize=True)
    BUILD_ONLY.mkdir(exist_ok=True)
    images[256].save(BUILD_ONLY / "kpfield.ico", sizes=[(s, s) for s in SIZES])
    images[256].resize((512, 512), Image.Resampling.LANCZOS).save(BUILD_ONLY / "kpfield.icns")
    print(f"wrote {len(SIZES) + 3} files to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
