"""The offline incident map: bundled country shapes, clustered points, click to open cases."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from kpfield.figures.geo import (
    Cluster,
    Country,
    MapFigure,
    MapPoint,
    country_at,
    hit,
    incident_map,
    reading_order,
)
from kpfield.gui.figure_keys import Target, TargetKeys
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
        self._names: dict[tuple[str, ...], str] = {}
        self.keys = TargetKeys(
            self, gettext("Incidents on the map"),
            gettext("Arrow keys choose a point or a cluster, Enter opens its cases."),
        )  # fmt: skip

    def show_points(
        self, countries: Sequence[Country], points: Sequence[MapPoint], language: str = "en"
    ) -> None:
        self._countries, self._points, self._language = countries, points, language
        self._figure = None
        self._names = {}
        self.keys.reset()
        self.update()

    def walk(self) -> tuple[Cluster, ...]:
        """The clusters in the order the keyboard visits them (left to right)."""
        return reading_order(self.figure().clusters)

    def targets(self) -> list[Target]:
        out = []
        for c in self.walk():
            r = c.radius() + 4
            out.append(Target(self._name(c), c.x - r, c.y - r, 2 * r, 2 * r, round=True))
        return out

    def _name(self, c: Cluster) -> str:
        """Where the cluster is (its country, else its position) and how many incidents."""
        known = self._names.get(c.report_ids)
        if known is None:
            lon, lat = self.figure().projection.unproject(c.x, c.y)
            country = country_at(self._countries, lon, lat)
            place = country.name(self._language) if country else f"{lat:.2f}, {lon:.2f}"
            known = self._("{place}: {count} incident(s)").format(place=place, count=c.count)
            self._names[c.report_ids] = known
        return known

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
        if self.hasFocus():
            self.keys.paint(painter, self.targets())
        painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        walk = self.walk()
        chosen = self.keys.press(event, self.targets() if walk else [])
        if not event.isAccepted():
            super().keyPressEvent(event)
        elif chosen is not None:
            self.casesChosen.emit(list(walk[chosen].report_ids))

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        self.keys.focus_in(self.targets())

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.update()

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
