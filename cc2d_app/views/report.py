"""The one-page PDF report of an image: the radiograph with its landmarks and analysis
lines, the measurements with ranges and classes, and how each landmark was obtained.

Drawn with Qt's own QPdfWriter and QPainter (A4 portrait, 300 dpi), no other dependency.
``write_report`` uses no widget and no QPixmap, so it runs in a worker thread: decoding
the radiograph and compressing it into the PDF take a few hundred milliseconds.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
)

from cc2d_app.canvas.measurement_overlay import drawable
from cc2d_app.controllers.workers import grey_qimage
from cc2d_app.logic.measurements import SIGMA_TEXT, class_text, error_text, range_text, source_text
from cc2d_app.logic.review import is_low
from cc2d_app.views.view_panel import spacing_text
from engine.analysis import MeasurementResult
from engine.atomic import atomic_write_bytes
from engine.data.display import load_display, render_window
from engine.project import ImageRecord, Landmark

DPI = 300
MM = DPI / 25.4  # device px per mm
PAGE_W, MARGIN = 210.0, 14.0
LINE = QColor("#11a89a")
SOURCES_TEXT = ("Landmark sources: template = placed by hand on the template; "
                "predicted (confidence) = the model's; corrected = moved by hand.")
# Table columns: title, width (mm), right-aligned.
TABLE = (("Measurement", 36, False), ("Value", 17, True), ("Unit", 10, False),
         ("Normal range", 25, False), ("Class", 58, False), ("Borderline", 36, False))


@dataclass(frozen=True)
class ReportData:
    """What one report shows; gathered on the GUI thread, drawn anywhere."""

    project: str
    image: ImageRecord
    landmarks: list[Landmark | None]
    labels: list[str]
    names: list[str]
    colours: list[str]
    analysis_name: str | None          # None: no analysis for this landmark set
    results: list[MeasurementResult]
    created: str                       # local date and time, as printed
    window: tuple[float, float, bool] | None = None  # as on screen; None: the image's own


def write_report(path: str | os.PathLike[str], data: ReportData) -> Path:
    """Write the report to ``path`` (atomically) and return it."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(0, 0, 0, 0))
    writer.setResolution(DPI)
    writer.setTitle(f"Cephalometric report — {data.image.name}")
    writer.setCreator("CC2D landmark studio")
    painter = QPainter(writer)
    try:
        _Page(painter, data).draw()
    finally:
        painter.end()
    buffer.close()
    out = Path(path)
    atomic_write_bytes(out, bytes(QByteArray(buffer.data())))
    return out


def radiograph(image: ImageRecord, window: tuple[float, float, bool] | None) -> QImage:
    """The image rendered with ``window`` (centre, width, invert), else its first preset."""
    display = load_display(image.path)
    if window is None:
        preset = display.presets[0]
        window = (preset.centre, preset.width, display.invert)
    return grey_qimage(render_window(display.values, *window))


def _font(points: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def _rect(x: float, y: float, w: float, h: float) -> QRectF:
    """A rectangle given in mm, in device px."""
    return QRectF(x * MM, y * MM, w * MM, h * MM)


class _Page:
    def __init__(self, painter: QPainter, data: ReportData) -> None:
        self.p = painter
        self.d = data
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)

    def text(self, x: float, y: float, w: float, h: float, text: str, font: QFont,
             align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
             colour: str = "#1b1f24") -> None:
        self.p.setFont(font)
        self.p.setPen(QColor(colour))
        box = _rect(x, y, w, h)
        shown = QFontMetricsF(font, self.p.device()).elidedText(
            text, Qt.TextElideMode.ElideRight, box.width())
        self.p.drawText(box, align | Qt.AlignmentFlag.AlignVCenter, shown)

    def draw(self) -> None:
        d = self.d
        width = PAGE_W - 2 * MARGIN
        self.text(MARGIN, 12, width, 9, "Cephalometric report", _font(17, True))
        self.text(MARGIN, 12, width, 9, d.created, _font(9), Qt.AlignmentFlag.AlignRight,
                  "#5b6270")
        rec = d.image
        lines = [f"Project: {d.project}",
                 f"Image: {rec.name}  ({rec.width} × {rec.height} px)",
                 f"Pixel spacing: {spacing_text(rec.spacing)}",
                 f"Analysis: {d.analysis_name or 'none for this landmark set'}"]
        for k, line in enumerate(lines):
            self.text(MARGIN, 22 + 5.2 * k, width, 5, line, _font(9.5, k < 2))
        self.rule(44)
        bottom = self.image_with_marks(_rect(MARGIN, 48, 106, 132))
        self.landmark_list(MARGIN + 110, 48, width - 110, 132)
        y = self.table(max(bottom, 48 + 132) + 6)
        notes = sorted({r.note for r in d.results if r.note})
        for k, line in enumerate([SIGMA_TEXT, SOURCES_TEXT] + notes):
            self.text(MARGIN, y + 2 + 4.4 * k, width, 4.4, line, _font(7.5), colour="#4a505c")
        self.rule(282)
        self.text(MARGIN, 283, width, 5, "CC2D landmark studio. Values follow from the "
                  "landmark positions shown; check the points before relying on them.",
                  _font(7), colour="#6b717c")

    def rule(self, y: float) -> None:
        self.p.setPen(QPen(QColor("#c9ced6"), 0.25 * MM))
        self.p.drawLine(QPointF(MARGIN * MM, y * MM), QPointF((PAGE_W - MARGIN) * MM, y * MM))

    def image_with_marks(self, frame: QRectF) -> float:
        """The radiograph fitted into ``frame`` with every measurement line and landmark;
        returns its bottom in mm."""
        d = self.d
        image = radiograph(d.image, d.window)
        scale = min(frame.width() / image.width(), frame.height() / image.height())
        target = QRectF(frame.x(), frame.y(), image.width() * scale, image.height() * scale)
        # Resampled to the page's resolution: a full-size radiograph would only bloat the PDF.
        self.p.drawImage(target.topLeft(), image.scaled(
            round(target.width()), round(target.height()),
            Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation))

        def at(x: float, y: float) -> QPointF:  # pixel centres sit on integer coordinates
            return QPointF(target.x() + (x + 0.5) * scale, target.y() + (y + 0.5) * scale)

        segments = drawable([s for r in d.results for s in r.lines])
        for colour, w in ((QColor(0, 0, 0, 170), 0.75), (LINE, 0.35)):
            pen = QPen(colour, w * MM)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            self.p.setPen(pen)
            for a, b in segments:
                self.p.drawLine(at(*a), at(*b))
        label_font = _font(8, True)
        for lm, label, colour in zip(d.landmarks, d.labels, d.colours):
            if lm is None:
                continue
            c = at(lm.x, lm.y)
            self.p.setPen(QPen(QColor("black"), 0.25 * MM))
            self.p.setBrush(QColor(colour))
            self.p.drawEllipse(c, 0.9 * MM, 0.9 * MM)
            path = QPainterPath()
            path.addText(c + QPointF(1.4 * MM, -1.1 * MM), label_font, label)
            self.p.strokePath(path, QPen(QColor(0, 0, 0, 220), 0.45 * MM))
            self.p.fillPath(path, QColor("white"))
        self.p.setBrush(Qt.BrushStyle.NoBrush)
        self.p.setPen(QPen(QColor("#8a93a0"), 0.2 * MM))
        self.p.drawRect(target)
        return target.bottom() / MM

    def landmark_list(self, x: float, y: float, w: float, h: float) -> None:
        d = self.d
        self.text(x, y, w, 5, "Landmarks", _font(10, True))
        n = max(len(d.landmarks), 1)
        row = min(5.6, (h - 7) / n)
        font = _font(min(8.0, row * 1.6))
        for k, (lm, label, name, colour) in enumerate(
                zip(d.landmarks, d.labels, d.names, d.colours)):
            top = y + 7 + k * row
            if k % 2 == 0:
                self.p.fillRect(_rect(x, top, w, row), QColor("#f1f3f6"))
            self.p.setPen(QPen(QColor("black"), 0.15 * MM))
            self.p.setBrush(QColor(colour))
            self.p.drawEllipse(QPointF((x + 2) * MM, (top + row / 2) * MM), 0.9 * MM, 0.9 * MM)
            self.text(x + 4, top, 9, row, label, font)
            self.text(x + 13, top, w - 41, row, name, font, colour="#4a505c")
            low = is_low(lm)   # the rule the canvas and the list use
            self.text(x + w - 27, top, 27, row, source_text(lm), font,
                      colour="#b36b00" if low else "#1b1f24")

    def table(self, y: float) -> float:
        """The measurements; returns the y (mm) below it."""
        d = self.d
        self.text(MARGIN, y, 100, 6, "Measurements", _font(11, True))
        y += 7
        if d.analysis_name is None:
            self.text(MARGIN, y, 150, 6, "No analysis for this landmark set.", _font(9))
            return y + 6
        row = 6.0
        self.p.fillRect(_rect(MARGIN, y, PAGE_W - 2 * MARGIN, row), QColor("#dde2e8"))
        self.cells(y, row, [t for t, _, _ in TABLE], _font(8.5, True))
        for k, r in enumerate(d.results):
            top = y + row * (k + 1)
            if k % 2 == 1:
                self.p.fillRect(_rect(MARGIN, top, PAGE_W - 2 * MARGIN, row), QColor("#f1f3f6"))
            value = f"{r.value:.{2 if r.unit == '' else 1}f}" if math.isfinite(r.value) else "—"
            cls = f"{r.class_name}  {class_text(r)}" if r.class_name else "not classified"
            border = f"⚠ yes ({error_text(r)})" if r.borderline else (
                f"no ({error_text(r)})" if r.class_name and error_text(r) else "")
            self.cells(top, row, [r.name, value, r.unit, range_text(r), cls, border],
                       _font(8.5), warn=r.borderline)
        return y + row * (len(d.results) + 1)

    def cells(self, y: float, h: float, texts: list[str], font: QFont,
              warn: bool = False) -> None:
        x = MARGIN
        for k, ((_, w, right), text) in enumerate(zip(TABLE, texts)):
            align = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
            colour = "#b36b00" if warn and k == len(TABLE) - 1 else "#1b1f24"
            # 1.5 mm of air on the side the text is aligned to.
            self.text(x if right else x + 1.5, y, w - 1.5, h, text, font, align, colour)
            x += w
