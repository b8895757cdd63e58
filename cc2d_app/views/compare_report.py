"""The superimposition report: two radiographs of one patient as the compare dialog shows
them (both tracings registered, in two colours, each landmark's move dotted) and the
change of every measurement, on one A4 page (a table that does not fit continues).

Drawn with QPdfWriter and QPainter only (no widget, no QPixmap), so it runs in a worker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPdfWriter, QPen

from cc2d_app.views import report_layout as lay
from cc2d_app.views.pdf_pages import a4_pdf
from cc2d_app.views.report_image import MM
from engine.atomic import atomic_write_bytes
from engine.project import PatientFields

INK, GREY = "#1b1f24", "#5b6270"
DRAWING_H = 120.0      # mm
ROW_H, HEAD_H = 5.2, 6.5
COLUMNS = (("Measurement", 80.0, False), ("First", 32.0, True), ("Second", 32.0, True),
           ("Change", 38.0, True))


@dataclass(frozen=True)
class CompareReport:
    """What the page shows: ``first`` and ``second`` (N, 2) points, the second already
    registered onto the first; ``on``: the two landmarks registered on; ``rows``: per
    analysis its name and (measurement, first, second, change) texts."""

    project: str
    first_name: str
    second_name: str
    legend: str
    patient: PatientFields
    labels: list[str]
    first: np.ndarray
    second: np.ndarray
    on: tuple[int, int]
    colours: tuple[str, str]
    rows: list[tuple[str, list[tuple[str, str, str, str]]]]
    created: str


def write_compare_report(path: str | os.PathLike[str], data: CompareReport) -> Path:
    """Write the page(s) to ``path`` atomically and return it."""
    out = Path(path)
    atomic_write_bytes(out, a4_pdf(f"Superimposition — {data.first_name} and "
                                   f"{data.second_name}",
                                   lambda painter, writer: _draw(painter, writer, data)))
    return out


def _text(p: QPainter, x: float, y: float, w: float, h: float, text: str, points: float,
          bold: bool = False, colour: str = INK,
          align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> None:
    font = lay.font(points, bold)
    p.setFont(font)
    p.setPen(QColor(colour))
    box = QRectF(x * MM, y * MM, w * MM, h * MM)
    p.drawText(box, align | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap, text)


def _draw(p: QPainter, writer: QPdfWriter, d: CompareReport) -> None:
    m, width = lay.MARGIN, lay.CONTENT_W
    _text(p, m, 12, width, 9, "Superimposition", 17, True)
    _text(p, m, 12, width, 9, d.created, 9, colour=GREY, align=Qt.AlignmentFlag.AlignRight)
    lines = [f"Project: {d.project}", f"First (before): {d.first_name}",
             f"Second (after): {d.second_name}", d.legend]
    lines += [f"{label}: {value}" for label, value in d.patient.shown()]
    y = 23.0
    for line in lines:
        _text(p, m, y, width, 5, line, 9.5)
        y += 5.0
    frame = QRectF(m * MM, (y + 2) * MM, width * MM, DRAWING_H * MM)
    _tracings(p, d, frame)
    y += 2 + DRAWING_H + 5
    for name, rows in d.rows:
        if y + HEAD_H + ROW_H > lay.BOTTOM:
            writer.newPage()
            y = lay.TOP_LATER
        _text(p, m, y, width, HEAD_H, name, 11, True)
        y += HEAD_H
        y = _header(p, y)
        for row in rows:
            if y + ROW_H > lay.BOTTOM:
                writer.newPage()
                y = _header(p, lay.TOP_LATER)
            x = m
            for (_, w, right), cell in zip(COLUMNS, row):
                _text(p, x, y, w, ROW_H, cell, 8.5,
                      align=Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft)
                x += w
            y += ROW_H
        y += 3
    if not d.rows:
        _text(p, m, y, width, 6, "No analysis chosen: the landmarks only.", 9)


def _header(p: QPainter, y: float) -> float:
    x = lay.MARGIN
    for title, w, right in COLUMNS:
        _text(p, x, y, w, ROW_H, title, 8.5, True,
              align=Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft)
        x += w
    return y + ROW_H


def _tracings(p: QPainter, d: CompareReport, frame: QRectF) -> None:
    both = np.vstack([d.first, d.second])
    finite = both[np.all(np.isfinite(both), axis=1)]
    if len(finite) == 0:
        return
    lo, hi = finite.min(axis=0), finite.max(axis=0)
    span = max(hi[0] - lo[0], hi[1] - lo[1], 1.0) * 1.1
    scale = min(frame.width(), frame.height()) / span
    centre = (lo + hi) / 2

    def at(x: float, y: float) -> QPointF:
        return QPointF(frame.center().x() + (x - centre[0]) * scale,
                       frame.center().y() + (y - centre[1]) * scale)

    p.setPen(QPen(QColor("#c8ccd3"), 0.2 * MM))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(frame)
    move = QPen(QColor("#8a8f98"), 0.25 * MM, Qt.PenStyle.DotLine)
    for (x0, y0), (x1, y1) in zip(d.first, d.second):
        if np.all(np.isfinite([x0, y0, x1, y1])):
            p.setPen(move)
            p.drawLine(at(x0, y0), at(x1, y1))
    radius = 0.9 * MM
    for pts, colour in zip((d.first, d.second), d.colours):
        p.setPen(QPen(QColor(colour), 0.45 * MM))
        a, b = pts[d.on[0]], pts[d.on[1]]
        if np.all(np.isfinite([*a, *b])):
            p.drawLine(at(*a), at(*b))
        p.setBrush(QBrush(QColor(colour)))
        for x, y in pts:
            if np.isfinite(x) and np.isfinite(y):
                p.drawEllipse(at(x, y), radius, radius)
        p.setBrush(Qt.BrushStyle.NoBrush)
    p.setFont(lay.font(6.5))
    p.setPen(QColor(INK))
    for label, (x, y) in zip(d.labels, d.first):
        if np.isfinite(x) and np.isfinite(y):
            p.drawText(at(x, y) + QPointF(1.3 * MM, -1.0 * MM), label)
