"""The offline incident map: bundled country shapes, clustered points, click to open cases."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from kpfield.figures.geo import Country, MapFigure, MapPoint, hit, incident_map
from kpfield.gui.figure_painter import paint


class MapView(QWidget):
    casesChosen = Signal(list)  # noqa: N815 - Qt signal naming
    """Report ids under the clicked point or cluster (the desk opens them in the cases list)."""

    def __init__(self, gettext: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ = gettext
        self._countries: Sequence[Country] = ()
        self._points: Sequence[MapPoint] = ()
        self._language = "en"
        self._figure: MapFigure | None = None
        self.setMinimumSize(400, 300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setAccessibleName(gettext("Incidents on the map"))

    def show_points(
        self, countries: Sequence[Country], points: Sequence[MapPoint], language: str = "en"
    ) -> None:
        self._countries, self._points, self._language = countries, points, language
        self._figure = None
        self.update()

    def figure(self) -> MapFigure:
        w, h = float(self.width()), float(self.height())
        f = self._figure
        if f is None or (f.drawing.width, f.drawing.height) != (w, h):
            title = self._("Incidents on the map ({count})").format(count=len(self._points))
            f = incident_map(
                self._countries, self._points, w, h, title=title, language=self._language,
                caption=self._("Country shapes: Natural Earth (public domain)"),
            )  # fmt: skip
            self._figure = f
        return f

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        paint(painter, self.figure().drawing)
        painter.end()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        p = event.position()
        over = hit(self.figure().clusters, p.x(), p.y())
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)
        if over is not None:
            self.setToolTip(self._("{count} incident(s): click to open").format(count=over.count))
        else:
            self.setToolTip("")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return
        p = event.position()
        chosen = hit(self.figure().clusters, p.x(), p.y())
        if chosen is not None:
            self.casesChosen.emit(list(chosen.report_ids))
