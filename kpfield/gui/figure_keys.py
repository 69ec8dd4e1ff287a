"""Keyboard access to what a figure lets the mouse click (a chart's bars, the map's clusters).

The figure widget takes the focus with Tab; the arrow keys (and Home/End) move a cursor over its
targets, Enter or Space opens the one under it. The cursor is drawn as a dark dashed frame, and
the widget's accessible name says the target's label and count, so a screen reader reads it as
it moves (Qt announces a changed accessible name).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import QWidget

from kpfield.figures.drawing import INK

FOCUS = "#1d4ed8"
"""The frame round a focused figure: a blue that holds 4.5:1 on white."""

_NEXT = {Qt.Key.Key_Right, Qt.Key.Key_Down}
_PREVIOUS = {Qt.Key.Key_Left, Qt.Key.Key_Up}
_OPEN = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space}


@dataclass(frozen=True)
class Target:
    """One clickable thing of a figure, in the widget's pixels, with what it says."""

    name: str
    x: float
    y: float
    w: float
    h: float
    round: bool = False
    opens: bool = True
    """False for a bar of nothing (a month without incidents): read, but opens nothing."""


class TargetKeys:
    """The keyboard cursor of one figure widget (the widget forwards its keys and paints)."""

    def __init__(self, widget: QWidget, name: str, hint: str) -> None:
        self.widget = widget
        self.name = name
        self.hint = hint
        self.index: int | None = None
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.setAccessibleName(name)
        widget.setAccessibleDescription(hint)

    def rename(self, name: str) -> None:
        self.name = name
        if self.index is None:
            self.widget.setAccessibleName(name)

    def focus_in(self, targets: Sequence[Target]) -> None:
        """On taking the focus the first target (or the one left before) is under the cursor."""
        if targets:
            self._move(min(self.index or 0, len(targets) - 1), targets)
        self.widget.update()

    def reset(self) -> None:
        """New data: the cursor starts again at the first target."""
        self.index = None
        self.widget.setAccessibleName(self.name)
        self.widget.setAccessibleDescription(self.hint)

    def press(self, event: QKeyEvent, targets: Sequence[Target]) -> int | None:
        """Moves the cursor on arrows, Home and End; the index to open on Enter or Space."""
        key, n = event.key(), len(targets)
        at = self.index if self.index is not None and self.index < n else None
        if n == 0 or key not in _NEXT | _PREVIOUS | _OPEN | {Qt.Key.Key_Home, Qt.Key.Key_End}:
            event.ignore()
            return None
        event.accept()
        if key in _OPEN:
            if at is None:
                self._move(0, targets)
                return None
            return at if targets[at].opens else None
        if key in _NEXT:
            to = 0 if at is None else min(at + 1, n - 1)
        elif key in _PREVIOUS:
            to = 0 if at is None else max(at - 1, 0)
        else:
            to = 0 if key == Qt.Key.Key_Home else n - 1
        self._move(to, targets)
        return None

    def _move(self, to: int, targets: Sequence[Target]) -> None:
        self.index = to
        t = targets[to]
        self.widget.setAccessibleName(f"{self.name}: {t.name}")
        self.widget.setAccessibleDescription(f"{to + 1}/{len(targets)}. {self.hint}")
        self.widget.setToolTip(t.name)
        self.widget.update()

    def current(self, targets: Sequence[Target]) -> Target | None:
        if self.index is None or self.index >= len(targets):
            return None
        return targets[self.index]

    def paint(self, painter: QPainter, targets: Sequence[Target]) -> None:
        """The focus marks: a frame round the figure, a dashed one round the cursor's target."""
        if not self.widget.hasFocus():
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(FOCUS), 2))
        painter.drawRect(QRectF(self.widget.rect()).adjusted(1, 1, -1, -1))
        t = self.current(targets)
        if t is not None:
            pen = QPen(QColor(INK), 2, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            box = QRectF(t.x, t.y, t.w, t.h)
            (painter.drawEllipse if t.round else painter.drawRect)(box)
        painter.restore()
