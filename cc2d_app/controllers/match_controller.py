"""Instant predictions: every image matched from the template, without a dialog.

When the template's last landmark is placed, and again whenever the template's points,
the reviewed images (the labelled set) or the images change, the engine's instant match
(:mod:`engine.project.jobs`) runs in a TrainingTask: every image's pretrained features
are computed once and cached in the project, so matching again takes seconds. Its
points go, as one edit, onto the images still to review; a clinician's points (the
template, corrected ones) are never touched. The panel and the status bar say what
changed.

It stands aside once a training run has finished (a trained detector's points are
better; *Improve with my corrections* then learns from the reviewed images) and while a
training runs (the two would share the CPU).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from cc2d_app.controllers.training_controller import TrainingController
from cc2d_app.controllers.training_worker import TrainingTask
from cc2d_app.dialogs.error_dialog import show_error
from cc2d_app.logic.refit_summary import matched_message, summarize_moves
from cc2d_app.logic.review import is_low
from cc2d_app.session import ProjectSession
from cc2d_app.views.training_panel import TrainingPanel, stage_title
from engine.errors import CC2DError
from engine.progress import Progress

SETTLE_MS = 400   # a burst of edits (a drag, an undo of many points) starts one match


class MatchController(QObject):
    """One project's instant matching. ``message`` feeds the status bar."""

    message = Signal(str)
    matched = Signal(int)   # images whose points changed (tests wait on it)

    def __init__(self, session: ProjectSession, panel: TrainingPanel,
                 training: TrainingController, parent: QWidget) -> None:
        super().__init__(parent)
        self._session = session
        self._panel = panel
        self._training = training
        self._window = parent
        self.task: TrainingTask | None = None
        self._inputs: Any = None       # engine.project.jobs.MatchInputs of the running task
        self._done: str | None = None  # signature of the inputs last matched and stored
        self._again = False            # inputs changed while a match ran
        self._shown_errors: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._maybe_start)
        for signal in (session.landmarksChanged, session.imageChanged):
            signal.connect(self._changed)
        session.imagesChanged.connect(self._changed)
        session.closing.connect(self._timer.stop)
        session.templateChanged.connect(self._changed)
        training.started.connect(self.cancel)
        training.ended.connect(self._changed)
        panel.cancelRequested.connect(self.cancel)
        if session.unlabelled_images():   # opened with images nothing was predicted on
            self._changed()

    @property
    def busy(self) -> bool:
        return self.task is not None

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _changed(self, *_args: Any) -> None:
        self._timer.start()

    def _maybe_start(self) -> None:
        session = self._session
        if self._training.busy or session.finished_run() is not None:
            return
        if self.task is not None:
            self._again = True
            return
        try:
            inputs = session.match_inputs()
        except CC2DError as exc:
            if session.template_id() is not None and not session.missing_template_landmarks():
                self.message.emit(f"No instant predictions: {exc}")
            return   # else no template yet, or landmarks left to place on it
        if not inputs.targets or inputs.signature == self._done:
            return
        self._inputs, self._again = inputs, False

        def work(progress: Any, cancel: Any) -> Any:
            from engine.device import pick_device
            from engine.project.jobs import run_match

            skipped: list[Any] = []
            table = run_match(inputs, pick_device(None), progress=progress, cancel=cancel,
                              skipped=skipped)
            return table, skipped

        task = TrainingTask(work, self)
        task.report.connect(self._report)
        task.succeeded.connect(self._succeeded)
        task.cancelled.connect(self._cancelled)
        task.failed.connect(self._failed)
        task.ended.connect(self._finished)
        self.task = session.track(task)
        self._panel.reset(keep_curves=True)
        n = len(inputs.targets)
        self.message.emit(f"Matching the template on {n} image{'s' if n != 1 else ''}…")
        task.start()

    def _report(self, p: Progress) -> None:
        if self._training.busy:   # a report queued before a training took the panel
            return
        self._panel.on_progress(p)
        self.message.emit(f"Instant predictions: {stage_title(p.stage).lower()} "
                          f"{p.step}/{p.total}…")

    def _succeeded(self, result: tuple[Any, list[Any]]) -> None:
        session, inputs, task = self._session, self._inputs, self.task
        if inputs is None or task is None:
            return
        table, skipped = result
        shown = not self._training.busy   # else a training has taken the panel meanwhile
        if shown:
            self._panel.finished(task.elapsed_s)
        # Only images still to review now: one may have been reviewed meanwhile.
        waiting = set(session.unreviewed_images())
        todo = [i for i, _path in inputs.targets if i in waiting and session.has_image(i)]
        before = {i: session.landmarks(i) for i in todo}
        session.store_run_predictions(None, table, images=[session.image(i).path for i in todo],
                                      label="instant predictions")
        after = {i: session.landmarks(i) for i in todo}
        doubtful = sum(is_low(p) for points in after.values() for p in points)
        text = matched_message(len(inputs.labelled), summarize_moves(before, after), doubtful)
        if skipped:
            text += f" {len(skipped)} image(s) could not be read."
        self._done = inputs.signature
        if shown:
            self._panel.note(text)
        self.message.emit(text)
        self.matched.emit(sum(before[i] != after[i] for i in todo))

    def _cancelled(self) -> None:
        if self._training.busy:   # cancelled for a training, which has the panel now
            return
        self._panel.stopped("Matching stopped; nothing was stored. Any change to the "
                            "template or a review starts it again.")
        self.message.emit("Instant matching stopped.")

    def _failed(self, exc: BaseException, details: str) -> None:
        if not self._training.busy:
            self._panel.failed(str(exc))
        self.message.emit(f"Instant predictions failed: {exc}")
        # Matching restarts on every edit: the same failure is shown once, then only said.
        if str(exc) not in self._shown_errors:
            self._shown_errors.add(str(exc))
            show_error(self._window, "Instant predictions failed", exc,
                       details=None if isinstance(exc, CC2DError) else details)

    def _finished(self) -> None:
        self.task, self._inputs = None, None
        if self._again:
            self._changed()
