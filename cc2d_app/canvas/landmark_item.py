"""One placed landmark on the canvas: a ring of constant screen size with its abbreviation."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cc2d_app.logic.palette import palette_colour

RING_RADIUS = 6.0  # screen px; ~12 px ring
LABEL_HEIGHT = 12.0  # screen px, the label's font size
HALO = QColor(0, 0, 0, 200)


def landmark_colour(colours: list[str] | tuple[str, ...], index: int) -> QColor:
    """The schema's colour for ``index`` when it is a valid colour, else the palette's."""
    if index < len(colours) and QColor.isValidColorName(colours[index] or ""):
        return QColor(colours[index])
    return QColor(palette_colour(index))


class LandmarkItem(QGraphicsItem):
    """Ring, centre dot and label; drawn in screen px whatever the zoom."""

    def __init__(self, index: int, colour: QColor, label: str) -> None:
        super().__init__()
        self.index = index
        self._colour = QColor(colour)
        self._selected = False
        self._low_confidence = False
        self._label: str | None = None
        self._text_path = QPainterPath()      # the label with its top-left at (0, 0)
        self._label_offset = QPointF(RING_RADIUS + 4, -LABEL_HEIGHT / 2)
        self._label_path = QPainterPath()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(10)
        self.set_label(label)

    def set_label(self, label: str) -> None:
        if label == self._label:
            return
        self.prepareGeometryChange()
        self._label = label
        font = QFont()
        font.setPixelSize(int(LABEL_HEIGHT))
        font.setBold(True)
        path = QPainterPath()
        path.addText(QPointF(0, 0), font, label)
        top_left = path.boundingRect().topLeft()
        self._text_path = path.translated(-top_left.x(), -top_left.y())
        self._label_path = self._text_path.translated(self._label_offset)
        self.update()

    def label_size(self) -> tuple[float, float]:
        rect = self._text_path.boundingRect()
        return rect.width(), max(rect.height(), LABEL_HEIGHT)

    def set_label_offset(self, x: float, y: float) -> None:
        """Where the label's top-left sits relative to the point, in screen px."""
        offset = QPointF(x, y)
        if offset != self._label_offset:
            self.prepareGeometryChange()
            self._label_offset = offset
            self._label_path = self._text_path.translated(offset)
            self.update()

    def label_rect(self) -> QRectF:
        """The label's box relative to the point, in screen px."""
        return self._label_path.boundingRect()

    def set_colour(self, colour: QColor) -> None:
        if colour != self._colour:
            self._colour = QColor(colour)
            self.update()

    def colour(self) -> QColor:
        return QColor(self._colour)

    def set_selected(self, selected: bool) -> None:
        if selected != self._selected:
            self._selected = selected
            self.update()

    def set_low_confidence(self, low: bool) -> None:
        if low != self._low_confidence:
            self._low_confidence = low
            self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        r = RING_RADIUS + 4
        label = self._label_path.boundingRect().adjusted(-2, -2, 2, 2)
        return QRectF(-r, -r, 2 * r, 2 * r).united(label)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ring_width = 3.5 if self._selected else 2.0
        # Dark outline one pixel wider on each side of the coloured ring.
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(HALO, ring_width + 2.0))
        painter.drawEllipse(QPointF(0, 0), RING_RADIUS, RING_RADIUS)
        pen = QPen(self._colour, ring_width)
        if self._low_confidence:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawEllipse(QPointF(0, 0), RING_RADIUS, RING_RADIUS)
        painter.setPen(QPen(HALO, 1.0))
        painter.setBrush(self._colour)
        painter.drawEllipse(QPointF(0, 0), 1.6, 1.6)
        # The halo keeps the label readable on bright and dark bone alike.
        painter.strokePath(self._label_path, QPen(HALO, 3.0))
        painter.fillPath(self._label_path, self._colour)
