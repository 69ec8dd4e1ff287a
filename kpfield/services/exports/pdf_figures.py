"""Draws a Qt-free :class:`~kpfield.figures.drawing.Drawing` on an fpdf2 page."""

from __future__ import annotations

from typing import Any

from kpfield.figures.drawing import Circle, Drawing, Line, Polygon, Rect, Text

_PT_PER_MM = 72 / 25.4


def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def draw(
    pdf: Any, drawing: Drawing, at: tuple[float, float], width: float, family: str
) -> float:
    """Draw ``drawing`` with its top left at ``at`` (mm), ``width`` mm wide; returns its height."""
    x, y = at
    s = width / drawing.width
    # The clip is a saved graphics state: colours set inside are undone when it ends, which
    # fpdf2 does not track; so the same colours are set before and after it.
    _reset(pdf)
    with pdf.rect_clip(x, y, width, drawing.height * s):  # a map's shapes run past its frame
        _items(pdf, drawing, x, y, s, family)
    _reset(pdf)
    pdf.set_line_width(0.2)
    return drawing.height * s


def _reset(pdf: Any) -> None:
    pdf.set_draw_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_text_color(0, 0, 0)


def _items(pdf: Any, drawing: Drawing, x: float, y: float, s: float, family: str) -> None:  # noqa: PLR0917
    for it in drawing.items:
        if isinstance(it, Rect):
            pdf.set_fill_color(*_rgb(it.fill))
            if it.stroke:
                pdf.set_draw_color(*_rgb(it.stroke))
            style = "FD" if it.stroke else "F"
            pdf.rect(x + it.x * s, y + it.y * s, it.w * s, it.h * s, style=style)
        elif isinstance(it, Line):
            pdf.set_draw_color(*_rgb(it.stroke))
            pdf.set_line_width(max(0.1, it.width * s))
            pdf.line(x + it.x1 * s, y + it.y1 * s, x + it.x2 * s, y + it.y2 * s)
        elif isinstance(it, Circle):
            pdf.set_fill_color(*_rgb(it.fill))
            if it.stroke:
                pdf.set_draw_color(*_rgb(it.stroke))
                pdf.set_line_width(0.3)
            pdf.circle(x + it.cx * s, y + it.cy * s, it.r * s, style="FD" if it.stroke else "F")
        elif isinstance(it, Polygon):
            pdf.set_fill_color(*_rgb(it.fill))
            pdf.set_draw_color(*_rgb(it.stroke or it.fill))
            pdf.set_line_width(0.15)
            for ring in it.rings:
                pdf.polygon([(x + px * s, y + py * s) for px, py in ring], style="FD")
        elif isinstance(it, Text):
            pdf.set_font(family, "B" if it.bold else "", it.size * s * _PT_PER_MM)
            pdf.set_text_color(*_rgb(it.color))
            w = pdf.get_string_width(it.text)
            shift = {"start": 0.0, "middle": w / 2, "end": w}[it.anchor]
            pdf.text(x + it.x * s - shift, y + it.y * s, it.text)
