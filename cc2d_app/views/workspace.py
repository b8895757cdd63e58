"""The workspace of an open project: image list | canvas | landmarks and view settings.

It connects views to the session: canvas gestures become session edits, session
signals refresh the canvas and panels. It owns the "current image" and which
landmark the next click places.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QSplitter, QTabWidget, QVBoxLayout, QWidget

from cc2d_app.canvas.geometry import spacing_from_line
from cc2d_app.canvas.view import ImageCanvas
from cc2d_app.controllers.analysis_controller import AnalysisController
from cc2d_app.controllers.match_controller import MatchController
from cc2d_app.controllers.report_actions import ReportActions
from cc2d_app.controllers.training_controller import TrainingController
from cc2d_app.controllers.workers import ImageLoader
from cc2d_app.dialogs.calibration_dialog import CalibrationDialog
from cc2d_app.dialogs.export_dialog import DicomChoices
from cc2d_app.logic.annotation_flow import next_unplaced
from cc2d_app.logic.annotation_state import AnnotationState
from cc2d_app.logic.measurements import measurement_note, value_text
from cc2d_app.logic.palette import landmark_colors
from cc2d_app.logic.review import hover_text, is_low
from cc2d_app.session import ProjectSession
from cc2d_app.views.image_list import ImageListPanel
from cc2d_app.views.image_on_screen import ImageOnScreen
from cc2d_app.views.landmark_panel import LandmarkPanel
from cc2d_app.views.measurements_panel import MeasurementsPanel, Section, key
from cc2d_app.views.training_panel import TrainingPanel
from cc2d_app.views.view_panel import ViewPanel
from engine.project import Landmark, LandmarkSource
from engine.project.measuring import Dragged

SIDE_MIN_WIDTH = 300  # px


class Workspace(ImageOnScreen, QWidget):
    """One project's screen. ``statusText`` feeds the status bar (cursor, value, zoom)."""

    statusText = Signal(str)
    messageText = Signal(str)

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.loader = ImageLoader(self)
        self.state = AnnotationState()
        self.state.subscribe(self._state_changed)
        self._display: Any = None       # engine.data.display.DisplayImage on screen
        self._calibration: CalibrationDialog | None = None
        self._compare: QDialog | None = None

        schema = session.schema
        self._colors = landmark_colors(schema)
        self._labels = [schema.label(i) for i in range(len(schema))]
        self._names = list(schema.names)

        self.images = ImageListPanel(session, self.loader)
        self.canvas = ImageCanvas()
        self.landmarks = LandmarkPanel(schema)
        self.view_panel = ViewPanel()
        self.analyses = AnalysisController(session, self)
        self.measurements = MeasurementsPanel(self.analyses.offered, self.analyses.chosen,
                                              self.analyses.problems)
        self._sections: list[Section] = []
        self.reports = ReportActions(session, self.analyses, self)
        self.training_panel = TrainingPanel()
        self.training = TrainingController(session, self.training_panel, self)
        self.matching = MatchController(session, self.training_panel, self.training, self)
        self.matching.message.connect(self.messageText)
        side = QTabWidget()
        side.addTab(self.landmarks, "Landmarks")
        side.addTab(self.measurements, "Analysis")
        side.addTab(self.view_panel, "View")
        side.addTab(self.training_panel, "Training")
        self.training.started.connect(lambda: side.setCurrentWidget(self.training_panel))
        self.side_tabs = side
        # Explicit minimum widths: the panels' texts change with every click ("10 of 19
        # placed", descriptions) and must never resize the canvas under the cursor.
        self.images.setMinimumWidth(SIDE_MIN_WIDTH - 60)
        side.setMinimumWidth(SIDE_MIN_WIDTH)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.images)
        splitter.addWidget(self.canvas)
        splitter.addWidget(side)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 820, 360])
        splitter.setCollapsible(1, False)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.images.currentImageChanged.connect(self.show_image)
        self.loader.displayReady.connect(self._display_ready)
        self.loader.displayFailed.connect(self._display_failed)
        self.canvas.placeRequested.connect(self._place)
        self.canvas.moveRequested.connect(self._move)
        self.canvas.landmarkDragging.connect(lambda i, x, y: self._refresh_measurements((i, x, y)))
        self.canvas.clearRequested.connect(self._clear)
        self.canvas.landmarkPicked.connect(self._picked)
        self.canvas.cursorMoved.connect(self._cursor)
        self.canvas.windowChanged.connect(self._canvas_window)
        self.canvas.calibrationLineDrawn.connect(self._calibration_line)
        self.landmarks.landmarkActivated.connect(self.activate)
        self.landmarks.trainRequested.connect(self.training.ask)
        self.landmarks.restoreRequested.connect(self._restore)
        self.landmarks.reviewedRequested.connect(self.mark_reviewed_and_next)
        self.measurements.measurementSelected.connect(lambda _id: self._draw_measurement())
        self.measurements.analysesChosen.connect(self._analyses_chosen)
        self.measurements.reportRequested.connect(self.write_report)
        self.measurements.compareRequested.connect(self.compare_images)
        self.reports.message.connect(self.messageText)
        self.view_panel.windowEdited.connect(self._panel_window)
        self.view_panel.calibrateToggled.connect(self._calibrate_mode)
        self.canvas.calibrationEscaped.connect(lambda: self.view_panel.calibrate.setChecked(False))
        self.view_panel.clearCalibrationRequested.connect(self._clear_calibration)
        session.landmarksChanged.connect(self._landmarks_changed)
        session.imageChanged.connect(self._image_changed)
        session.templateChanged.connect(self._refresh_panel)
        session.imagesChanged.connect(self._images_changed)
        session.closing.connect(self._closing)
        self._images_changed()

    def _closing(self) -> None:
        """Stop showing the project (its tasks are the session's to stop); decodes queued
        now find no image on screen."""
        self.loader.wait()
        self.images.model.detach()
        self.state.update(image_id=None, notify=False)
        self.canvas.set_image(None)

    # -- navigation -------------------------------------------------------------------

    def show_image(self, image_id: int) -> None:
        if not self.session.has_image(image_id):
            return
        if self.images.current_id() != image_id:
            self.images.select(image_id)  # comes back here through currentImageChanged
            return
        if image_id == self.current_id:
            return
        rec = self.session.image(image_id)
        self.canvas.set_spacing(rec.spacing.col_mm if rec.spacing else None)
        self.view_panel.show_spacing(rec.spacing)
        self.state.update(image_id=image_id, active=next_unplaced(self.session.landmarks(image_id)),
                          selected=None)   # one change: the views redraw once
        cached = self.loader.cached(rec.path)
        if cached is None:
            self.canvas.set_image(None)
            self.messageText.emit(f"Loading {rec.name}…")
        self.loader.request_display(rec.path)

    def step(self, delta: int) -> None:
        self.images.step(delta)

    def activate(self, index: int) -> None:
        """Pick the landmark the next click places (or moves)."""
        self.state.update(active=index, selected=index)
        self.canvas.setFocus()

    @property
    def current_id(self) -> int | None:
        """The image on screen."""
        return self.state.image_id

    @property
    def active(self) -> int | None:
        """The landmark the next click places."""
        return self.state.active

    def _state_changed(self, changed: frozenset[str]) -> None:
        """The state's one notification per change: each view redraws what it shows."""
        if "mode" in changed:
            self.canvas.set_mode(self.state.mode)
        if "selected" in changed:
            self.canvas.set_selected(self.state.selected)
            self.landmarks.select(self.state.selected)
        if "window" in changed:
            self._show_window()
        if changed & {"image_id", "active"}:
            self._refresh_landmarks()
        elif "mode" in changed:
            self._refresh_measurements()  # a drag the mode change cancelled is undone

    def write_report(self) -> None:
        """Ask where, then write the current image's one-page PDF report."""
        if self.current_id is None:
            return
        shown = self._display is not None and self._display.path == self.session.image(
            self.current_id).path
        self.reports.report(self.current_id, self.state.window if shown else None)

    def compare_images(self) -> None:
        """The image on screen against another of the same patient."""
        if self.current_id is None:
            return
        from cc2d_app.dialogs.compare_dialog import CompareDialog

        self._compare = CompareDialog(self.session, self.analyses, self.current_id,
                                      self)
        self._compare.open()

    def export_measurements_csv(self) -> None:
        self.reports.measurements_csv()

    def dicom_choices(self) -> DicomChoices:
        """The chosen analyses and each image's report, for a DICOM export."""
        return DicomChoices(list(self.analyses.chosen), self.reports.report_maker())

    def set_template_here(self) -> None:
        if self.current_id is not None:
            self.session.set_template(self.current_id)

    # -- canvas gestures → session edits ------------------------------------------------

    def _place(self, index: int, x: float, y: float) -> None:
        if self.current_id is None:
            return
        first = self.session.template_id() is None
        # The next landmark is chosen before the write, so the session's one change
        # signal redraws the views once, with it (not once before and once after).
        before, after = self.active, self.session.landmarks(self.current_id)
        after[index] = Landmark(x, y, LandmarkSource.TEMPLATE)   # only "placed" matters
        self.state.update(active=next_unplaced(after, index), notify=False)
        if not self.session.place(self.current_id, index, x, y):
            self.state.update(active=before)
            return
        if first:   # the session made the first image annotated the template
            name = self.session.image(self.current_id).name
            self.messageText.emit(f"{name} is now the template (Image ▸ Set as template "
                                  "changes it)")

    def _move(self, index: int, x: float, y: float) -> None:
        if self.current_id is not None:
            self.session.place(self.current_id, index, x, y)

    def _clear(self, index: int) -> None:
        if self.current_id is None:
            return
        before = self.active
        self.state.update(active=index, notify=False)   # the cleared one is placed next
        if not self.session.clear(self.current_id, index):
            self.state.update(active=before)

    def _picked(self, index: int) -> None:
        self.state.update(selected=index)

    def _restore(self, index: int) -> None:
        if self.current_id is not None:
            self.session.restore_prediction(self.current_id, index)

    def mark_reviewed_and_next(self) -> None:
        """Enter: this image is reviewed; open the least confident one still to review."""
        if self.current_id is None or self.current_id == self.session.template_id():
            return
        if not self.session.mark_reviewed(self.current_id):
            return
        queue = self.session.review_queue()
        if queue:
            self.show_image(queue[0])
            self.messageText.emit(f"Reviewed. {len(queue)} image(s) left to review.")
        else:
            self.messageText.emit("Every predicted image is reviewed.")

    # -- session → views ----------------------------------------------------------------

    def _landmarks_changed(self, image_id: int) -> None:
        if image_id == self.current_id:
            if self.active is None:   # e.g. an undo took a point away: place it next
                self.state.update(active=next_unplaced(self.session.landmarks(image_id)),
                                  notify=False)
            self._refresh_landmarks()   # the panel too
        elif image_id == self.session.template_id():
            self._refresh_panel()       # what the template still lacks, shown on any image

    def _image_changed(self, image_id: int) -> None:
        if image_id == self.current_id:
            rec = self.session.image(image_id)
            self.canvas.set_spacing(rec.spacing.col_mm if rec.spacing else None)
            self.view_panel.show_spacing(rec.spacing)
            self._refresh_measurements()

    def _images_changed(self) -> None:
        if self.current_id is not None and self.session.has_image(self.current_id):
            self.images.select(self.current_id)
            return
        self.state.update(image_id=None, notify=False)
        images = self.session.images()
        if images:
            self.show_image(self.session.template_id() or images[0].id)

    def _refresh_landmarks(self) -> None:
        if self.current_id is None:
            return
        points = self.session.landmarks(self.current_id)
        self.canvas.set_landmarks([(p.x, p.y) if p else None for p in points],
                                  self._colors, self._labels, self._names)
        self.canvas.set_low_confidence([is_low(p) for p in points])
        self.canvas.set_tooltips([hover_text(n, lab, p) for n, lab, p
                                  in zip(self._names, self._labels, points)])
        self.canvas.set_active(self.active)
        self._refresh_panel()

    def _refresh_panel(self) -> None:
        if self.current_id is None:
            return
        tid = self.session.template_id()
        points = self.session.landmarks(self.current_id)
        kept = self.session.predictions(self.current_id)
        self.landmarks.show_image(
            points, self.active, self.current_id == tid,
            None if tid is None else self.session.missing_template_landmarks(),
            can_restore=[k is not None and k != p for k, p in zip(kept, points)])
        self._refresh_measurements()

    def _refresh_measurements(self, dragged: Dragged | None = None) -> None:
        """Measure the image on screen, with the landmark being ``dragged`` where it is
        now (nothing written: ~0.4 ms, so every mouse move)."""
        if self.current_id is None:
            return
        rec = self.session.image(self.current_id)
        points = self.session.landmarks(self.current_id)
        self._sections = self.analyses.sections(self.current_id, dragged)
        self.measurements.show_results(self._sections, measurement_note(points, rec.spacing),
                                       " ".join(self.analyses.sigma_note()))
        self._draw_measurement()

    def _analyses_chosen(self, analysis_ids: list[str]) -> None:
        self.analyses.choose(analysis_ids)
        self._refresh_measurements()

    def _draw_measurement(self) -> None:
        picked = self.measurements.selected()
        r = next((r for b, results in self._sections for r in results
                  if key(b.analysis.id, r.id) == picked), None)
        if r is None:
            self.canvas.show_measurement([], "", False)
        else:
            self.canvas.show_measurement(r.lines, f"{r.name} {value_text(r)}", r.unit == "°")

    # -- calibration ----------------------------------------------------------------------

    def _calibrate_mode(self, on: bool) -> None:
        self.state.update(mode="calibrate" if on else "annotate")
        if on:
            self.messageText.emit("Calibration: drag a line along a ruler of known length.")

    def _calibration_line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        length = math.hypot(x1 - x0, y1 - y0)
        if length < 2 or self.current_id is None:
            return
        image_id = self.current_id
        dialog = CalibrationDialog(length, self)
        dialog.calibrated.connect(lambda mm: self.session.set_calibration(
            image_id, spacing_from_line(x0, y0, x1, y1, mm)))
        dialog.finished.connect(lambda _r: self.view_panel.calibrate.setChecked(False))
        self._calibration = dialog
        dialog.open()

    def _clear_calibration(self) -> None:
        if self.current_id is not None:
            self.session.set_calibration(self.current_id, None)
