"""Bar charts of incident counts: horizontal bars for named groups, columns for months."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from kpfield.figures.drawing import (
    BAR,
    GRID,
    INK,
    MUTED,
    Drawing,
    Item,
    Line,
    Rect,
    Text,
    fit_text,
    text_width,
)

MAX_BARS = 12
"""Bars drawn before the rest are summed into one "other" bar: more are not readable."""


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    keys: tuple[str, ...] = ()
    """What the desk counted under this bar (a category id, a month…): a click opens them."""


@dataclass(frozen=True)
class ChartSpec:
    """What one chart shows; every text already in the reader's language."""

    key: str
    title: str
    bars: tuple[Bar, ...]
    columns: bool = False
    other_label: str = "Other"
    empty_label: str = "No incidents"


def nice_step(top: int, ticks: int = 5) -> int:
    """A round step (1, 2, 5 × 10ⁿ) that splits 0…top in about ``ticks`` parts."""
    if top <= ticks:
        return 1
    raw = top / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return int(m * mag)
    return int(10 * mag)  # pragma: no cover - the loop always returns


def limited(bars: Sequence[Bar], other: str, limit: int = MAX_BARS) -> tuple[Bar, ...]:
    """The ``limit - 1`` largest bars in their order, and the rest summed as ``other``."""
    if len(bars) <= limit:
        return tuple(bars)
    keep = sorted(bars, key=lambda b: -b.value)[: limit - 1]
    kept = {id(b) for b in keep}
    rest = sum(b.value for b in bars if id(b) not in kept)
    others = tuple(k for b in bars if id(b) not in kept for k in b.keys)
    return (*[b for b in bars if id(b) in kept], Bar(other, rest, others))


def chart(spec: ChartSpec, width: float, height: float) -> Drawing:
    """The chart at this size: fonts and margins chosen for a 1366×768 screen and A4 pages."""
    items: list[Item] = [Rect(0, 0, width, height, "#ffffff")]
    title_size = 15.0
    items.append(Text(12, 22, fit_text(spec.title, title_size, width - 24), title_size, INK,
                      bold=True))
    top = 36.0
    bars = limited(spec.bars, spec.other_label)
    if not bars or all(b.value == 0 for b in bars):
        items.append(Text(width / 2, height / 2, spec.empty_label, 13, MUTED, "middle"))
        return Drawing(width, height, spec.title, tuple(items))
    draw = _columns if spec.columns else _rows
    items += draw(bars, 12.0, top, width - 12.0, height - 10.0)
    return Drawing(width, height, spec.title, tuple(items))


def _rows(bars: Sequence[Bar], left: float, top: float, right: float, bottom: float) -> list[Item]:
    size = 12.0
    biggest = max(b.value for b in bars)
    step = nice_step(biggest)
    axis_top = step * math.ceil(biggest / step)
    label_w = min(max(text_width(b.label, size) for b in bars) + 8, (right - left) * 0.45)
    value_w = text_width(str(biggest), size) + 10
    x0, x1 = left + label_w, right - value_w
    axis_h = 18.0
    row = (bottom - axis_h - top) / len(bars)
    bar_h = max(4.0, min(22.0, row * 0.7))
    out: list[Item] = []
    for t in range(0, axis_top + 1, step):
        x = x0 + (x1 - x0) * t / axis_top
        out.append(Line(x, top, x, bottom - axis_h, GRID))
        out.append(Text(x, bottom - 4, str(t), 10, MUTED, "middle"))
    for i, b in enumerate(bars):
        cy = top + row * (i + 0.5)
        w = (x1 - x0) * b.value / axis_top
        out.append(Text(x0 - 6, cy + size * 0.35, fit_text(b.label, size, label_w - 8), size, INK,
                        "end"))
        out.append(Rect(x0, cy - bar_h / 2, w, bar_h, BAR))
        out.append(Text(x0 + w + 4, cy + size * 0.35, str(b.value), size, INK))
    return out


def _columns(
    bars: Sequence[Bar], left: float, top: float, right: float, bottom: float
) -> list[Item]:
    size = 11.0
    biggest = max(b.value for b in bars)
    step = nice_step(biggest)
    axis_top = step * math.ceil(biggest / step)
    axis_w = text_width(str(axis_top), 10) + 8
    x0 = left + axis_w
    y1 = bottom - 20.0
    y0 = top + 16.0
    col = (right - x0) / len(bars)
    col_w = max(3.0, min(40.0, col * 0.7))
    every = max(1, math.ceil(max(text_width(b.label, size) for b in bars) / (col * 0.95)))
    out: list[Item] = []
    for t in range(0, axis_top + 1, step):
        y = y1 - (y1 - y0) * t / axis_top
        out.append(Line(x0, y, right, y, GRID))
        out.append(Text(x0 - 4, y + 3.5, str(t), 10, MUTED, "end"))
    for i, b in enumerate(bars):
        cx = x0 + col * (i + 0.5)
        h = (y1 - y0) * b.value / axis_top
        out.append(Rect(cx - col_w / 2, y1 - h, col_w, h, BAR))
        if b.value:
            out.append(Text(cx, y1 - h - 3, str(b.value), 10, INK, "middle"))
        if i % every == 0:
            out.append(Text(cx, bottom - 4, b.label, size, INK, "middle"))
    return out


def bar_boxes(spec: ChartSpec, drawing: Drawing) -> tuple[tuple[Bar, Rect], ...]:
    """Each bar of ``spec`` with the box a click on it may land in, as drawn in ``drawing``: for
    rows the whole row (label, bar and value), for columns the column's width above the axis."""
    bars = limited(spec.bars, spec.other_label)
    rects = [it for it in drawing.items if isinstance(it, Rect) and it.fill == BAR]
    if len(rects) != len(bars):
        return ()  # an empty chart: nothing to click
    out = []
    for bar, r in zip(bars, rects, strict=True):
        if spec.columns:
            slack = max(4.0, r.w * 0.25)
            box = Rect(r.x - slack, 36.0, r.w + 2 * slack, drawing.height - 36.0, BAR)
        else:
            box = Rect(0.0, r.y - 4, drawing.width, r.h + 8, BAR)
        out.append((bar, box))
    return tuple(out)


def bar_at(spec: ChartSpec, drawing: Drawing, x: float, y: float) -> Bar | None:
    """The bar of ``spec`` under (x, y) in ``drawing`` (drawn by :func:`chart`)."""
    for bar, b in bar_boxes(spec, drawing):
        if b.x <= x <= b.x + b.w and b.y <= y <= b.y + b.h:
            return bar
    return None
