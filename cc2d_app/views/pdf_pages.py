"""An A4 PDF drawn with QPdfWriter and QPainter into memory (no widget, no QPixmap, so
any thread): the reports' one way of making their pages."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
from PySide6.QtGui import QPageSize, QPainter, QPdfWriter

from cc2d_app.views.report_image import DPI


def a4_pdf(title: str, draw: Callable[[QPainter, QPdfWriter], None]) -> bytes:
    """The PDF bytes of ``draw(painter, writer)`` on A4 portrait pages at ``DPI``, no
    margins (the drawing places everything in mm itself)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(0, 0, 0, 0))
    writer.setResolution(DPI)
    writer.setTitle(title)
    writer.setCreator("CC2D landmark studio")
    painter = QPainter(writer)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        draw(painter, writer)
    finally:
        painter.end()
    buffer.close()
    return bytes(QByteArray(buffer.data()))
