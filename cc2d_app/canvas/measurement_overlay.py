"""One measurement drawn on the image: its lines, the angle's arc and its value.

Lines are in scene (= image pixel) coordinates and drawn with cosmetic pens, a colour over
a dark outline, so they keep their screen width at any zoom and show on bright bone and
on dark soft tissue alike. The value's label keeps its screen size too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

Segment = tuple[tuple[float, float], tuple[float, float]]
LINE_COLOUR = QColor("#3fd6c6")
OUTLINE = QColor(0, 0, 0, 190)


def drawable(lines: Sequence[Segment]) -> list[Segment]:
    """The segments with finite ends, each once (a sum may repeat a line, e.g. N–S)."""
    out: list[Segment] = []
    for a, b in lines:
        seg = ((float(a[0]), float(a[1])), (float(b[0]), float(b[1])))
        if all(math.isfinite(v) for p in seg for v in p) and seg not in out:
            out.append(seg)
    return out


def intersection(s: Segment, t: Segment) -> tuple[float, float] | None:
    """Where the infinite lines through ``s`` and ``t`` meet; None when parallel."""
    (x1, y1), (x2, y2) = s
    (x3, y3), (x4, y4) = t
    d = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(d) < 1e-9:
        return None
    u = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / d
    return x1 + u * (x2 - x1), y1 + u * (y2 - y1)


def angle_pairs(lines: Sequence[Segment], bounds: QRectF) -> list[tuple[tuple[float, float],
                                                                          Segment, Segment]]:
    """An angle's line pairs (its lines come two by two, a sum's term after term) with
    where they meet: the shared start (vertex) or the lines' crossing inside ``bounds``."""
    pairs = []
    for k in range(0, len(lines) - 1, 2):
        s, t = lines[k], lines[k + 1]
        if not all(math.isfinite(v) for p in (*s, *t) for v in p):
            continue
        meet = s[0] if s[0] == t[0] else intersection(s, t)
        if meet is not None and bounds.contains(QPointF(*meet)):
            pairs.append((meet, s, t))
    return pairs


def label_anchor(lines: Sequence[Segment], angle: bool, bounds: QRectF) -> tuple[float, float]:
    """Where the value goes: an angle's vertex (or its lines' crossing), else the middle of
    the first line."""
    pairs = angle_pairs(lines, bounds) if angle else []
    if pairs:
        return pairs[0][0]
    (x0, y0), (x1, y1) = drawable(lines)[0]
    return (x0 + x1) / 2.0, (y0 + y1) / 2.0


class MeasurementOverlay(QGraphicsItem):
    """Lines (and for an angle, arcs and dashed extensions to where its lines meet)."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(5)  # under the landmarks, over the image
        self.lines: list[Segment] = []
        self._pairs: list[tuple[tuple[float, float], Segment, Segment]] = []
        self._label = _Label(self)
        self.hide()

    def set(self, lines: Sequence[Segment], text: str, angle: bool, bounds: QRectF) -> None:
        """Show ``lines`` with the value ``text``; ``bounds`` (the image) limits where an
        angle's lines may be extended to meet."""
        self.prepareGeometryChange()
        self.lines = drawable(lines)
        if not self.lines:
            self.clear()
            return
        self._pairs = angle_pairs(lines, bounds) if angle else []
        self._label.set_text(text)
        self._label.setPos(*label_anchor(lines, angle, bounds))
        self.show()
        self.update()

    def clear(self) -> None:
        self.prepareGeometryChange()
        self.lines = []
        self._pairs = []
        self.hide()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        xs = [v for s in self.lines for v in (s[0][0], s[1][0])] + [p[0][0] for p in self._pairs]
        ys = [v for s in self.lines for v in (s[0][1], s[1][1])] + [p[0][1] for p in self._pairs]
        if not xs:
            return QRectF()
        # Cosmetic pens and arcs reach past the points; a generous margin in scene px.
        return QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)).adjusted(
            -60, -60, 60, 60)

    def paint(self, painter: QPainter, _option: QStyleOptionGraphicsItem,
              _widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        solid = [QLineF(*a, *b) for a, b in self.lines]
        dashed, arcs = self._angle_marks()
        for colour, width in ((OUTLINE, 4.5), (LINE_COLOUR, 2.0)):
            pen = QPen(colour, width)
            pen.setCosmetic(True)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.drawLines(solid)
            for arc in arcs:
                painter.drawPath(arc)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLines(dashed)

    def _angle_marks(self) -> tuple[list[QLineF], list[QPainterPath]]:
        """Dashed extensions from each line to where the pair meets, and an arc there."""
        dashed: list[QLineF] = []
        arcs: list[QPainterPath] = []
        for meet, s, t in self._pairs:
            rays = []
            for a, b in (s, t):
                near, far = (a, b) if _dist(a, meet) <= _dist(b, meet) else (b, a)
                if _dist(near, meet) > 0.5:
                    dashed.append(QLineF(*meet, *near))
                rays.append((far[0] - meet[0], far[1] - meet[1]))
            radius = 0.25 * min(math.hypot(*r) for r in rays)
            if radius < 1:
                continue
            # Qt's angles turn anticlockwise on screen (y down), hence −dy.
            start = math.degrees(math.atan2(-rays[0][1], rays[0][0]))
            sweep = (math.degrees(math.atan2(-rays[1][1], rays[1][0])) - start + 180) % 360 - 180
            box = QRectF(meet[0] - radius, meet[1] - radius, 2 * radius, 2 * radius)
            path = QPainterPath()
            path.arcMoveTo(box, start)
            path.arcTo(box, start, sweep)
            arcs.append(path)
        return dashed, arcs


class _Label(QGraphicsItem):
    """The value on a dark rounded box, constant screen size, beside its anchor."""

    OFFSET = QPointF(10, -26)

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.font = QFont()
        self.font.setPixelSize(13)
        self.font.setBold(True)
        self.text = ""

    def set_text(self, text: str) -> None:
        self.prepareGeometryChange()
        self.text = text

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        size = QFontMetricsF(self.font).boundingRect(self.text).size()
        return QRectF(self.OFFSET, size).adjusted(-5, -3, 5, 3)

    def paint(self, painter: QPainter, _option: QStyleOptionGraphicsItem,
              _widget: QWidget | None = None) -> None:
        box = self.boundingRect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(LINE_COLOUR, 1.0))
        painter.setBrush(QColor(0, 0, 0, 200))
        painter.drawRoundedRect(box, 4, 4)
        painter.setFont(self.font)
        painter.setPen(QColor("white"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.text)


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])
