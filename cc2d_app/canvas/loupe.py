"""A magnifier in a corner of the canvas while a landmark is being placed or dragged."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

SIZE = 160  # screen px
MARGIN = 10


def loupe_magnification(zoom: float) -> float:
    """Loupe screen px per image px: 4× the canvas, never under 4 (pixels must be visible) and
    never over 32 (a 160 px loupe should still show a few pixels of context)."""
    return min(max(4.0 * zoom, 4.0), 32.0)


class Loupe(QWidget):
    """Paints a crop of the already rendered 8-bit image, nearest-neighbour, so following the
    mouse costs a small blit and no re-windowing."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFixedSize(SIZE, SIZE)
        self._image = QImage()
        self._centre = QPointF()
        self._magnification = 4.0
        self._marks: list[tuple[float, float, QColor]] = []
        self.hide()

    def set_source(self, image: QImage) -> None:
        self._image = image
        self.update()

    def show_at(
        self,
        centre: QPointF,
        magnification: float,
        marks: Sequence[tuple[float, float, QColor]],
        cursor: QPointF,
    ) -> None:
        """Magnify around image point ``centre``; sit in the corner diagonally away from the
        ``cursor`` (viewport px) so it never hides what is being pointed at."""
        self._centre = QPointF(centre)
        self._magnification = magnification
        self._marks = list(marks)
        parent = self.parentWidget()
        left = cursor.x() > parent.width() / 2
        top = cursor.y() > parent.height() / 2
        x = MARGIN if left else parent.width() - SIZE - MARGIN
        y = MARGIN if top else parent.height() - SIZE - MARGIN
        self.move(x, y)
        self.show()
        self.raise_()
        self.update()

    def centre(self) -> QPointF:
        """The image point at the crosshair."""
        return QPointF(self._centre)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(20, 20, 20))
        m = self._magnification
        half = SIZE / 2.0
        cx, cy = self._centre.x(), self._centre.y()
        if not self._image.isNull():
            # Image pixel i covers i-0.5 .. i+0.5; crop just the pixels the loupe shows.
            reach = half / m + 1
            x0 = max(int(math.floor(cx - reach + 0.5)), 0)
            y0 = max(int(math.floor(cy - reach + 0.5)), 0)
            x1 = min(int(math.ceil(cx + reach + 0.5)), self._image.width())
            y1 = min(int(math.ceil(cy + reach + 0.5)), self._image.height())
            if x1 > x0 and y1 > y0:
                painter.save()
                painter.translate(half, half)
                painter.scale(m, m)
                painter.translate(-cx - 0.5, -cy - 0.5)
                crop = QRect(x0, y0, x1 - x0, y1 - y0)
                painter.drawImage(QRectF(crop), self._image, QRectF(crop))
                painter.restore()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for x, y, colour in self._marks:
            p = QPointF(half + (x - cx) * m, half + (y - cy) * m)
            if -8 <= p.x() <= SIZE + 8 and -8 <= p.y() <= SIZE + 8:
                painter.setPen(QPen(QColor(0, 0, 0, 200), 4.0))
                painter.drawEllipse(p, 5.0, 5.0)
                painter.setPen(QPen(colour, 2.0))
                painter.drawEllipse(p, 5.0, 5.0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        # Crosshair with a gap, so the exact pixel under it stays visible.
        gap = max(m / 2.0 + 2.0, 4.0)
        for colour, width in ((QColor(0, 0, 0, 200), 3), (QColor(255, 255, 0), 1)):
            painter.setPen(QPen(colour, width))
            painter.drawLine(QPointF(half, 0), QPointF(half, half - gap))
            painter.drawLine(QPointF(half, half + gap), QPointF(half, SIZE))
            painter.drawLine(QPointF(0, half), QPointF(half - gap, half))
            painter.drawLine(QPointF(half + gap, half), QPointF(SIZE, half))
        painter.setPen(QPen(QColor(200, 200, 200), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()
