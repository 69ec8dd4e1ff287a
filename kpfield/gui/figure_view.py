"""One figure on screen: rebuilt at the widget's size, saved as PNG or SVG from its menu."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QFileDialog, QMenu, QSizePolicy, QWidget

from kpfield.figures.drawing import Drawing
from kpfield.figures.svg import to_svg
from kpfield.gui.figure_painter import paint, to_image

Builder = Callable[[float, float], Drawing]
EXPORT_SIZE = (1200.0, 640.0)
"""Files are drawn at a fixed size, whatever the window: the same figure for everyone."""


class FigureView(QWidget):
    clicked = Signal(QPointF)
    """A left click, in the drawing's coordinates (the widget's own)."""
    hovered = Signal(QPointF)

    def __init__(
        self, builder: Builder, gettext: Callable[[str], str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._builder = builder
        self._ = gettext
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.setMouseTracking(True)

    def set_builder(self, builder: Builder) -> None:
        self._builder = builder
        self.update()

    def drawing(self, width: float | None = None, height: float | None = None) -> Drawing:
        return self._builder(width or float(self.width()), height or float(self.height()))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        paint(painter, self.drawing())
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.hovered.emit(event.position())

    def save_png(self, path: Path) -> None:
        to_image(self.drawing(*EXPORT_SIZE), scale=2.0).save(str(path.with_suffix(".png")))

    def save_svg(self, path: Path) -> None:
        path.write_bytes(to_svg(self.drawing(*EXPORT_SIZE)))

    def _menu(self, pos: QPoint) -> None:
        _ = self._
        menu = QMenu(self)
        png = menu.addAction(_("Save as PNG…"))
        svg = menu.addAction(_("Save as SVG…"))
        chosen = menu.exec(self.mapToGlobal(pos))
        if chosen not in (png, svg):
            return
        is_png = chosen is png
        pattern = _("PNG image (*.png)") if is_png else _("SVG drawing (*.svg)")
        name, _filter = QFileDialog.getSaveFileName(self, _("Save the chart"), "", pattern)
        if not name:
            return
        target = Path(name).with_suffix(".png" if is_png else ".svg")
        (self.save_png if is_png else self.save_svg)(target)
