"""One figure on screen: rebuilt at the widget's size, saved as PNG or SVG from its menu."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QFileDialog, QMenu, QSizePolicy, QWidget

from kpfield.figures.drawing import Drawing
from kpfield.figures.svg import to_svg
from kpfield.gui.figure_keys import Target, TargetKeys
from kpfield.gui.figure_painter import paint, to_image

Builder = Callable[[float, float], Drawing]
TargetsOf = Callable[[Drawing], Sequence[Target]]
EXPORT_SIZE = (1200.0, 640.0)
"""Files are drawn at a fixed size, whatever the window: the same figure for everyone."""


class FigureView(QWidget):
    clicked = Signal(QPointF)
    """A left click, in the drawing's coordinates (the widget's own)."""
    hovered = Signal(QPointF)
    activated = Signal(int)
    """Enter or Space on the target under the keyboard cursor (its index in ``targets``)."""

    def __init__(
        self,
        builder: Builder,
        gettext: Callable[[str], str],
        parent: QWidget | None = None,
        *,
        targets: TargetsOf | None = None,
        name: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(parent)
        self._builder = builder
        self._ = gettext
        self._targets = targets
        self.keys = TargetKeys(self, name, hint) if targets is not None else None
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.setMouseTracking(True)

    def set_builder(self, builder: Builder, name: str | None = None) -> None:
        self._builder = builder
        if self.keys is not None:
            self.keys.reset()
            if name is not None:
                self.keys.rename(name)
        self.update()

    def targets(self) -> Sequence[Target]:
        """What the keyboard can reach in the figure as drawn now (none without ``targets``)."""
        return () if self._targets is None else self._targets(self.drawing())

    def drawing(self, width: float | None = None, height: float | None = None) -> Drawing:
        return self._builder(width or float(self.width()), height or float(self.height()))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        drawing = self.drawing()
        paint(painter, drawing)
        if self.keys is not None and self._targets is not None:
            self.keys.paint(painter, self._targets(drawing))
        painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if self.keys is None:
            super().keyPressEvent(event)
            return
        chosen = self.keys.press(event, self.targets())
        if not event.isAccepted():
            super().keyPressEvent(event)
        elif chosen is not None:
            self.activated.emit(chosen)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        if self.keys is not None:
            self.keys.focus_in(self.targets())

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.update()

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
