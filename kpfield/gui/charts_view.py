"""The desk's charts of the current filter: category, month, country, site, perpetrator type.

The desk computes the specs off the GUI thread (``session.figures.charts(filter, …)`` on the
compute lane) and hands them to :meth:`ChartsView.show_charts`; this widget only draws.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QGridLayout, QWidget

from kpfield.figures.charts import ChartSpec, chart
from kpfield.figures.drawing import Drawing
from kpfield.gui.figure_view import FigureView


class ChartsView(QWidget):
    COLUMNS = 2

    def __init__(self, gettext: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ = gettext
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(8, 8, 8, 8)
        self._grid.setSpacing(8)
        self.views: dict[str, FigureView] = {}

    def show_charts(self, specs: Sequence[ChartSpec]) -> None:
        for i, spec in enumerate(specs):
            view = self.views.get(spec.key)
            builder = _builder(spec)
            if view is None:
                view = FigureView(builder, self._, self)
                view.setObjectName(f"chart_{spec.key}")
                view.setAccessibleName(spec.title)
                self.views[spec.key] = view
                self._grid.addWidget(view, i // self.COLUMNS, i % self.COLUMNS)
            else:
                view.set_builder(builder)


def _builder(spec: ChartSpec) -> Callable[[float, float], Drawing]:
    return lambda w, h: chart(spec, w, h)
