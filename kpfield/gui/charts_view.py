"""The desk's charts of the current filter: category, month, country, site, perpetrator type.

The desk computes the specs off the GUI thread (``session.figures.counts(filter)`` on the store,
labelled by ``specs(…)`` on the compute lane) and hands them to :meth:`ChartsView.show_charts`;
this widget only draws, and names the bar a click lands on (:attr:`barChosen`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from kpfield.figures.charts import Bar, ChartSpec, bar_at, bar_boxes, chart
from kpfield.figures.drawing import Drawing
from kpfield.gui.figure_keys import Target
from kpfield.gui.figure_view import FigureView

MIN_HEIGHT = 160
"""Five charts, three rows of two, fit a 1366×768 laptop's desk without scrolling."""


class ChartsView(QWidget):
    COLUMNS = 2
    barChosen = Signal(str, list)  # noqa: N815 - Qt signal naming
    """(chart key, the keys its bar counts): the desk opens those cases in the list."""

    def __init__(self, gettext: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ = gettext
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(8, 8, 8, 8)
        self._grid.setSpacing(8)
        self.views: dict[str, FigureView] = {}
        self.specs: dict[str, ChartSpec] = {}

    def show_charts(self, specs: Sequence[ChartSpec]) -> None:
        for i, spec in enumerate(specs):
            self.specs[spec.key] = spec
            view = self.views.get(spec.key)
            builder = _builder(spec)
            if view is None:
                key = spec.key
                view = FigureView(
                    builder, self._, self, targets=self._targets_of(key),
                    name=spec.title,
                    hint=self._("Arrow keys choose a bar, Enter opens its cases."),
                )  # fmt: skip
                view.setObjectName(f"chart_{spec.key}")
                view.setMinimumHeight(MIN_HEIGHT)
                view.clicked.connect(lambda p, k=key: self._clicked(k, p))
                view.hovered.connect(lambda p, k=key: self._hovered(k, p))
                view.activated.connect(lambda i, k=key: self._activated(k, i))
                self.views[spec.key] = view
                self._grid.addWidget(view, i // self.COLUMNS, i % self.COLUMNS)
            else:
                view.set_builder(builder, spec.title)

    def _targets_of(self, key: str) -> Callable[[Drawing], list[Target]]:
        return lambda drawing: self.targets(key, drawing)

    def targets(self, key: str, drawing: Drawing) -> list[Target]:
        """The bars of chart ``key`` for the keyboard, each named by its label and count."""
        spec = self.specs[key]
        say = self._("{label}: {count} incident(s)")
        out = []
        for bar, b in bar_boxes(spec, drawing):
            inset = 0.0 if spec.columns else 3.0
            out.append(Target(
                say.format(label=bar.label, count=bar.value), b.x + inset, b.y, b.w - 2 * inset,
                b.h - 3, opens=bool(bar.value and bar.keys),
            ))  # fmt: skip
        return out

    def _activated(self, key: str, index: int) -> None:
        spec, view = self.specs[key], self.views[key]
        boxes = bar_boxes(spec, view.drawing())
        if index < len(boxes):
            bar = boxes[index][0]
            if bar.value and bar.keys:
                self.barChosen.emit(key, list(bar.keys))

    def bar_at(self, key: str, point: QPointF) -> Bar | None:
        """The bar of chart ``key`` under ``point`` (in the chart's widget), as drawn now."""
        spec, view = self.specs.get(key), self.views.get(key)
        if spec is None or view is None:
            return None
        return bar_at(spec, view.drawing(), point.x(), point.y())

    def _clicked(self, key: str, point: QPointF) -> None:
        bar = self.bar_at(key, point)
        if bar is not None and bar.value and bar.keys:
            self.barChosen.emit(key, list(bar.keys))

    def _hovered(self, key: str, point: QPointF) -> None:
        view = self.views[key]
        bar = self.bar_at(key, point)
        if bar is not None and bar.value and bar.keys:
            view.setCursor(Qt.CursorShape.PointingHandCursor)
            view.setToolTip(
                self._("{label}: {count} incident(s), click to open them").format(
                    label=bar.label, count=bar.value
                )
            )
        else:
            view.setCursor(Qt.CursorShape.ArrowCursor)
            view.setToolTip("")


def _builder(spec: ChartSpec) -> Callable[[float, float], Drawing]:
    return lambda w, h: chart(spec, w, h)
