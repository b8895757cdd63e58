"""The PDF report of an image: who and when (patient and exam fields), the radiograph with
its landmarks and each measurement's lines in the measurement's colour, the landmarks and
how each was obtained, then one table per analysis, continued on further pages as needed.

Drawn with Qt's own QPdfWriter and QPainter (A4 portrait, 300 dpi), no other dependency.
``write_report`` uses no widget and no QPixmap, so it runs in a worker thread: decoding
the radiograph and compressing it into the PDF take a few hundred milliseconds. Where things
go is :mod:`cc2d_app.views.report_layout`; the radiograph is :mod:`cc2d_app.views.report_image`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPdfWriter, QPen

from cc2d_app.canvas.measurement_overlay import drawable
from cc2d_app.controllers.workers import grey_qimage
from cc2d_app.logic.measurements import (
    class_text,
    deviation_text,
    interval_text,
    norm_text,
    source_text,
)
from cc2d_app.logic.review import is_low
from cc2d_app.views import report_layout as lay
from cc2d_app.views.pdf_pages import a4_pdf
from cc2d_app.views.report_image import MM, draw_radiograph, unique_measurements
from cc2d_app.views.view_panel import spacing_text
from engine.analysis import MeasurementResult
from engine.atomic import atomic_write_bytes
from engine.data.display import load_display, render_window
from engine.project import ImageRecord, Landmark, PatientFields

SOURCES_TEXT = ("Landmark sources: template = placed by hand on the template; "
                "predicted (confidence) = the model's; corrected = moved by hand.")
IMAGE_TOP, IMAGE_H, IMAGE_MAX_W = 50.0, 115.0, 110.0   # the first page's radiograph (mm)
# Table columns: title, width (mm), right-aligned; the first is the colour swatch.
TABLE = (("", 4, False), ("Measurement", 40, False), ("Value", 14, True), ("Unit", 8, False),
         ("Norm", 20, False), ("90 % interval", 24, False), ("Class", 44, False),
         ("Other class", 28, False))
TABLE_POINTS = 8.0
INK, GREY, WARN = "#1b1f24", "#4a505c", "#b36b00"
Section = tuple[str, list[MeasurementResult]]


@dataclass(frozen=True)
class ReportData:
    """What one report shows; gathered on the GUI thread, drawn anywhere."""

    project: str
    image: ImageRecord
    landmarks: list[Landmark | None]
    labels: list[str]
    names: list[str]
    colours: list[str]
    sections: list[Section]            # (analysis name, its results); none: no analysis fits
    created: str                       # local date and time, as printed
    patient: PatientFields = PatientFields()
    window: tuple[float, float, bool] | None = None  # as on screen; None: the image's own
    sigma_note: tuple[str, ...] = ()   # how each point's error was estimated, line by line


def write_report(path: str | os.PathLike[str], data: ReportData) -> Path:
    """Write the report to ``path`` (atomically) and return it."""
    out = Path(path)
    atomic_write_bytes(out, report_pdf(data))
    return out


def report_pdf(data: ReportData) -> bytes:
    """The report as PDF bytes (for a file, or a DICOM Encapsulated PDF)."""
    return a4_pdf(f"Cephalometric report — {data.image.name}",
                  lambda painter, writer: _Report(painter, writer, data).draw())


def radiograph(image: ImageRecord, window: tuple[float, float, bool] | None) -> QImage:
    """The image rendered with ``window`` (centre, width, invert), else its first preset."""
    display = load_display(image.path)
    if window is None:
        preset = display.presets[0]
        window = (preset.centre, preset.width, display.invert)
    return grey_qimage(render_window(display.values, *window))


def _rect(x: float, y: float, w: float, h: float) -> QRectF:
    """A rectangle given in mm, in device px."""
    return QRectF(x * MM, y * MM, w * MM, h * MM)


def value_cell(r: MeasurementResult) -> str:
    return f"{r.value:.{2 if r.unit == '' else 1}f}" if math.isfinite(r.value) else "—"


def row_texts(r: MeasurementResult) -> list[str]:
    """A table row's cells after the swatch."""
    cls = class_text(r) if r.class_name else "not classified"
    if deviation_text(r) and r.class_name:
        cls += f" ({deviation_text(r)})"
    other = "" if not math.isfinite(r.p_other_class) else (
        ("⚠ " if r.borderline else "") + f"{100 * r.p_other_class:.0f} %")
    lo, hi = r.interval
    digits = 2 if r.unit == "" else 1
    interval = f"{lo:.{digits}f}–{hi:.{digits}f}" if interval_text(r) else ""
    return [r.name, value_cell(r), r.unit, norm_text(r), interval, cls, other]


class _Report:
    def __init__(self, painter: QPainter, writer: QPdfWriter, data: ReportData) -> None:
        self.p = painter
        self.writer = writer
        self.d = data
        self.colours = lay.measurement_colours(data.sections)
        self.heights = [[self.row_height(r) for r in results] or [lay.ROW_MIN]
                        for _, results in data.sections]

    def text(self, x: float, y: float, w: float, h: float, text: str, font: QFont,
             align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft, colour: str = INK,
             wrap: bool = False) -> None:
        """``text`` in the box (mm): word-wrapped with ``wrap``, else on one line, cut with
        an ellipsis only if it cannot fit."""
        self.p.setFont(font)
        self.p.setPen(QColor(colour))
        flags = align | Qt.AlignmentFlag.AlignVCenter
        if wrap:
            self.p.drawText(_rect(x, y, w, h), flags | Qt.TextFlag.TextWordWrap, text)
        else:
            self.p.drawText(_rect(x, y, w, h), flags, lay.elided(text, font, w, self.writer))

    def fitted(self, x: float, y: float, w: float, h: float, text: str, points: float,
               bold: bool = False) -> None:
        """One line shrunk (down to 7 pt) rather than cut."""
        size = lay.fitting_points([(text, w)], points, self.writer, bold, least=7.0)
        self.text(x, y, w, h, text, lay.font(size, bold))

    # -- pages ------------------------------------------------------------------------

    def draw(self) -> None:
        d = self.d
        self.first_header()
        image = radiograph(d.image, d.window)
        frame_w = min(IMAGE_MAX_W, IMAGE_H * image.width() / image.height())
        measurements = unique_measurements(d.sections, self.colours)
        target = draw_radiograph(self.p, image, _rect(lay.MARGIN, IMAGE_TOP, frame_w, IMAGE_H),
                                 d.landmarks, d.labels, d.colours, measurements)
        list_x = target.right() / MM + 4
        bottom = self.landmark_list(list_x, IMAGE_TOP, lay.PAGE_W - lay.MARGIN - list_x,
                                    IMAGE_H)
        top = max(target.bottom() / MM, bottom) + 5
        notes = (list(d.sigma_note) if d.sections else []) + [SOURCES_TEXT] + sorted(
            {r.note for _, results in d.sections for r in results if r.note})
        if not d.sections:
            self.text(lay.MARGIN, top, 100, 6, "Measurements", lay.font(11, True))
            self.text(lay.MARGIN, top + lay.TITLE_H, 150, 6,
                      "No analysis for this landmark set.", lay.font(9))
            top += lay.TITLE_H + 6 + lay.GAP
        layout = lay.paginate(self.heights, len(notes) * lay.NOTE_H + 2, top)
        for k, parts in enumerate(layout.pages):
            if k > 0:
                self.writer.newPage()
                self.later_header()
            for part in parts:
                self.table(part)
            if k == layout.notes_page:
                for n, line in enumerate(notes):
                    self.text(lay.MARGIN, layout.notes_y + 2 + lay.NOTE_H * n, lay.CONTENT_W,
                              lay.NOTE_H, line, lay.font(7.5), colour=GREY)
            self.footer(k + 1, len(layout.pages))

    def first_header(self) -> None:
        d, rec = self.d, self.d.image
        width = lay.CONTENT_W
        self.text(lay.MARGIN, 12, width, 9, "Cephalometric report", lay.font(17, True))
        self.text(lay.MARGIN, 12, width, 9, d.created, lay.font(9),
                  Qt.AlignmentFlag.AlignRight, "#5b6270")
        names = [name for name, _ in d.sections]
        analyses = (f"Analysis: {names[0]}" if len(names) == 1 else
                    f"Analyses: {', '.join(names)}" if names else
                    "Analysis: none for this landmark set")
        # The app's text for an unknown spacing says what to do there; a report just says so.
        spacing = spacing_text(rec.spacing) if rec.spacing else "unknown: lengths in pixels"
        lines = [f"Project: {d.project}", f"Image: {rec.name}  ({rec.width} × {rec.height} px)",
                 f"Pixel spacing: {spacing}", analyses]
        patient = [f"{label}: {value}" for label, value in d.patient.shown()]
        left_w = 96.0 if patient else width
        for k, line in enumerate(lines):
            self.fitted(lay.MARGIN, 22 + 5.2 * k, left_w, 5, line, 9.5, bold=k < 2)
        if patient:
            self.patient_block(patient, lay.MARGIN + left_w + 4, 22, width - left_w - 4, 24)
        self.rule(47)

    def patient_block(self, lines: list[str], x: float, y: float, w: float, h: float) -> None:
        """The patient fields, wrapped rather than cut: a long name takes two lines, the
        font shrinks (down to 6.5 pt) until all fit ``h``."""
        size = 9.0
        while True:
            heights = [lay.wrapped_height(t, lay.font(size, k == 0), w, self.writer)
                       for k, t in enumerate(lines)]
            if sum(heights) <= h or size <= 6.5:
                break
            size -= 0.25
        self.p.save()
        self.p.setClipRect(_rect(x, y, w, h))   # past 128 characters a field could overrun
        for k, (line, height) in enumerate(zip(lines, heights)):
            self.text(x, y, w, height, line, lay.font(size, k == 0), wrap=True)
            y += height
        self.p.restore()

    def later_header(self) -> None:
        d = self.d
        self.text(lay.MARGIN, 11, 110, 7, f"Cephalometric report — {d.image.name}",
                  lay.font(10, True))
        who = "  ·  ".join(v for v in (d.patient.name, d.patient.patient_id) if v)
        self.text(lay.MARGIN + 112, 11, lay.CONTENT_W - 112, 7, who or d.created, lay.font(9),
                  Qt.AlignmentFlag.AlignRight, "#5b6270")
        self.rule(19)

    def footer(self, page: int, pages: int) -> None:
        self.rule(282)
        self.text(lay.MARGIN, 283, lay.CONTENT_W - 25, 5, "CC2D landmark studio. Values follow "
                  "from the landmark positions shown; check the points before relying on them.",
                  lay.font(7), colour="#6b717c")
        self.text(lay.MARGIN, 283, lay.CONTENT_W, 5, f"Page {page} of {pages}", lay.font(7),
                  Qt.AlignmentFlag.AlignRight, "#6b717c")

    def rule(self, y: float) -> None:
        self.p.setPen(QPen(QColor("#c9ced6"), 0.25 * MM))
        self.p.drawLine(QPointF(lay.MARGIN * MM, y * MM),
                        QPointF((lay.PAGE_W - lay.MARGIN) * MM, y * MM))

    # -- landmarks ----------------------------------------------------------------------

    def landmark_list(self, x: float, y: float, w: float, h: float) -> float:
        """The landmarks, each with its label, whole name and source; returns the bottom."""
        d = self.d
        self.text(x, y, w, 5, "Landmarks", lay.font(10, True))
        row = lay.list_row(len(d.landmarks), h, y)
        sources = [source_text(lm) for lm in d.landmarks]
        cols = lay.landmark_columns(d.labels, d.names, sources, w, row, self.writer)
        font = lay.font(cols.points)
        for k, (lm, label, name, colour, source) in enumerate(
                zip(d.landmarks, d.labels, d.names, d.colours, sources)):
            top = y + lay.LIST_HEAD + k * row
            if k % 2 == 0:
                self.p.fillRect(_rect(x, top, w, row), QColor("#f1f3f6"))
            self.p.setPen(QPen(QColor("black"), 0.15 * MM))
            self.p.setBrush(QColor(colour))
            self.p.drawEllipse(QPointF((x + 2) * MM, (top + row / 2) * MM), 0.9 * MM, 0.9 * MM)
            name_x = x + lay.SWATCH_W + cols.label_w
            if label != name:
                self.text(x + lay.SWATCH_W, top, cols.label_w, row, label, font, wrap=True)
            else:   # no abbreviation: the name alone, over both columns
                name_x = x + lay.SWATCH_W
            self.text(name_x, top, x + w - cols.source_w - name_x, row, name, font,
                      colour=GREY, wrap=True)
            self.text(x + w - cols.source_w, top, cols.source_w, row, source, font,
                      colour=WARN if is_low(lm) else INK, wrap=True)
        return y + lay.LIST_HEAD + len(d.landmarks) * row

    # -- measurements -------------------------------------------------------------------

    def row_height(self, r: MeasurementResult) -> float:
        """A row tall enough for its wrapped cells."""
        font = lay.font(TABLE_POINTS)
        needed = max(lay.wrapped_height(t, font, w - 1.5, self.writer)
                     for (_, w, _), t in zip(TABLE[1:], row_texts(r)))
        return max(lay.ROW_MIN, needed + lay.ROW_PAD)

    def table(self, part: lay.TablePart) -> None:
        name, results = self.d.sections[part.section]
        y = part.y
        title = f"Measurements — {name}" + (" (continued)" if part.continued else "")
        self.text(lay.MARGIN, y, lay.CONTENT_W, 6, title, lay.font(11, True))
        y += lay.TITLE_H
        self.p.fillRect(_rect(lay.MARGIN, y, lay.CONTENT_W, lay.HEAD_H), QColor("#dde2e8"))
        self.cells(y, lay.HEAD_H, [t for t, _, _ in TABLE[1:]], lay.font(TABLE_POINTS, True))
        y += lay.HEAD_H
        if not results:
            self.text(lay.MARGIN + 1.5, y, 150, lay.ROW_MIN, "No measurements in this analysis.",
                      lay.font(TABLE_POINTS))
            return
        for k in range(part.start, part.end):
            r, h = results[k], self.heights[part.section][k]
            if k % 2 == 1:
                self.p.fillRect(_rect(lay.MARGIN, y, lay.CONTENT_W, h), QColor("#f1f3f6"))
            if drawable(r.lines):   # the colour of its lines on the image (none: none)
                self.p.setPen(QPen(QColor("black"), 0.15 * MM))
                self.p.setBrush(QColor(self.colours[lay.drawing_key(r)]))
                self.p.drawRect(_rect(lay.MARGIN + 0.8, y + h / 2 - 1.3, 2.6, 2.6))
            self.cells(y, h, row_texts(r), lay.font(TABLE_POINTS), warn=r.borderline)
            y += h

    def cells(self, y: float, h: float, texts: list[str], font: QFont,
              warn: bool = False) -> None:
        x = lay.MARGIN + TABLE[0][1]
        for k, ((_, w, right), text) in enumerate(zip(TABLE[1:], texts)):
            align = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
            colour = WARN if warn and k == len(texts) - 1 else INK
            # 1.5 mm of air on the side the text is aligned to.
            self.text(x if right else x + 1.5, y, w - 1.5, h, text, font, align, colour,
                      wrap=True)
            x += w
