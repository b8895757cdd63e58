"""The measurements panel: the chosen analyses of the image on screen, one section per
analysis, one row per measurement, and what the landmark set cannot compute.

It shows what it is given (``show_results``) and reports which analyses the user chose
and which measurement was picked; the workspace measures (live while a landmark is
dragged) and draws the lines.
"""

from __future__ import annotations

from collections.abc import Sequence

import qtawesome as qta
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cc2d_app.logic.measurements import (
    chance_text,
    class_text,
    deviation_text,
    interval_text,
    norm_text,
    value_text,
)
from cc2d_app.logic.palette import WARNING
from engine.analysis import BoundAnalysis, MeasurementResult

COLUMNS = ("Measurement", "Value", "Norm")
BORDERLINE_COLOUR = WARNING
NORMAL_COLOUR = "#7cc48a"
MUTED = "#9aa0aa"
HINT = ("Click a measurement to draw its lines on the image; ⚠ marks a class that may well "
        "be another. Values follow a dragged landmark live.")
Section = tuple[BoundAnalysis, list[MeasurementResult]]


def key(analysis_id: str, measurement_id: str) -> str:
    """A measurement's key in the panel (ids repeat across analyses)."""
    return f"{analysis_id}/{measurement_id}"


class MeasurementsPanel(QWidget):
    """Per chosen analysis a heading row, then per measurement a row (name, value with
    unit, norm) with its class in words beneath (green when normal, ⚠ when borderline),
    then a row naming the points the measurements it cannot compute would need."""

    measurementSelected = Signal(str)  # noqa: N815 (Qt naming); key(), "" when none
    analysesChosen = Signal(list)  # noqa: N815 (ids of the analyses now shown)
    reportRequested = Signal()  # noqa: N815
    compareRequested = Signal()  # noqa: N815

    def __init__(self, offered: Sequence[BoundAnalysis], chosen: Sequence[str],
                 problems: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.offered = {b.analysis.id: b for b in offered}
        self.chosen = [c for c in chosen if c in self.offered]
        self.heading = QLabel()
        self.heading.setObjectName("heading")
        self.heading.setWordWrap(True)
        self.choose = QToolButton()
        self.choose.setText("Analyses")
        self.choose.setIcon(qta.icon("mdi6.format-list-checks"))
        self.choose.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.choose.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.choose.setToolTip("Choose the analyses to show (your own: see the README, "
                               "'Your own analyses and norms')")
        self.menu = QMenu(self.choose)
        self._actions: dict[str, QAction] = {}
        for aid, b in self.offered.items():
            action = self.menu.addAction(_menu_text(b))
            action.setCheckable(True)
            action.setChecked(aid in self.chosen)
            action.setToolTip(b.analysis.description)
            action.toggled.connect(self._toggled)
            self._actions[aid] = action
        self.choose.setMenu(self.menu)
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
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setObjectName("muted")
        self.problems = QLabel("\n".join(problems))
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {WARNING}")
        self.problems.setVisible(bool(problems))
        self.report = QPushButton(qta.icon("mdi6.file-pdf-box"), "Report (PDF)…")
        self.report.setToolTip("A report of this image: the radiograph with its landmarks "
                               "and lines, and the chosen analyses, one page each")
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
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.choose)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.problems)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.note)
        layout.addWidget(self.report)
        layout.addWidget(self.compare)
        self._build()

    def selected(self) -> str:
        """The key of the measurement drawn on the image, "" when none."""
        return self._selected

    def chosen_analyses(self) -> list[BoundAnalysis]:
        return [self.offered[a] for a in self.chosen]

    def row_text(self, measurement_key: str) -> tuple[str, str, str]:
        """What a measurement shows: value, norm, and its class line."""
        item = self._items[measurement_key]
        return item.text(1), item.text(2), item.child(0).text(0)

    def show_results(self, sections: Sequence[Section], note: str, sigma_note: str) -> None:
        """Refresh the rows in place (the selection stays) and the notes under them."""
        for bound, results in sections:
            for r in results:
                k = key(bound.analysis.id, r.id)
                if k not in self._items:
                    continue
                self._results[k] = r
                self._show_row(self._items[k], r, bound)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.detail.setToolTip(sigma_note)
        self._show_detail()

    # -- building ----------------------------------------------------------------------

    def _build(self) -> None:
        self.tree.clear()
        self._items.clear()
        shown = self.chosen_analyses()
        if not self.offered:
            self.heading.setText("<b>No analysis on offer</b>")
        elif not shown:
            self.heading.setText("<b>No analysis chosen</b>: pick one under Analyses")
        else:
            self.heading.setText("<b>Measurements</b>")
        bold = self.tree.font()
        bold.setBold(True)
        for bound in shown:
            head = QTreeWidgetItem([bound.analysis.name])
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            head.setFont(0, bold)
            head.setForeground(0, QColor("#8ab4f8"))
            head.setToolTip(0, f"{bound.analysis.description}\n\nSource: {bound.analysis.source}")
            self.tree.addTopLevelItem(head)
            head.setFirstColumnSpanned(True)
            for m in bound.computable:
                item = QTreeWidgetItem([m.name, "", ""])
                k = key(bound.analysis.id, m.id)
                item.setData(0, Qt.ItemDataRole.UserRole, k)
                item.setToolTip(0, m.description or m.name)
                for col in (1, 2):
                    item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                cls = QTreeWidgetItem([""])
                cls.setData(0, Qt.ItemDataRole.UserRole, k)
                cls.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a click on it picks its measurement
                item.addChild(cls)
                self._items[k] = item
                self.tree.addTopLevelItem(item)
                cls.setFirstColumnSpanned(True)
            if bound.not_computable:
                self._add_missing(bound)
        self.tree.expandAll()
        if self._selected not in self._items:
            self._selected = ""

    def _add_missing(self, bound: BoundAnalysis) -> None:
        lacking = sorted({c for _, cs in bound.not_computable for c in cs})
        n = len(bound.not_computable)
        row = QTreeWidgetItem([f"{n} more need{'s' if n == 1 else ''} "
                               f"{', '.join(lacking)}"])
        row.setFlags(Qt.ItemFlag.ItemIsEnabled)
        row.setForeground(0, QColor(MUTED))
        row.setToolTip(0, "Not computable with this landmark set:\n" + "\n".join(
            f"{m.name}: needs {', '.join(cs)}" for m, cs in bound.not_computable))
        self.tree.addTopLevelItem(row)
        row.setFirstColumnSpanned(True)

    def _show_row(self, item: QTreeWidgetItem, r: MeasurementResult, bound: BoundAnalysis
                  ) -> None:
        item.setText(1, value_text(r))
        item.setText(2, norm_text(r))
        item.setToolTip(1, "\n".join(t for t in (f"{r.name}: {value_text(r)}",
                                                  f"90 % interval {interval_text(r)}"
                                                  if interval_text(r) else "", r.note) if t))
        cls = item.child(0)
        words = class_text(r) or "not classified"
        deviation = deviation_text(r)
        line = words + (f" ({deviation})" if deviation and r.class_name else "")
        if r.borderline:
            line += f" · {100 * r.p_other_class:.0f} % other"
        cls.setText(0, line)
        cls.setIcon(0, self._borderline if r.borderline else self._blank)
        m = bound.analysis.by_id(r.id)
        normal = r.class_name is not None and r.class_name == next(
            (c.name for c in m.classes if c.normal), None)
        cls.setForeground(0, QColor(NORMAL_COLOUR if normal else "#c8ccd3"))
        cls.setToolTip(0, "\n".join(t for t in (
            f"{r.class_name}: {r.class_meaning or r.class_name}" if r.class_name else
            (r.note or "not classified"), chance_text(r)) if t))

    # -- interaction -------------------------------------------------------------------

    def _toggled(self, _checked: bool) -> None:
        # In the order chosen: what was shown stays on top, a new pick goes below it.
        ticked = [aid for aid, a in self._actions.items() if a.isChecked()]
        self.chosen = [a for a in self.chosen if a in ticked] + [
            a for a in ticked if a not in self.chosen]
        self._build()
        self.analysesChosen.emit(list(self.chosen))

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        k = item.data(0, Qt.ItemDataRole.UserRole)
        if not k:
            return
        # A second click on the measurement drawn takes it off the image.
        self._selected = "" if k == self._selected else k
        if self._selected:
            self.tree.setCurrentItem(self._items[k])
        else:
            self.tree.clearSelection()
        self._show_detail()
        self.measurementSelected.emit(self._selected)

    def _show_detail(self) -> None:
        r = self._results.get(self._selected)
        if r is None:
            self.detail.setText(HINT)
            return
        parts = [f"<b>{r.name}</b> {value_text(r)} <span style='color:{MUTED}'>"
                 f"(90 %: {interval_text(r)})</span>" if interval_text(r)
                 else f"<b>{r.name}</b> {value_text(r)}"]
        if r.description:
            parts.append(r.description)
        if r.norm is not None:
            parts.append(f"Norm {r.norm.mean:g} ± {r.norm.sd:g} {r.unit}".rstrip()
                         + (f", {deviation_text(r)}" if deviation_text(r) else ""))
        if r.class_name:
            parts.append(f"{class_text(r)} — {chance_text(r)}"
                         + (f" <span style='color:{WARNING}'>(borderline)</span>"
                            if r.borderline else ""))
        self.detail.setText("<br>".join(parts))


def _menu_text(bound: BoundAnalysis) -> str:
    n, total = len(bound.computable), len(bound.analysis.reported)
    return f"{bound.analysis.name}  ({n} of {total})" if n < total else bound.analysis.name
