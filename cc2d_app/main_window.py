"""The main window: start page or one project's workspace, menus, toolbar and status bar.

It composes; the work is in the session (writes), the workspace (current image,
gestures) and the workers (anything slow). Errors from all of them reach
:func:`cc2d_app.dialogs.error_dialog.show_error` here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import qtawesome as qta
from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
)

from cc2d_app.controllers.task_status import TaskStatus
from cc2d_app.controllers.template_suggestion import TemplateSuggestion
from cc2d_app.controllers.training_worker import warm_up
from cc2d_app.controllers.workers import Task
from cc2d_app.dialogs import file_dialogs
from cc2d_app.dialogs.error_dialog import show_error
from cc2d_app.dialogs.export_dialog import ExportDialog
from cc2d_app.dialogs.new_project_dialog import NewProjectDialog
from cc2d_app.dialogs.patient_dialog import PatientDialog
from cc2d_app.session import ProjectSession
from cc2d_app.settings import AppSettings
from cc2d_app.views.start_page import StartPage
from cc2d_app.views.workspace import Workspace
from cc2d_app.window_actions import WindowActions
from engine.errors import CC2DError

APP_NAME = "CC2D landmark studio"


def skipped_summary(skipped: list[Any], shown: int = 4) -> str:
    """What was not added and why, the first few inline (the rest in the details)."""
    lines = [f"{len(skipped)} file(s) were not added; every other image was:"]
    lines += [f"• {s.path.name}: {s.reason}" for s in skipped[:shown]]
    if len(skipped) > shown:
        lines.append(f"… and {len(skipped) - shown} more (Show Details)")
    return "\n".join(lines)


class MainWindow(WindowActions, QMainWindow):
    warmedUp = Signal()  # noqa: N815 (Qt naming): the engine's imports are done

    def __init__(self, settings: AppSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or AppSettings()
        self.session: ProjectSession | None = None
        self.workspace: Workspace | None = None
        self.suggestion: TemplateSuggestion | None = None
        self._dialog: Any = None
        self._saved_at = ""
        # The engine's imports (torch, its C extensions) in the background from the start,
        # so that neither the first instant match nor the first Train stalls the GUI.
        self._warming = Task(lambda _progress, _cancel: warm_up(), self)
        self._warming.finished.connect(self.warmedUp)
        self._warming.start()
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(qta.icon("mdi6.crosshairs-gps", color="#4a90e2"))
        self.stack = QStackedWidget()
        self.start = StartPage(self.settings)
        self.start.newProjectRequested.connect(self.new_project)
        self.start.openProjectRequested.connect(self.open_project)
        self.start.demoRequested.connect(self.open_demo)
        self.stack.addWidget(self.start)
        self.setCentralWidget(self.stack)
        self._build_actions()
        self._build_status_bar()
        self._update_actions()
        self.resize(1400, 900)
        geometry, state = self.settings.window_geometry(), self.settings.window_state()
        if geometry:
            self.restoreGeometry(geometry)
        if state:
            self.restoreState(state)

    @property
    def warm(self) -> bool:
        """Whether the engine's background imports are done."""
        return self._warming.isFinished()

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.cursor_label = QLabel()
        self.saved_label = QLabel()
        bar.addWidget(self.cursor_label, 1)
        self.background = TaskStatus(self, bar)
        self.progress = self.background.progress
        bar.addPermanentWidget(self.saved_label)

    # -- projects ---------------------------------------------------------------------------

    def new_project(self, images_folder: str | None = None) -> None:
        dialog = NewProjectDialog(self, images_folder=images_folder)
        dialog.accepted.connect(lambda: self._create(dialog.result_spec()))
        self._dialog = dialog
        dialog.open()

    def new_project_from_pacs(self) -> None:
        """Search a PACS, fetch a study's images, then the usual New project dialog."""
        from cc2d_app.dialogs.pacs_dialog import PacsDialog

        dialog = PacsDialog(self)
        dialog.fetched.connect(self.new_project)
        self._dialog = dialog
        dialog.open()

    def _create(self, spec: Any) -> None:
        try:
            session = ProjectSession.create(spec.project_dir, spec.schema)
        except CC2DError as exc:
            show_error(self, "Could not create the project", exc)
            return
        self._attach(session)
        self.add_images([spec.images_dir])

    def open_project_dialog(self) -> None:
        folder = file_dialogs.choose_directory(self, "Open a CC2D project",
                                                    str(Path.home()))
        if folder:
            self.open_project(folder)

    def open_project(self, folder: str) -> None:
        try:
            session = ProjectSession.open(folder)
        except CC2DError as exc:
            show_error(self, "Could not open the project", exc)
            return
        self._attach(session)

    def open_demo(self) -> None:
        from engine.project.demo import create_demo

        demo_dir = self.settings.demo_dir()
        self.background.run(lambda _p, _c: create_demo(demo_dir), "Building the demo project…",
                  lambda folder: self.open_project(str(folder)),
                  "Could not build the demo project")

    def close_project(self) -> bool:
        if self.session is None:
            return True
        self.session.close()   # stops every task and listener working on it
        if self.suggestion is not None:
            self.suggestion.close()
            self.suggestion = None
        if self.workspace is not None:
            self.stack.removeWidget(self.workspace)
            self.workspace.deleteLater()
            self.workspace = None
        self.session = None
        self.stack.setCurrentWidget(self.start)
        self.start.refresh()
        self.setWindowTitle(APP_NAME)
        self.saved_label.clear()
        self._update_actions()
        return True

    def _attach(self, session: ProjectSession) -> None:
        self.close_project()
        self.session = session
        demo = session.folder.resolve().parent == self.settings.demo_dir().resolve()
        self.settings.add_recent_project(session.folder,
                                         "Demo (built-in sample images)" if demo else session.name)
        session.failed.connect(lambda title, exc: show_error(self, title, exc))
        session.undoRedoChanged.connect(self._undo_redo)
        session.saved.connect(self._saved)
        session.templateChanged.connect(self._update_actions)
        session.landmarksChanged.connect(lambda _i: self._update_actions())
        session.imageChanged.connect(lambda _i: self._improve_timer.start())
        self.workspace = Workspace(session)
        self.workspace.statusText.connect(self.cursor_label.setText)
        self.workspace.messageText.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        self.suggestion = TemplateSuggestion(session, self.background, self.statusBar(), self)
        self.suggestion.suggested.connect(self.workspace.show_image)
        self._saved_at = ""
        self._update_title()
        self._update_actions()
        self.workspace.canvas.setFocus()
        self.workspace.training.ended.connect(self._update_actions)
        self.workspace.training.started.connect(self._update_improve)
        self.workspace.landmarks.bind_improve(self.act_improve)
        self.workspace.training.message.connect(
            lambda text: self.statusBar().showMessage(text, 10000))
        self.workspace.training.offer_resume()

    def _saved(self, at: str) -> None:
        self._saved_at = at
        self._update_title()

    def _update_title(self) -> None:
        if self.session is None:
            return
        self.setWindowTitle(f"{self.session.name} — {APP_NAME}")
        self.saved_label.setText(
            f"✓ All changes saved {self._saved_at}" if self._saved_at else "✓ Saved")
        self.saved_label.setToolTip(f"Every edit is written to {self.session.folder} at once")

    # -- images ---------------------------------------------------------------------------

    def add_images_dialog(self) -> None:
        folder = file_dialogs.choose_directory(self, "Add a folder of radiographs",
                                                    str(Path.home()))
        if folder:
            self.add_images([folder])

    def add_images(self, paths: list[str | os.PathLike[str]]) -> None:
        if self.session is None:
            return
        session, suggestion = self.session, self.suggestion

        def done(skipped: list[Any]) -> None:
            session.images_added()
            if suggestion is not None:
                suggestion.offer()  # a project without a template gets one proposed
            if skipped:
                show_error(self, "Some files were not added", skipped_summary(skipped),
                           details="\n".join(f"{s.path}: {s.reason}" for s in skipped))

        session.track(self.background.run(
            session.add_images_task(paths), "Reading images…", done, "Could not add the images",
            on_progress=lambda _d, _t: session.images_added()))

    # -- forwarding -----------------------------------------------------------------------

    def _undo(self) -> None:
        if self.session is not None:
            self.session.undo()

    def _redo(self) -> None:
        if self.session is not None:
            self.session.redo()

    def _step(self, delta: int) -> None:
        if self.workspace is not None:
            self.workspace.step(delta)

    def _reviewed(self) -> None:
        if self.workspace is not None:
            self.workspace.mark_reviewed_and_next()

    def _set_template(self) -> None:
        if self.workspace is not None:
            self.workspace.set_template_here()

    def _canvas(self, method: str) -> None:
        if self.workspace is not None:
            getattr(self.workspace.canvas, method)()

    def _calibrate(self) -> None:
        if self.workspace is not None:
            self.workspace.side_tabs.setCurrentWidget(self.workspace.view_panel)
            self.workspace.view_panel.calibrate.setChecked(True)

    def _patient(self) -> None:
        if self.session is None or self.workspace is None or self.workspace.current_id is None:
            return
        dialog = PatientDialog(self.session, self.workspace.current_id, self)
        self._dialog = dialog
        dialog.open()

    def _export(self) -> None:
        if self.session is None or self.workspace is None:
            return
        dialog = ExportDialog(self.session, self.workspace.current_id, self, self.settings,
                              self.workspace.dicom_choices())
        self._dialog = dialog
        dialog.open()

    def _predict_new(self) -> None:
        if self.workspace is not None:
            self.workspace.training.predict_new()

    def _improve(self) -> None:
        if self.workspace is not None:
            self.workspace.training.improve()

    def _train(self) -> None:
        if self.workspace is not None:
            self.workspace.training.ask()

    def _quit(self) -> None:
        """Project ▸ Quit (Ctrl+Q, a key beside Ctrl+W): asks first while a project is open,
        unless the user said not to."""
        if self.session is None or not self.settings.ask_before_quit():
            self.close()
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Quit",
                          "Quit CC2D landmark studio? Every edit is already saved; the "
                          "project opens where you left it.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        box.button(QMessageBox.StandardButton.Yes).setText("Quit")
        never = QCheckBox("Do not ask again", box)
        box.setCheckBox(never)
        box.button(QMessageBox.StandardButton.Yes).clicked.connect(
            lambda: (self.settings.set_ask_before_quit(not never.isChecked()), self.close()))
        self._dialog = box
        box.open()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.workspace is not None and self.workspace.training.busy:
            # Ask first; closing then stops training cleanly (its checkpoint is kept).
            event.ignore()
            box = QMessageBox(QMessageBox.Icon.Question, "Training is running",
                              "Stop training and close? The run is saved and can be "
                              "resumed when the project is opened again.",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                              self)
            box.button(QMessageBox.StandardButton.Yes).clicked.connect(
                self._close_after_training)
            self._dialog = box
            box.open()
            return
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.close_project()
        self._warming.wait()
        event.accept()

    def _close_after_training(self) -> None:
        if self.workspace is not None:
            self.workspace.training.stop_and_wait()
        self.close()
