"""The drawing model: a fixed-size canvas of simple primitives, in pixels, origin top left."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Anchor = Literal["start", "middle", "end"]

FONT_FAMILY = "DejaVu Sans"
INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#d9dee3"
BAR = "#2f6690"
LAND = "#eef0e6"
BORDER = "#9aa5b1"
HIGHLIGHT = "#c2410c"
"""Colours: dark grey text on white, one blue for bars, an orange for incidents (contrast AA)."""


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str | None = None


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = GRID
    width: float = 1.0


@dataclass(frozen=True)
class Text:
    """One line of text; ``y`` is its baseline."""

    x: float
    y: float
    text: str
    size: float = 12.0
    color: str = INK
    anchor: Anchor = "start"
    bold: bool = False


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float
    fill: str
    stroke: str | None = None


@dataclass(frozen=True)
class Polygon:
    """Closed rings filled together (even-odd), e.g. one country with its islands."""

    rings: tuple[tuple[tuple[float, float], ...], ...]
    fill: str
    stroke: str | None = None


Item = Rect | Line | Text | Circle | Polygon


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    title: str
    items: tuple[Item, ...] = field(default=())


# Average advance of DejaVu Sans per em: what layout assumes before a renderer measures.
_NARROW = set("fijlrtI.,:;'|!() ")
_WIDE = set("mwMW@%")


def text_width(text: str, size: float) -> float:
    """An estimate of the width of ``text`` at ``size`` (layout must not depend on a renderer)."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.34
        elif ch in _WIDE:
            em += 0.86
        elif ch.isupper() or ch.isdigit():
            em += 0.7
        else:
            em += 0.6
    return em * size


def fit_text(text: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis so that it fits in ``width``."""
    if text_width(text, size) <= width:
        return text
    out = text
    while out and text_width(out + "…", size) > width:
        out = out[:-1]
    return out.rstrip() + "…"
