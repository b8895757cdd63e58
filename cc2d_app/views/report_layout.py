"""Where things go on the report's pages, apart from drawing them: which measurement rows
land on which page, the colour of each measurement, where a label on the image goes, and
text fitted to a width (never cut where it can be made to fit).

Lengths are mm on an A4 page unless said otherwise; the text helpers measure with the
device the report is drawn on, as font metrics depend on its resolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPaintDevice

from cc2d_app.logic.palette import measurement_colour
from engine.analysis import MeasurementResult

PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 14.0
CONTENT_W = PAGE_W - 2 * MARGIN
TOP_LATER = 24.0         # content top on pages after the first (below their short header)
BOTTOM = 279.0           # content bottom on every page (the footer is below)
TITLE_H, HEAD_H, GAP = 7.0, 5.5, 4.0   # a table's title, its header row, air after it
ROW_MIN, ROW_PAD = 5.5, 1.8             # a table row's least height; air around its lines
NOTE_H = 4.0             # one line of the notes under the last table
MIN_POINTS = 5.5         # text is shrunk to fit down to this size before it is wrapped


def mm_per_px(device: QPaintDevice) -> float:
    return 25.4 / device.logicalDpiX()


def font(points: float, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSizeF(points)
    f.setBold(bold)
    return f


def advance(text: str, f: QFont, device: QPaintDevice) -> float:
    """Width of ``text`` on one line, mm."""
    return QFontMetricsF(f, device).horizontalAdvance(text) * mm_per_px(device)


def elided(text: str, f: QFont, width: float, device: QPaintDevice) -> str:
    """``text`` as drawn in ``width`` mm on one line: the whole text when it fits."""
    return QFontMetricsF(f, device).elidedText(text, Qt.TextElideMode.ElideRight,
                                               width / mm_per_px(device))


def fitting_points(items: Sequence[tuple[str, float]], points: float, device: QPaintDevice,
                   bold: bool = False, least: float = MIN_POINTS) -> float:
    """The largest size up to ``points`` (by quarter points, down to ``least``) at which
    every (text, width in mm) fits its width on one line; ``least`` when some never do."""
    size, least = points, min(least, points)
    while size > least and any(advance(t, font(size, bold), device) > w for t, w in items):
        size -= 0.25
    return max(size, least)


@dataclass(frozen=True)
class ListColumns:
    """The landmark list's font size and column widths (mm): swatch, label, name, source.
    A label that is the name itself (no abbreviation) spans the label and name columns."""

    points: float
    label_w: float
    name_w: float
    source_w: float


SWATCH_W = 4.0
LIST_HEAD = 7.0           # the landmark list's title, above its rows
ROW_MAX, ROW_READABLE = 5.6, 4.2   # a list row's height: at most; at least while room lasts


def list_row(n: int, beside: float, top: float) -> float:
    """The height of the landmark list's rows: the list fits ``beside`` (the image's height)
    when it can; when not, rows stay readable (6.7 pt) and the list runs on below the
    image, down to the page's bottom at most."""
    n = max(n, 1)
    fitting = (beside - LIST_HEAD) / n
    room = (BOTTOM - top - LIST_HEAD) / n
    return min(ROW_MAX, max(fitting, min(ROW_READABLE, room)))


def landmark_columns(labels: Sequence[str], names: Sequence[str], sources: Sequence[str],
                     width: float, row: float, device: QPaintDevice) -> ListColumns:
    """Columns sized to their texts, the names' font shrunk until every name fits whole."""
    base = min(8.0, row * 1.6)
    f = font(base)
    short = [lab for lab, name in zip(labels, names) if lab != name]
    label_w = min(max((advance(t, f, device) for t in short), default=0.0) + 1.5, 14.0)
    source_w = min(max((advance(t, f, device) for t in sources), default=0.0) + 1.5, 28.0)
    name_w = width - SWATCH_W - label_w - source_w
    items = [(name, name_w if lab != name else name_w + label_w)
             for lab, name in zip(labels, names)]
    items += [(t, label_w) for t in short] + [(t, source_w) for t in sources]
    return ListColumns(fitting_points(items, base, device), label_w, name_w, source_w)


def wrapped_height(text: str, f: QFont, width: float, device: QPaintDevice) -> float:
    """Height in mm of ``text`` word-wrapped in ``width`` mm."""
    scale = mm_per_px(device)
    box = QFontMetricsF(f, device).boundingRect(
        QRectF(0, 0, width / scale, 1e6), int(Qt.TextFlag.TextWordWrap), text)
    return box.height() * scale


@dataclass(frozen=True)
class TablePart:
    """The rows ``start:end`` of section ``section``, drawn from ``y`` (its title's top)."""

    section: int
    start: int
    end: int
    y: float
    continued: bool   # the section began on an earlier page


@dataclass(frozen=True)
class Layout:
    """Each page's table parts (page 0 first), and where the notes go."""

    pages: list[list[TablePart]]
    notes_page: int
    notes_y: float


def paginate(sections: Sequence[Sequence[float]], notes_h: float, first_top: float,
             top: float = TOP_LATER, bottom: float = BOTTOM) -> Layout:
    """Lay out tables of rows ``sections[k]`` (their heights) from ``first_top`` on the first
    page; the first section starts on the first page, the others on the pages after it,
    one after another. A table that does not fit continues on the next page under its
    title and header again; a title is never left without at least one row (two, when the
    table has them) under it. The notes follow the last table, on a new page if needed."""
    pages: list[list[TablePart]] = [[]]
    y = first_top
    for k, heights in enumerate(sections):
        if k == 1:
            pages.append([])
            y = top
        start, continued = 0, False
        while True:
            room = bottom - y - TITLE_H - HEAD_H
            n, used = 0, 0.0
            while start + n < len(heights) and used + heights[start + n] <= room:
                used += heights[start + n]
                n += 1
            least = min(2, len(heights) - start)
            if n < least and y > top:   # too little room left here: the next page
                pages.append([])
                y = top
                continue
            n = max(n, min(1, len(heights) - start))   # a row taller than a page still goes
            used = max(used, sum(heights[start:start + n]))
            pages[-1].append(TablePart(k, start, start + n, y, continued))
            y += TITLE_H + HEAD_H + used + GAP
            start += n
            if start >= len(heights):
                break
            pages.append([])
            y, continued = top, True
    if y + notes_h > bottom:
        pages.append([])
        y = top
    return Layout(pages, len(pages) - 1, y)


def drawing_key(r: MeasurementResult) -> tuple[str, tuple]:
    """What makes two measurements one on the image: the id and the lines (two analyses
    may use one id for different measurements)."""
    return r.id, r.lines


def measurement_colours(sections: Sequence[tuple[str, Sequence[MeasurementResult]]]
                        ) -> dict[tuple[str, tuple], str]:
    """:func:`drawing_key` -> its colour: the palette in the order measurements first
    appear, so one shared by two analyses keeps one colour on the image and in both
    tables."""
    colours: dict[tuple[str, tuple], str] = {}
    for _name, results in sections:
        for r in results:
            if drawing_key(r) not in colours:
                colours[drawing_key(r)] = measurement_colour(len(colours))
    return colours


def overlap(a: QRectF, b: QRectF) -> float:
    both = a.intersected(b)
    return both.width() * both.height() if both.isValid() else 0.0


def place_label(candidates: Sequence[QRectF], taken: Sequence[QRectF], bounds: QRectF
                ) -> QRectF:
    """The first candidate inside ``bounds`` that covers nothing ``taken``; else the one
    covering least (a crowded image still labels every measurement)."""
    def cost(rect: QRectF) -> float:
        outside = rect.width() * rect.height() - overlap(rect, bounds)
        return 4 * outside + sum(overlap(rect, t) for t in taken)

    return min(candidates, key=cost)   # the first of the cheapest
