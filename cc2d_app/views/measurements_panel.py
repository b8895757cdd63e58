"""The measurements panel: the analysis of the image on screen, one row per measurement.

It shows what it is given (``show_results``) and reports which measurement the user
picked; the workspace measures (live while a landmark is dragged) and draws the lines.
"""

from __future__ import annotations

from collections.abc import Sequence

import qtawesome as qta
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cc2d_app.logic.measurements import (
    SIGMA_MM,
    SIGMA_TEXT,
    class_text,
    error_text,
    range_text,
    value_text,
)
from cc2d_app.logic.palette import WARNING
from engine.analysis import Analysis, MeasurementResult

NO_ANALYSIS = "No analysis for this landmark set"
COLUMNS = ("Measurement", "Value", "Normal")
BORDERLINE_COLOUR = WARNING
NORMAL_COLOUR = "#7cc48a"
HINT = ("Click a measurement to draw its lines on the image; ⚠ marks a borderline class. "
        "Values follow a dragged landmark live.")


class MeasurementsPanel(QWidget):
    """Per measurement a row (name, value with unit, normal range) and beneath it its class
    in words, green when normal, with ⚠ when borderline."""

    measurementSelected = Signal(str)  # noqa: N815 (Qt naming); "" when none is picked
    reportRequested = Signal()  # noqa: N815
    compareRequested = Signal()  # noqa: N815

    def __init__(self, analysis: Analysis | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.analysis = analysis
        self.heading = QLabel()
        self.heading.setObjectName("heading")
        self.heading.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(14)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setItemsExpandable(False)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemClicked.connect(self._clicked)
        self.detail = QLabel(HINT)
        self.detail.setWordWrap(True)
        self.detail.setObjectName("description")
        self.detail.setToolTip(SIGMA_TEXT)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setObjectName("muted")
        self.report = QPushButton(qta.icon("mdi6.file-pdf-box"), "Report (PDF)…")
        self.report.setToolTip("A one-page report of this image: the radiograph with its "
                               "landmarks and lines, the measurements and their classes")
        self.report.clicked.connect(self.reportRequested)
        self.compare = QPushButton(qta.icon("mdi6.compare-horizontal"),
                                   "Compare with another image…")
        self.compare.setToolTip("Two radiographs of one patient: superimposed on S–N (or two "
                                "landmarks you choose), and the change of every measurement")
        self.compare.clicked.connect(self.compareRequested)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._results: dict[str, MeasurementResult] = {}
        self._selected = ""
        self._borderline = QIcon(qta.icon("mdi6.alert", color=BORDERLINE_COLOUR))
        blank = QPixmap(16, 16)
        blank.fill(Qt.GlobalColor.transparent)
        self._blank = QIcon(blank)  # keeps the words of every class row in one column
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.heading)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.note)
        layout.addWidget(self.report)
        layout.addWidget(self.compare)
        if analysis is None:
            self.heading.setText(f"<b>{NO_ANALYSIS}</b>")
            self.detail.setText("An analysis file (resources/analyses) whose \"schema\" names "
                                "this project's landmark schema adds measurements here.")
            self.tree.hide()
            self.report.setEnabled(False)
            return
        self.heading.setText(f"<b>{analysis.name}</b>")
        self.heading.setToolTip(analysis.description)
        bold = self.tree.font()
        bold.setBold(True)
        self._normal = {m.id: next((c.name for c in m.classes if c.normal), None)
                        for m in analysis.reported}
        for m in analysis.reported:
            item = QTreeWidgetItem([m.name, "", ""])
            item.setData(0, Qt.ItemDataRole.UserRole, m.id)
            item.setFont(0, bold)
            item.setToolTip(0, m.description or m.name)
            for col in (1, 2):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight
                                      | Qt.AlignmentFlag.AlignVCenter)
            cls = QTreeWidgetItem([""])
            cls.setData(0, Qt.ItemDataRole.UserRole, m.id)
            cls.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a click on it picks its measurement
            item.addChild(cls)
            self._items[m.id] = item
            self.tree.addTopLevelItem(item)
            cls.setFirstColumnSpanned(True)
        self.tree.expandAll()

    def selected(self) -> str:
        """The id of the measurement drawn on the image, "" when none."""
        return self._selected

    def row_text(self, measurement_id: str) -> tuple[str, str, str]:
        """What a measurement shows: value, normal range, and its class line (the class in
        words, "— borderline" when it is)."""
        item = self._items[measurement_id]
        return item.text(1), item.text(2), item.child(0).text(0)

    def show_results(self, results: Sequence[MeasurementResult], note: str) -> None:
        """Refresh the rows in place (the selection stays) and the note under them."""
        for r in results:
            self._results[r.id] = r
            item = self._items[r.id]
            item.setText(1, value_text(r))
            item.setText(2, range_text(r))
            item.setToolTip(1, _value_tip(r))
            cls = item.child(0)
            words = class_text(r) or "not classified"
            cls.setText(0, words + ("  — borderline" if r.borderline else ""))
            cls.setIcon(0, self._borderline if r.borderline else self._blank)
            normal = r.class_name is not None and r.class_name == self._normal[r.id]
            cls.setForeground(0, QColor(NORMAL_COLOUR if normal else "#c8ccd3"))
            cls.setToolTip(0, _class_tip(r))
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self._show_detail()

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        mid = item.data(0, Qt.ItemDataRole.UserRole)
        # A second click on the measurement drawn takes it off the image.
        self._selected = "" if mid == self._selected else mid
        if self._selected:
            self.tree.setCurrentItem(self._items[mid])
        else:
            self.tree.clearSelection()
        self._show_detail()
        self.measurementSelected.emit(self._selected)

    def _show_detail(self) -> None:
        r = self._results.get(self._selected)
        if r is None:
            self.detail.setText(HINT)
            return
        m = self.analysis.by_id(r.id)
        parts = [f"<b>{r.name}</b> {value_text(r)} <span style='color:#9aa0aa'>"
                 f"{error_text(r)}</span>"]
        if m.description:
            parts.append(m.description)
        if r.class_name:
            parts.append(f"{r.class_name}: {class_text(r)}"
                         + (f" — <span style='color:{WARNING}'>borderline</span>"
                            if r.borderline else ""))
        self.detail.setText("<br>".join(parts))


def _value_tip(r: MeasurementResult) -> str:
    parts = [f"{r.name}: {value_text(r)}"]
    if error_text(r):
        parts.append(f"{error_text(r)} if each landmark it uses is off by σ = {SIGMA_MM:g} mm")
    if r.note:
        parts.append(r.note)
    return "\n".join(parts)


def _class_tip(r: MeasurementResult) -> str:
    if r.class_name is None:
        return r.note or "not classified"
    tip = f"{r.class_name}: {r.class_meaning or r.class_name}"
    if r.borderline:
        tip += f"\nBorderline: {error_text(r)} reaches another class.\n{SIGMA_TEXT}"
    return tip
