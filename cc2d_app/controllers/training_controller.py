"""Training from the app: the run's record in the project, the worker, the panel, the result.

Train → a run is recorded (pending → running), ``run_pipeline`` runs in a TrainingTask
into the run's folder, and its predictions go into the project as one edit. Cancel keeps
the checkpoint and the run is marked cancelled; reopening the project offers to resume
an unfinished run, which continues in the same folder with the same settings.

Improve with my corrections → a new run records that it refits the newest finished one
(``config["refit_of"]``); ``engine.refit.refit`` learns from the reviewed images in a
TrainingTask, and its predictions are stored, as one edit, only on the images not yet
reviewed; the message says how many points moved (``cc2d_app.logic.refit_summary``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from cc2d_app.controllers.training_worker import TrainingTask, start_training
from cc2d_app.dialogs.error_dialog import show_error
from cc2d_app.dialogs.train_dialog import TrainChoice, TrainDialog, per_image_seconds
from cc2d_app.logic.refit_summary import (
    improve_availability,
    improved_message,
    labelled_record,
    summarize_moves,
    trained_message,
)
from cc2d_app.session import ProjectSession
from cc2d_app.views.training_panel import TrainingPanel
from engine.errors import CC2DError, ProjectError
from engine.project import Run, RunState
from engine.project.jobs import TrainInputs

IMPROVE = "Improve with my corrections"
RESUME_DECLINED = "resume_declined"   # in a run's metrics: the user said No once


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
        self._refit: tuple[Run, int] | None = None   # the run refitted, how many labelled
        self._dialog: Any = None
        panel.cancelRequested.connect(self.cancel)
        session.closing.connect(self._close_dialog)

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
        """A new run for ``choice``, or ``run`` resumed in its own folder. It learns from
        the template and the reviewed images (those a resumed run recorded)."""
        session = self._session
        try:
            paths, template = session.training_inputs()
            names = tuple(session.schema.names)
            if run is not None and not _fits(run, template, paths):
                run = None   # offered on open, but images or the template changed since
            run = run or self._resumable(choice, template, paths)
            recorded = _recorded_labelled(run) if run is not None else None
            labelled = ([_template(d, names) for d in recorded] if recorded is not None
                        else session.labelled_images())
            if run is None:
                run = session.add_run({
                    "profile": choice.profile, "device": choice.device,
                    "template": str(template.image), "n_images": len(paths),
                    "n_labelled": len(labelled)})
            session.update_run(run.id, RunState.RUNNING)
        except CC2DError as exc:
            show_error(self._window, "Could not start training", exc)
            return
        self._run, self._refit = run, None
        self._panel.reset()
        self._panel.expect(session.stage_seconds(choice.profile, choice.device, len(paths)),
                           per_image_seconds(choice.profile, choice.kind(), len(paths)))
        inputs = TrainInputs(tuple(paths), template, tuple(labelled), session.features_dir())
        self._launch(start_training(inputs, run.folder, choice.settings(), choice.device, self,
                                    deferred=False),
                     self._succeeded, self._cancelled)

    def _resumable(self, choice: TrainChoice, template: Any, paths: list[Any]) -> Run | None:
        """The cancelled or interrupted training of ``choice``, which Train continues
        instead of starting over, when it fits the project as it is now."""
        run = self._session.unfinished_run()
        if run is None or "refit_of" in run.config or (
                run.config.get("profile"), run.config.get("device")) != (choice.profile,
                                                                         choice.device):
            return None
        return run if _fits(run, template, paths) else None

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

        self._run, self._refit = None, None  # a prediction changes no run's state
        self._panel.reset(keep_curves=True)
        self._launch(TrainingTask(work, self),
                     lambda result: self._predicted(run, paths, *result), self._panel.cancelled)

    def _predicted(self, run: Run, paths: list[Any], table: Any, skipped: list[Any]) -> None:
        task = self.task
        self._panel.finished(task.elapsed_s if task is not None else 0.0)
        changed = self._session.store_run_predictions(run.id, table, images=paths)
        note = f" {len(skipped)} could not be read." if skipped else ""
        self.message.emit(f"Predicted {changed} new image(s) with run {run.id}.{note}")

    # -- improving the newest finished run with the reviewed images ------------------------

    def improve_availability(self) -> tuple[bool, str]:
        """Whether Improve with my corrections can start, and the tooltip (why not)."""
        return improve_availability(self._session.finished_run() is not None, self.busy,
                                    len(self._session.labelled_images()))

    def improve(self, resume: Run | None = None) -> None:
        """Refit the newest finished run with the reviewed images into a new run (or
        ``resume`` an interrupted refit in its own folder); then predict the unreviewed
        images again."""
        if self.busy:
            return
        session = self._session
        try:
            base = (session.reader().run(int(resume.config["refit_of"])) if resume is not None
                    else session.finished_run())
            if base is None:
                raise ProjectError("there is no finished run to improve; train first")
            paths, _template = session.training_inputs()
            labelled = self._labelled(base, resume)
            run = resume or self._pending_refit(base, labelled) or session.add_run(
                {"refit_of": base.id, "profile": base.config.get("profile", "?"),
                 "device": base.config.get("device", "auto"),
                 "template": base.config.get("template", ""), "n_images": len(paths),
                 "n_labelled": len(labelled)}, name=f"refit of run {base.id}")
            session.update_run(run.id, RunState.RUNNING)
        except CC2DError as exc:
            show_error(self._window, "Cannot improve the detector yet", exc)
            return
        device = str(base.config.get("device", "auto"))

        def work(progress: Any, cancel: Any) -> Any:
            from engine.device import pick_device
            from engine.project.jobs import run_improve

            dev = pick_device(None if device == "auto" else device)
            return run_improve(base.folder, run.folder, labelled, paths, dev,
                               progress=progress, cancel=cancel)

        self._run, self._refit = run, (base, len(labelled))
        self._panel.reset()
        self._launch(TrainingTask(work, self), self._improved, self._cancelled)

    def _launch(self, task: TrainingTask, succeeded: Any, cancelled: Any) -> None:
        """Wire ``task`` to the panel and this controller's handlers, then start it."""
        task.report.connect(self._panel.on_progress)
        task.succeeded.connect(succeeded)
        task.cancelled.connect(cancelled)
        task.failed.connect(self._failed)
        task.ended.connect(self._finished)
        self.task = self._session.track(task)
        task.start()
        self.started.emit()

    def _labelled(self, base: Run, resume: Run | None) -> list[Any]:
        """What the refit learns from: those an interrupted refit recorded, else the
        reviewed, complete images (not the run's template)."""
        if resume is not None:
            recorded = _recorded_labelled(resume)
            if recorded is not None:
                names = tuple(self._session.schema.names)
                return [_template(d, names) for d in recorded]
        template = base.config.get("template")
        skip = Path(template).resolve() if template else None
        labelled = [t for t in self._session.labelled_images() if t.image.resolve() != skip]
        if not labelled:
            raise ProjectError("no reviewed image has all its landmarks on the image; correct "
                               "the points of a predicted image and mark it reviewed")
        return labelled

    def _pending_refit(self, base: Run, labelled: list[Any]) -> Run | None:
        """An interrupted refit of ``base`` with the same images, to resume in its folder."""
        run = self._session.unfinished_run()
        if run is None or run.config.get("refit_of") != base.id:
            return None
        recorded = _recorded_labelled(run)
        return run if recorded is None or recorded == labelled_record(labelled) else None

    def _improved(self, result: tuple[dict[str, Any], Any]) -> None:
        run, task, refit = self._run, self.task, self._refit
        session = self._session
        if run is None or refit is None or task is None:
            return
        record, table = result
        base, n_labelled = refit
        self._panel.finished(task.elapsed_s)
        # Only the images not reviewed now (one may have been reviewed meanwhile).
        todo = session.unreviewed_images()
        before = {i: session.landmarks(i) for i in todo}
        stored = session.store_run_predictions(run.id, table,
                                               images=[session.image(i).path for i in todo])
        summary = summarize_moves(before, {i: session.landmarks(i) for i in todo})
        text = improved_message(n_labelled, summary)
        session.update_run(run.id, RunState.FINISHED, metrics={
            "stages": record.get("stages", {}), "refit_of": base.id,
            "images_updated": stored, "n_labelled": n_labelled,
            "moved_points": summary.moved_points, "moved_images": summary.moved_images,
            "median_moved_px": summary.median_px, "max_moved_px": summary.max_px})
        self._panel.note(text)
        self.message.emit(text)

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
        """After opening: an unfinished run? Ask whether to continue it (non-blocking).
        Asked once per run: No is remembered in the run (Train still resumes it)."""
        run = self._session.unfinished_run()
        if run is None or run.metrics.get(RESUME_DECLINED):
            return None
        if "refit_of" in run.config:
            what = (f"Improving run {run.config['refit_of']} with your corrections "
                    f"(run {run.id})")
        else:
            what = f"Training run {run.id} ({run.config.get('profile', '?')} profile)"
        box = QMessageBox(QMessageBox.Icon.Question, "Resume training",
                          f"{what} did not finish. Continue it where it stopped?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self._window)
        choice = TrainChoice(run.config.get("device", "auto"), run.config.get("profile", "quick"))
        box.button(QMessageBox.StandardButton.Yes).clicked.connect(
            lambda: self.improve(run) if "refit_of" in run.config else self.start(choice, run))
        box.button(QMessageBox.StandardButton.No).clicked.connect(lambda: self._decline(run))
        self._dialog = box
        box.open()
        return box

    def _decline(self, run: Run) -> None:
        state = RunState.CANCELLED if run.state is RunState.RUNNING else run.state
        self._session.update_run(run.id, state, metrics={**run.metrics, RESUME_DECLINED: True})

    def _close_dialog(self) -> None:
        """The project is closing: a Train or resume question open now cannot be answered."""
        if self._dialog is not None:
            self._dialog.close()
            self._dialog = None

    # -- results --------------------------------------------------------------------------

    def _succeeded(self, result: tuple[dict[str, Any], Any]) -> None:
        run, task = self._run, self.task
        if run is None or task is None:
            return
        record, table = result
        self._panel.finished(task.elapsed_s)
        session = self._session
        # Only the images still to review: a clinician's reviewed points stay as they are.
        todo = session.unreviewed_images()
        before = {i: session.landmarks(i) for i in todo}
        stored = session.store_run_predictions(run.id, table,
                                               images=[session.image(i).path for i in todo])
        summary = summarize_moves(before, {i: session.landmarks(i) for i in todo})
        text = trained_message(summary)
        session.update_run(run.id, RunState.FINISHED,
                           metrics={"stages": record.get("stages", {}),
                                    "images_updated": stored,
                                    "moved_points": summary.moved_points,
                                    "new_points": summary.new_points})
        self._panel.note(text)
        self.message.emit(text)

    def _cancelled(self) -> None:
        self._panel.cancelled(IMPROVE if self._refit is not None else "Train")
        if self._run is not None:
            self._session.update_run(self._run.id, RunState.CANCELLED)

    def _failed(self, exc: BaseException, details: str) -> None:
        self._panel.failed(str(exc))
        if self._run is not None:
            self._session.update_run(self._run.id, RunState.FAILED)
        title = "Improving the detector failed" if self._refit is not None else "Training failed"
        show_error(self._window, title, exc,
                   details=None if isinstance(exc, CC2DError) else details)

    def _finished(self) -> None:
        self.task = None
        self.ended.emit()


def _fits(run: Run, template: Any, paths: list[Any]) -> bool:
    """Whether ``run`` was started on this very template (same image, points and pixels)
    and these images: else resuming it would mix two sets, and a new run starts."""
    from engine.run_folder import RunFolder, input_fingerprint

    try:
        record = RunFolder(run.folder).read_record()
        inputs = input_fingerprint(paths, template.image)
    except CC2DError:
        return False
    if not record.get("stages"):
        return True   # nothing done yet (e.g. left pending): nothing to mix
    return (record.get("template") == str(Path(template.image).resolve())
            and record.get("template_points") == template.points.tolist()
            and record.get("inputs", inputs) == inputs)


def _recorded_labelled(run: Run) -> list[dict[str, Any]] | None:
    """The labelled images a refit's ``run.json`` recorded (None before it got that far)."""
    from engine.run_folder import RunFolder

    try:
        return RunFolder(run.folder).read_record().get("labelled")
    except CC2DError:
        return None


def _template(recorded: dict[str, Any], names: tuple[str, ...]) -> Any:
    import numpy as np

    from engine.data.template import Template

    return Template(Path(recorded["image"]), names, np.asarray(recorded["points"], float))
