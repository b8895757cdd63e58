"""Two radiographs of one patient (before / after treatment): the second's landmarks laid
onto the first's, registered at one landmark and oriented on a second (S–N by default),
both tracings in two colours, and the change of every measurement.

It only reads the session; the registration and the changes are the engine's
(:mod:`engine.analysis.superimpose`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cc2d_app.controllers.analysis_controller import AnalysisController
from cc2d_app.controllers.workers import Task
from cc2d_app.dialogs import file_dialogs
from cc2d_app.dialogs.error_dialog import show_error
from cc2d_app.logic.compare import change_texts, default_pair
from cc2d_app.session import ProjectSession
from cc2d_app.views.compare_report import CompareReport, write_compare_report
from engine.analysis.superimpose import SuperimpositionError, measurement_changes, superimpose
from engine.project.measuring import points_array

FIRST_COLOUR, SECOND_COLOUR = "#4ea3ff", "#ff8c42"
DOT_PX = 7   # on screen, whatever the zoom


class CompareDialog(QDialog):
    """Pick the second image and the landmarks to register on; the drawing and the table
    follow each choice."""

    def __init__(self, session: ProjectSession, analyses: AnalysisController, first_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare two radiographs of one patient")
        self.resize(1100, 660)
        self._session, self._analyses, self._first = session, analyses, first_id
        schema = session.schema
        self.second = QComboBox()
        for rec in session.images():
            if rec.id != first_id and any(p is not None for p in session.landmarks(rec.id)):
                self.second.addItem(rec.name, rec.id)
        self.at, self.towards = QComboBox(), QComboBox()
        for combo in (self.at, self.towards):
            for i in range(len(schema)):
                combo.addItem(f"{schema.label(i)} — {schema.landmarks[i].name}", i)
        at, towards = default_pair(schema)
        self.at.setCurrentIndex(at)
        self.towards.setCurrentIndex(towards)
        form = QFormLayout()
        form.addRow("First (before):", QLabel(session.image(first_id).name))
        form.addRow("Second (after):", self.second)
        form.addRow("Register at:", self.at)
        form.addRow("Oriented towards:", self.towards)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.scene = QGraphicsScene(self)
        self.view = QGraphicsView(self.scene)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumSize(420, 420)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Measurement", "First", "Second", "Change"])
        self.table.setRootIsDecorated(False)
        header = self.table.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.report = buttons.addButton("Report (PDF)…", QDialogButtonBox.ButtonRole.ActionRole)
        self.report.setToolTip("Both tracings and the table of changes on an A4 page")
        self.report.clicked.connect(self._write_report)
        self.message = QLabel()
        self.message.setObjectName("muted")
        self._page: CompareReport | None = None
        side = QVBoxLayout()
        side.addLayout(form)
        side.addWidget(self.legend)
        side.addWidget(self.table, 1)
        body = QHBoxLayout()
        body.addWidget(self.view, 1)
        body.addLayout(side, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        for combo in (self.second, self.at, self.towards):
            combo.currentIndexChanged.connect(self._update)
        self._update()

    def second_id(self) -> int | None:
        return self.second.currentData()

    def _update(self) -> None:
        self.scene.clear()
        self.table.clear()
        self._page = None
        self.report.setEnabled(False)
        second = self.second_id()
        if second is None:
            self.legend.setText("No other image of this project has landmarks to compare.")
            return
        first_rec, second_rec = self._session.image(self._first), self._session.image(second)
        first_pts = points_array(self._session.landmarks(self._first))
        second_pts = points_array(self._session.landmarks(second))
        on = (self.at.currentData(), self.towards.currentData())
        sizes = (_mm(first_rec), _mm(second_rec))
        unsized = next((r.name for r, mm in zip((first_rec, second_rec), sizes) if mm is None),
                       None)
        if unsized is not None:
            sizes = (None, None)   # drawn pixel for pixel, and said so below
        try:
            fit = superimpose(first_pts, second_pts, on,
                              mm_per_px_first=sizes[0], mm_per_px_second=sizes[1])
        except SuperimpositionError as exc:
            self.legend.setText(f"Cannot superimpose: {exc}.")
            return
        schema = self._session.schema
        caveat = (f"<br>{unsized} has no pixel size: both are drawn pixel for pixel "
                  "(calibrate it for a true scale)." if unsized is not None
                  and (first_rec.spacing or second_rec.spacing) else "")
        self.legend.setText(
            f"<span style='color:{FIRST_COLOUR}'>●</span> {first_rec.name} &nbsp; "
            f"<span style='color:{SECOND_COLOUR}'>●</span> {second_rec.name}, registered at "
            f"{schema.label(on[0])}, oriented on {schema.label(on[0])}–{schema.label(on[1])}"
            + caveat)
        registered = fit.apply(second_pts)
        self._draw(first_pts, registered, on)
        rows = self._fill_table(second)
        self._page = CompareReport(
            project=self._session.name, first_name=first_rec.name, second_name=second_rec.name,
            legend=f"Registered at {schema.label(on[0])}, oriented on {schema.label(on[0])}–"
                   f"{schema.label(on[1])}; first in blue, second in orange"
                   + (f"; {unsized} has no pixel size: drawn pixel for pixel"
                      if unsized is not None else ""),
            patient=self._session.patient(self._first),
            labels=[schema.label(i) for i in range(len(schema))], first=first_pts,
            second=registered, on=on, colours=(FIRST_COLOUR, SECOND_COLOUR), rows=rows,
            created=datetime.now().strftime("%Y-%m-%d %H:%M"))
        self.report.setEnabled(True)

    def _draw(self, first: np.ndarray, second: np.ndarray, on: tuple[int, int]) -> None:
        for pts, colour in ((first, FIRST_COLOUR), (second, SECOND_COLOUR)):
            pen = QPen(QColor(colour), 1.5)
            pen.setCosmetic(True)   # the same width at every zoom
            a, b = pts[on[0]], pts[on[1]]
            self.scene.addLine(a[0], a[1], b[0], b[1], pen)
            for i, (x, y) in enumerate(pts):
                if np.isfinite(x) and np.isfinite(y):
                    dot = self.scene.addEllipse(-DOT_PX / 2, -DOT_PX / 2, DOT_PX, DOT_PX, pen,
                                                QBrush(QColor(colour)))
                    dot.setFlag(dot.GraphicsItemFlag.ItemIgnoresTransformations)
                    dot.setPos(QPointF(x, y))
                    dot.setToolTip(self._session.schema.label(i))
        for i, ((x0, y0), (x1, y1)) in enumerate(zip(first, second)):
            if np.all(np.isfinite([x0, y0, x1, y1])):
                move = QPen(QColor("#9a9a9a"), 1, Qt.PenStyle.DotLine)
                move.setCosmetic(True)
                self.scene.addLine(x0, y0, x1, y1, move)
                label = self.scene.addSimpleText(self._session.schema.label(i))
                label.setBrush(QBrush(QColor("#d8d8d8")))
                label.setFlag(label.GraphicsItemFlag.ItemIgnoresTransformations)
                label.setPos(QPointF(x0, y0) + QPointF(4, 4))
        self._fit()

    def _fit(self) -> None:
        rect = self.scene.itemsBoundingRect()
        margin = 0.08 * max(rect.width(), rect.height(), 1.0)
        self.view.fitInView(rect.adjusted(-margin, -margin, margin, margin),
                            Qt.AspectRatioMode.KeepAspectRatio)

    def _fill_table(self, second: int) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
        """The table of changes, per chosen analysis; returns its rows as texts."""
        first = self._analyses.sections(self._first)
        if not first:
            self.table.addTopLevelItem(QTreeWidgetItem(["No analysis chosen (Analysis tab)"]))
            return []
        bold = self.table.font()
        bold.setBold(True)
        shown = []
        for (bound, before), (_, after) in zip(first, self._analyses.sections(second)):
            head = QTreeWidgetItem([bound.analysis.name])
            head.setFont(0, bold)
            self.table.addTopLevelItem(head)
            head.setFirstColumnSpanned(True)
            rows = []
            for change in measurement_changes(before, after):
                texts = (change.name, *change_texts(change))
                item = QTreeWidgetItem(list(texts))
                item.setToolTip(0, change.name)
                for col in (1, 2, 3):
                    item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight)
                self.table.addTopLevelItem(item)
                rows.append(texts)
            shown.append((bound.analysis.name, rows))
        return shown

    def _write_report(self) -> None:
        page = self._page
        if page is None:
            return
        start = (self._session.folder / "exports" /
                 f"{Path(page.first_name).stem}_vs_{Path(page.second_name).stem}.pdf")
        path = file_dialogs.choose_save_file(self, "Save the superimposition", str(start),
                                             "PDF (*.pdf)")
        if not path:
            return
        out = Path(path) if Path(path).suffix.lower() == ".pdf" else Path(path + ".pdf")
        task = Task(lambda _p, _c: write_compare_report(out, page), self)
        self._session.track(task)
        task.succeeded.connect(lambda done: self.message.setText(f"Written to {done}"))
        task.failed.connect(lambda exc, tb: show_error(self, "Could not write the report", exc,
                                                       details=tb))
        self.message.setText("Writing…")
        task.start()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._fit()   # the view has its real size only now


def _mm(rec: Any) -> float | None:
    return rec.spacing.col_mm if rec.spacing is not None else None
