"""Canvas overlays that are not landmarks: the name beside the cursor, the calibration line
and the scale bar."""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QLabel,
    QWidget,
)

from cc2d_app.canvas.geometry import nice_scale_bar

CALIBRATION_COLOUR = QColor("#ffd24d")
SCALE_BAR_TARGET_PX = 120.0


class CursorLabel(QLabel):
    """The next landmark's name, following the mouse over the image."""

    OFFSET = QPointF(18, 14)  # clear of the cursor's hot spot

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            "QLabel { color: white; background: rgba(0, 0, 0, 170);"
            " border-radius: 3px; padding: 1px 4px; }"
        )
        self.hide()

    def follow(self, pos: QPointF) -> None:
        """Place the label beside ``pos``, flipped inside the parent near its edges."""
        self.adjustSize()
        parent = self.parentWidget()
        x = pos.x() + self.OFFSET.x()
        y = pos.y() + self.OFFSET.y()
        if x + self.width() > parent.width():
            x = pos.x() - self.OFFSET.x() - self.width()
        if y + self.height() > parent.height():
            y = pos.y() - self.OFFSET.y() - self.height()
        self.move(int(x), int(y))


class CalibrationLine:
    """A line drawn on the image in calibrate mode, labelled with its length in image px."""

    def __init__(self, scene: QGraphicsScene) -> None:
        pen = QPen(CALIBRATION_COLOUR, 2.0)
        pen.setCosmetic(True)  # 2 screen px at any zoom
        self.line = QGraphicsLineItem()
        self.line.setPen(pen)
        self.line.setZValue(20)
        self.text = QGraphicsSimpleTextItem()
        self.text.setBrush(CALIBRATION_COLOUR)
        self.text.setPen(QPen(QColor(0, 0, 0, 200), 0.6))
        font = QFont()
        font.setPixelSize(13)
        font.setBold(True)
        self.text.setFont(font)
        self.text.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.text.setZValue(21)
        for item in (self.line, self.text):
            item.hide()
            scene.addItem(item)

    def set_line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.line.setLine(QLineF(x0, y0, x1, y1))
        self.text.setText(f"{math.hypot(x1 - x0, y1 - y0):.1f} px")
        self.text.setPos((x0 + x1) / 2.0, (y0 + y1) / 2.0)
        self.line.show()
        self.text.show()

    def clear(self) -> None:
        self.line.hide()
        self.text.hide()

    def label(self) -> str:
        """The length shown, or "" when no line is shown."""
        return self.text.text() if self.text.isVisible() else ""


def scale_bar_text(mm_per_px: float | None, zoom: float) -> str:
    """The scale bar's caption ("10 mm"), or "" without a spacing."""
    if mm_per_px is None or not zoom > 0:
        return ""
    mm, _ = nice_scale_bar(mm_per_px / zoom, SCALE_BAR_TARGET_PX)
    return f"{mm:g} mm"


def paint_scale_bar(painter: QPainter, viewport: QRectF, mm_per_px: float, zoom: float) -> None:
    """Draw the bar at the viewport's bottom-left; the painter is in viewport px."""
    mm, length = nice_scale_bar(mm_per_px / zoom, SCALE_BAR_TARGET_PX)
    x0 = viewport.left() + 16.0
    y = viewport.bottom() - 16.0
    bar = QLineF(x0, y, x0 + length, y)
    ticks = [QLineF(x, y - 5, x, y + 1) for x in (bar.x1(), bar.x2())]
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for colour, width in ((QColor(0, 0, 0, 200), 4.0), (QColor("white"), 2.0)):
        pen = QPen(colour, width)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        painter.setPen(pen)
        painter.drawLine(bar)
        painter.drawLines(ticks)
    font = QFont()
    font.setPixelSize(12)
    painter.setFont(font)
    text_rect = QRectF(x0, y - 22, max(length, 60.0), 16)
    painter.setPen(QColor(0, 0, 0, 220))
    painter.drawText(text_rect.translated(1, 1), Qt.AlignmentFlag.AlignLeft, f"{mm:g} mm")
    painter.setPen(QColor("white"))
    painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft, f"{mm:g} mm")
    painter.restore()
