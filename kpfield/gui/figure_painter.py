"""Paints a Qt-free :class:`~kpfield.figures.drawing.Drawing` with QPainter (screen and PNG)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen

from kpfield.figures.drawing import FONT_FAMILY, Circle, Drawing, Line, Polygon, Rect, Text


def paint(painter: QPainter, drawing: Drawing) -> None:
    """Draw every item in the drawing's own pixel coordinates (the caller sets any scale)."""
    painter.save()
    painter.setClipRect(QRectF(0, 0, drawing.width, drawing.height))
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    for it in drawing.items:
        if isinstance(it, Rect):
            painter.setPen(QPen(QColor(it.stroke)) if it.stroke else Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(QColor(it.fill)))
            painter.drawRect(QRectF(it.x, it.y, it.w, it.h))
        elif isinstance(it, Line):
            painter.setPen(QPen(QColor(it.stroke), it.width))
            painter.drawLine(QPointF(it.x1, it.y1), QPointF(it.x2, it.y2))
        elif isinstance(it, Circle):
            painter.setPen(QPen(QColor(it.stroke), 1.5) if it.stroke else Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(QColor(it.fill)))
            painter.drawEllipse(QPointF(it.cx, it.cy), it.r, it.r)
        elif isinstance(it, Polygon):
            path = QPainterPath()
            path.setFillRule(Qt.FillRule.OddEvenFill)
            for ring in it.rings:
                path.moveTo(*ring[0])
                for x, y in ring[1:]:
                    path.lineTo(x, y)
                path.closeSubpath()
            painter.setPen(QPen(QColor(it.stroke), 0.6) if it.stroke else Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(QColor(it.fill)))
            painter.drawPath(path)
        elif isinstance(it, Text):
            font = QFont(FONT_FAMILY)
            font.setPixelSize(max(1, round(it.size)))
            font.setBold(it.bold)
            painter.setFont(font)
            painter.setPen(QPen(QColor(it.color)))
            advance = QFontMetricsF(font).horizontalAdvance(it.text)
            x = it.x - {"start": 0.0, "middle": advance / 2, "end": advance}[it.anchor]
            painter.drawText(QPointF(x, it.y), it.text)
    painter.restore()


def to_image(drawing: Drawing, scale: float = 1.0) -> QImage:
    """The drawing as an image (``scale`` 2 for a sharp PNG on paper or a high-DPI screen)."""
    img = QImage(
        round(drawing.width * scale), round(drawing.height * scale), QImage.Format.Format_ARGB32
    )
    img.fill(QColor("#ffffff"))
    painter = QPainter(img)
    painter.scale(scale, scale)
    paint(painter, drawing)
    painter.end()
    return img
