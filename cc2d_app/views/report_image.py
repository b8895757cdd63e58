"""The report's radiograph: the image fitted into its frame, each measurement's lines in the
measurement's colour with its name beside them, and the landmarks with their labels.

Labels go where they cover no landmark, landmark label or other measurement's label if
they can (several angles share a vertex, so the middle of a line is tried before its
ends); no widget and no QPixmap, as the report is drawn off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen

from cc2d_app.canvas.measurement_overlay import drawable
from cc2d_app.views.report_layout import drawing_key, font, place_label
from engine.analysis import MeasurementResult
from engine.project import Landmark

DPI = 300
MM = DPI / 25.4   # device px per mm
OUTLINE = QColor(0, 0, 0, 170)


def draw_radiograph(p: QPainter, image: QImage, frame: QRectF,
                    landmarks: Sequence[Landmark | None], labels: Sequence[str],
                    colours: Sequence[str],
                    measurements: Sequence[tuple[MeasurementResult, str]]) -> QRectF:
    """``image`` fitted into ``frame`` (device px) with ``measurements`` (each with its
    colour) and the landmarks; returns the rectangle the image took."""
    scale = min(frame.width() / image.width(), frame.height() / image.height())
    target = QRectF(frame.x(), frame.y(), image.width() * scale, image.height() * scale)
    # Resampled to the page's resolution: a full-size radiograph would only bloat the PDF.
    p.drawImage(target.topLeft(), image.scaled(
        round(target.width()), round(target.height()),
        Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation))

    def at(x: float, y: float) -> QPointF:  # pixel centres sit on integer coordinates
        return QPointF(target.x() + (x + 0.5) * scale, target.y() + (y + 0.5) * scale)

    shown = [(r, colour, [(at(*a), at(*b)) for a, b in drawable(r.lines)])
             for r, colour in measurements]
    shown = [m for m in shown if m[2]]
    _lines(p, shown)
    taken = _landmarks(p, at, landmarks, labels, colours)
    _measurement_labels(p, shown, taken, target)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(QColor("#8a93a0"), 0.2 * MM))
    p.drawRect(target)
    return target


Drawn = tuple[MeasurementResult, str, list[tuple[QPointF, QPointF]]]


def _lines(p: QPainter, shown: Sequence[Drawn]) -> None:
    # Every outline first: a later measurement's outline must not cover an earlier colour.
    for width, coloured in ((0.7, False), (0.32, True)):
        for _r, colour, segments in shown:
            pen = QPen(QColor(colour) if coloured else OUTLINE, width * MM)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            for a, b in segments:
                p.drawLine(a, b)


def _landmarks(p: QPainter, at: Callable[[float, float], QPointF],
               landmarks: Sequence[Landmark | None], labels: Sequence[str],
               colours: Sequence[str]) -> list[QRectF]:
    """Draw the points and their labels; returns the rectangles they cover."""
    # A path's text has no device to take the resolution from: its size is given in px.
    f = QFont()
    f.setPixelSize(round(6.5 / 72 * DPI))
    f.setBold(True)
    metrics = QFontMetricsF(f)
    taken = []
    for lm, label, colour in zip(landmarks, labels, colours):
        if lm is None:
            continue
        c = at(lm.x, lm.y)
        p.setPen(QPen(QColor("black"), 0.25 * MM))
        p.setBrush(QColor(colour))
        p.drawEllipse(c, 0.9 * MM, 0.9 * MM)
        base = c + QPointF(1.4 * MM, -1.1 * MM)
        path = QPainterPath()
        path.addText(base, f, label)
        p.strokePath(path, QPen(QColor(0, 0, 0, 220), 0.45 * MM))
        p.fillPath(path, QColor("white"))
        taken.append(QRectF(c.x() - MM, c.y() - MM, 2 * MM, 2 * MM))
        taken.append(QRectF(base.x(), base.y() - metrics.ascent(),
                            metrics.horizontalAdvance(label), metrics.height()))
    return taken


def _measurement_labels(p: QPainter, shown: Sequence[Drawn], taken: list[QRectF],
                        bounds: QRectF) -> None:
    f = font(6.5, True)
    metrics = QFontMetricsF(f, p.device())
    p.setFont(f)
    for r, colour, segments in shown:
        w = metrics.horizontalAdvance(r.name) + 1.2 * MM
        h = metrics.height() + 0.5 * MM
        box = place_label(_candidates(segments, w, h), taken, bounds)
        taken.append(box)
        p.setPen(QPen(QColor(colour), 0.2 * MM))
        p.setBrush(QColor(0, 0, 0, 200))
        p.drawRoundedRect(box, 0.6 * MM, 0.6 * MM)
        p.setPen(QColor(colour))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, r.name)


def _candidates(segments: Sequence[tuple[QPointF, QPointF]], w: float, h: float
                ) -> list[QRectF]:
    """Boxes of ``w`` x ``h`` beside the lines: above, below, right and left of the middle
    of each line, then of its quarter points."""
    gap = 0.6 * MM
    out = []
    for t in (0.5, 0.25, 0.75):
        for a, b in segments:
            c = a + (b - a) * t
            out += [QRectF(c.x() - w / 2, c.y() - gap - h, w, h),
                    QRectF(c.x() - w / 2, c.y() + gap, w, h),
                    QRectF(c.x() + gap, c.y() - h / 2, w, h),
                    QRectF(c.x() - gap - w, c.y() - h / 2, w, h)]
    return out


def unique_measurements(sections: Sequence[tuple[str, Sequence[MeasurementResult]]],
                        colours: dict[tuple[str, tuple], str]
                        ) -> list[tuple[MeasurementResult, str]]:
    """Each measurement once (the first analysis that has it), with its colour."""
    seen: dict[tuple[str, tuple], tuple[MeasurementResult, str]] = {}
    for _name, results in sections:
        for r in results:
            seen.setdefault(drawing_key(r), (r, colours[drawing_key(r)]))
    return list(seen.values())
