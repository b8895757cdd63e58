"""Training from the app: the run's record in the project, the worker, the panel, the result.

Train → a run is recorded (pending → running), ``run_pipeline`` runs in a TrainingTask
into the run's folder, and its predictions go into the project as one edit. Cancel keeps
the checkpoint and the run is marked cancelled; reopening the project offers to resume
an unfinished run, which continues in the same folder with the same settings.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from cc2d_app.error_dialog import show_error
from cc2d_app.session import ProjectSession
from cc2d_app.train_dialog import TrainChoice, TrainDialog
from cc2d_app.training_panel import TrainingPanel
from cc2d_app.training_worker import TrainingTask, start_training
from engine.errors import CC2DError
from engine.project import Run, RunState

UNFINISHED = (RunState.RUNNING, RunState.CANCELLED, RunState.PENDING)


class TrainingController(QObject):
    """One project's training; ``started`` / ``ended`` let the window show the panel."""

    started = Signal()
    ended = Signal()
    message = Signal(str)

    def __init__(self, session: ProjectSession, panel: TrainingPanel, parent: QWidget) -> None:
        super().__init__(parent)
        self._session = session
        self._panel = panel
        self._window = parent
        self.task: TrainingTask | None = None
        self._run: Run | None = None
        self._dialog: Any = None
        panel.cancelRequested.connect(self.cancel)

    @property
    def busy(self) -> bool:
        return self.task is not None

    def ask(self) -> None:
        """The Train dialog; starting happens when the user accepts it."""
        if self.busy:
            return
        try:
            paths, template = self._session.training_inputs()
        except CC2DError as exc:
            show_error(self._window, "Cannot train yet", exc)
            return
        dialog = TrainDialog(len(paths), template.image.name, self._window)
        dialog.accepted.connect(lambda: self.start(dialog.choice()))
        self._dialog = dialog
        dialog.open()

    def start(self, choice: TrainChoice, run: Run | None = None) -> None:
        """A new run for ``choice``, or ``run`` resumed in its own folder."""
        try:
            paths, template = self._session.training_inputs()
            if run is None:
                run = self._session.add_run({
                    "profile": choice.profile, "device": choice.device,
                    "template": str(template.image), "n_images": len(paths)})
            self._session.update_run(run.id, RunState.RUNNING)
        except CC2DError as exc:
            show_error(self._window, "Could not start training", exc)
            return
        self._run = run
        self._panel.reset()
        task = start_training(paths, template, run.folder, choice.settings(), choice.device,
                              self, deferred=False)
        task.report.connect(self._panel.on_progress)
        task.succeeded.connect(self._succeeded)
        task.cancelled.connect(self._cancelled)
        task.failed.connect(self._failed)
        task.finished.connect(self._finished)
        self.task = task
        task.start()
        self.started.emit()

    def predict_new(self) -> None:
        """Predict, with the newest finished run, the images that have no landmarks yet
        (added after training); no retraining."""
        if self.busy:
            return
        run = self._session.finished_run()
        todo = self._session.unlabelled_images()
        if run is None or not todo:
            show_error(self._window, "Nothing to predict",
                       "Train first: there is no finished run." if run is None else
                       "Every image already has landmarks; add images to predict them.")
            return
        paths = [self._session.image(i).path for i in todo]

        def work(progress: Any, cancel: Any) -> Any:
            from engine.device import pick_device
            from engine.run_predict import predict_images

            skipped: list[Any] = []
            table = predict_images(run.folder, paths, pick_device(None), skipped=skipped,
                                   progress=progress, cancel=cancel)
            return table, skipped

        self._run = None  # a prediction changes no run's state
        self._panel.reset()
        task = TrainingTask(work, self)
        task.report.connect(self._panel.on_progress)
        task.succeeded.connect(lambda result: self._predicted(run, paths, *result))
        task.cancelled.connect(self._panel.cancelled)
        task.failed.connect(self._failed)
        task.finished.connect(self._finished)
        self.task = task
        task.start()
        self.started.emit()

    def _predicted(self, run: Run, paths: list[Any], table: Any, skipped: list[Any]) -> None:
        task = self.task
        self._panel.finished(task.elapsed_s if task is not None else 0.0)
        changed = self._session.store_run_predictions(run.id, table, images=paths)
        note = f" {len(skipped)} could not be read." if skipped else ""
        self.message.emit(f"Predicted {changed} new image(s) with run {run.id}.{note}")

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def stop_and_wait(self) -> None:
        """Cancel and wait for the checkpoint (closing the window or the project)."""
        if self.task is not None:
            self.task.cancel()
            self.task.wait()
            # Deliver the task's queued signals now (cancelled → the run's state), before
            # the project may close.
            QCoreApplication.sendPostedEvents()

    def offer_resume(self) -> QMessageBox | None:
        """After opening: an unfinished run? Ask whether to continue it (non-blocking)."""
        run = self._session.unfinished_run()
        if run is None:
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Resume training",
                          f"Training run {run.id} ({run.config.get('profile', '?')} profile) "
                          "did not finish. Continue it where it stopped?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self._window)
        choice = TrainChoice(run.config.get("device", "auto"), run.config.get("profile", "quick"))
        box.button(QMessageBox.StandardButton.Yes).clicked.connect(
            lambda: self.start(choice, run))
        self._dialog = box
        box.open()
        return box

    # -- results --------------------------------------------------------------------------

    def _succeeded(self, record: dict[str, Any]) -> None:
        run, task = self._run, self.task
        if run is None or task is None or self._session.closed:
            return
        self._panel.finished(task.elapsed_s)
        stored = self._session.store_run_predictions(run.id)
        self._session.update_run(run.id, RunState.FINISHED,
                                 metrics={"stages": record.get("stages", {}),
                                          "images_updated": stored})

    def _cancelled(self) -> None:
        self._panel.cancelled()
        if self._run is not None and not self._session.closed:
            self._session.update_run(self._run.id, RunState.CANCELLED)

    def _failed(self, exc: BaseException, details: str) -> None:
        self._panel.failed(str(exc))
        if self._run is not None and not self._session.closed:
            self._session.update_run(self._run.id, RunState.FAILED)
        show_error(self._window, "Training failed", exc,
                   details=None if isinstance(exc, CC2DError) else details)

    def _finished(self) -> None:
        self.task = None
        self.ended.emit()
