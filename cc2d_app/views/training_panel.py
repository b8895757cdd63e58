"""What a training run is doing: its stage in words, progress, time, the live loss, Cancel."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from cc2d_app.logic.time_left import exact_duration, later_stages, time_left_text
from cc2d_app.views.loss_plot import LossPlot
from engine.progress import Progress

# The stage names the engine's Progress reports carry (engine/pipeline.py and the trainers).
STAGE_TITLES = {
    "loading images": "Loading the images",
    "image features": "Reading the images (pretrained features)",
    "instant matching": "Matching the template on every image",
    "SSL training": "Learning the images (self-supervised)",
    "SSL prediction": "Pseudo-labels from the template",
    "TPL training": "Training the detector",
    "TPL prediction": "Predicting",
    "refinement training": "Training the refinement",
    "refining": "Refining the predictions",
}
# Short curve names for the legend.
CURVE_LABELS = {"SSL training": "self-supervised", "TPL training": "detector",
                "refinement training": "refinement"}


def stage_title(stage: str) -> str:
    return STAGE_TITLES.get(stage, stage[:1].upper() + stage[1:])


class TrainingPanel(QWidget):
    """Feed it ``on_progress``; end it with ``finished``, ``cancelled`` or ``failed``."""

    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage_label = QLabel()
        self.stage_label.setObjectName("heading")
        self.stage_label.setWordWrap(True)   # "Cancelled in: <stage> · stage k of n" is long
        self.bar = QProgressBar()
        self.time_label = QLabel()
        self.time_label.setObjectName("muted")
        self.time_label.setWordWrap(True)   # elapsed, this stage and the whole run
        self.plot = LossPlot()
        self.plot.setMinimumHeight(160)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)  # messages may hold "<"
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel_clicked)
        layout = QVBoxLayout(self)
        for widget in (self.stage_label, self.bar, self.time_label):
            layout.addWidget(widget)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.state_label)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignRight)
        self._clock = QElapsedTimer()
        self._eta: str = ""
        self._eta_end_ms: float | None = None   # clock time the stage should end
        self._later: list[str] = []              # the run's stages after this one
        self._reached = 0                        # the furthest stage of the plan so far
        self._expected: dict[str, float] = {}    # seconds per stage, from an earlier run
        self._per_image_rest: float | None = None  # benchmark cost of the non-training stages
        self._tick = QTimer(self)   # elapsed time keeps counting between reports
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._show_time)
        self.reset()

    def reset(self, keep_curves: bool = False) -> None:
        """Ready for a new run (a resumed one replays its curve); the clock starts now.
        ``keep_curves``: work without a loss (matching, predicting) leaves the last
        training's curves on show."""
        if not keep_curves:
            self.plot.clear_curves()
        self.stage_label.setText("Starting…")
        self.bar.setRange(0, 0)   # busy until the first report
        self.bar.setFormat("")
        self.state_label.clear()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self._eta = ""
        self._eta_end_ms = None
        self._later, self._expected, self._reached = [], {}, 0
        self._per_image_rest = None
        self._clock.start()
        self._tick.start()
        self._show_time()

    def expect(self, seconds: dict[str, float], per_image_rest_s: float | None = None
               ) -> None:
        """How long each stage took in an earlier run like this one (engine stage names),
        and what the stages that train nothing cost for these images in our benchmark runs
        (for stages no earlier run timed): the panel adds a total for the whole run."""
        self._expected = dict(seconds)
        self._per_image_rest = per_image_rest_s

    def on_progress(self, p: Progress) -> None:
        where = f" · stage {p.part} of {p.parts}" if p.parts > 1 else ""
        self.stage_label.setText(stage_title(p.stage) + where)
        total = max(p.total, 1)
        self.bar.setRange(0, total)
        self.bar.setValue(min(p.step, total))
        self.bar.setFormat(f"{p.step} / {p.total}")
        self._eta_end_ms = None
        # A stage may come back (the images are loaded again at the detector's size):
        # what lies ahead is counted from the furthest stage reached.
        self._reached = max(self._reached, p.part)
        self._later = later_stages(p.plan, self._reached)
        if p.eta_s is None:
            self._eta = "estimating the time left"
        elif p.step >= p.total:
            self._eta = ""
        else:   # counts down every second until the next report corrects it
            self._eta_end_ms = self._clock.elapsed() + 1000 * p.eta_s
        self._show_time()
        if p.loss is not None:
            self.plot.add_point(p.stage, CURVE_LABELS.get(p.stage, p.stage), p.step, p.loss)

    def finished(self, seconds: float) -> None:
        self._end(f"Finished in {exact_duration(seconds)}")
        self.stage_label.setText("Done")
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.bar.setFormat("")

    def cancelled(self, again: str = "Train") -> None:
        stage = self.stage_label.text()
        self._end(f"Cancelled — the checkpoint is kept; {again} again resumes")
        self.stage_label.setText(f"Cancelled in: {stage}" if stage != "Starting…" else
                                 "Cancelled")

    def note(self, text: str) -> None:
        """A line about the result under the finished state (what the run changed)."""
        state = self.state_label.text()
        self.state_label.setText(f"{state}\n{text}" if state else text)

    def failed(self, message: str) -> None:
        self._end(f"Failed: {message}")

    def stopped(self, text: str) -> None:
        """Work that keeps nothing was stopped; ``text`` says what happens next."""
        self._end(text)

    def _end(self, text: str) -> None:
        self._tick.stop()
        self._eta, self._eta_end_ms = "", None
        self._show_time()
        if self.bar.maximum() == 0:
            self.bar.setRange(0, 1)   # stop the busy animation
        self.state_label.setText(text)
        self.cancel_button.hide()

    def _cancel_clicked(self) -> None:
        # Saving the checkpoint takes a moment; one request is enough.
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.state_label.setText("Cancelling — saving a checkpoint…")
        self.cancelRequested.emit()

    def _show_time(self) -> None:
        if self._eta_end_ms is not None:
            left = max(0.0, (self._eta_end_ms - self._clock.elapsed()) / 1000)
            self._eta = time_left_text(left, self._later, self._expected,
                                       self._per_image_rest)
        text = f"Elapsed {exact_duration(self._clock.elapsed() / 1000)}"
        self.time_label.setText(f"{text} · {self._eta}" if self._eta else text)
