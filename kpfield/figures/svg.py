"""A drawing as SVG text: deterministic (same drawing, same bytes), no scripts, no external refs."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from kpfield.figures.drawing import FONT_FAMILY, Circle, Drawing, Line, Polygon, Rect, Text


def _n(v: float) -> str:
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def to_svg(drawing: Drawing) -> bytes:
    w, h = _n(drawing.width), _n(drawing.height)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}"'
        f' viewBox="0 0 {w} {h}" font-family={quoteattr(FONT_FAMILY + ", sans-serif")}>',
        f"<title>{escape(drawing.title)}</title>",
    ]
    for it in drawing.items:
        if isinstance(it, Rect):
            stroke = f' stroke="{it.stroke}"' if it.stroke else ""
            out.append(
                f'<rect x="{_n(it.x)}" y="{_n(it.y)}" width="{_n(it.w)}" height="{_n(it.h)}"'
                f' fill="{it.fill}"{stroke}/>'
            )
        elif isinstance(it, Line):
            out.append(
                f'<line x1="{_n(it.x1)}" y1="{_n(it.y1)}" x2="{_n(it.x2)}" y2="{_n(it.y2)}"'
                f' stroke="{it.stroke}" stroke-width="{_n(it.width)}"/>'
            )
        elif isinstance(it, Text):
            weight = ' font-weight="bold"' if it.bold else ""
            out.append(
                f'<text x="{_n(it.x)}" y="{_n(it.y)}" font-size="{_n(it.size)}"'
                f' fill="{it.color}" text-anchor="{it.anchor}"{weight}>{escape(it.text)}</text>'
            )
        elif isinstance(it, Circle):
            stroke = f' stroke="{it.stroke}"' if it.stroke else ""
            out.append(
                f'<circle cx="{_n(it.cx)}" cy="{_n(it.cy)}" r="{_n(it.r)}"'
                f' fill="{it.fill}"{stroke}/>'
            )
        elif isinstance(it, Polygon):
            d = " ".join(
                "M" + " L".join(f"{_n(x)},{_n(y)}" for x, y in ring) + " Z" for ring in it.rings
            )
            stroke = f' stroke="{it.stroke}" stroke-width="0.6"' if it.stroke else ""
            out.append(f'<path d="{d}" fill="{it.fill}" fill-rule="evenodd"{stroke}/>')
    out.append("</svg>")
    return ("\n".join(out) + "\n").encode("utf-8")
