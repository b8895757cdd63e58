"""Before training: which device and profile, and about how long it will take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from cc2d_app.controllers.training_worker import detect_gpu
from cc2d_app.logic.time_left import about_duration

if TYPE_CHECKING:
    from engine.pipeline import PipelineSettings

# (fixed seconds, seconds per image) by (profile, device kind), from the ISBI runs in
# benchmarks/results/ (150 images). The fixed part is training, the per-image part the
# rest of the pipeline (loading, pseudo-labels, predictions).
_COST: dict[tuple[str, str], tuple[float, float]] = {
    # Clinic profile, 2-core CPU (clinic_isbi_seed*_cpu): a 600 s TPL budget; pipeline
    # wall − training ≈ 35 s for 150 images (pseudo-labels 18 s, loading, predictions).
    ("clinic", "cpu"): (600.0, 0.23),
    # Not measured on a GPU: the same budget, which bounds it; per image as below.
    ("clinic", "cuda"): (600.0, 0.137),
    # Full profile: a 105 s TPL budget. Not measured on a GPU yet: per image as the
    # paper profile's measured 20.5 s for 150 images (isbi_full_h200) — an upper bound,
    # the instant pseudo-labels being cheaper there than SSL's.
    ("full", "cuda"): (105.0, 0.137),
    # On a CPU the same budget; per image the pretrained detector at the full grid
    # (~0.1 s, as clinic's at 320 measured 0.10 s) plus features and loading (~0.23 s).
    ("full", "cpu"): (105.0, 0.35),
    # Projects trained before the clinic profile keep their choice (paper quick profile,
    # 2-core CPU, isbi_quick_templates_cpu, mean of three templates: SSL 507 s + TPL
    # 330 s + refinement 93 s; pipeline_wall_s − training = 21.7 s for 150 images).
    ("quick", "cpu"): (930.0, 0.145),
    ("quick", "cuda"): (62.0, 0.137),   # an upper bound from the paper networks' throughput
}

PROFILE_LINES = {
    "full": "for a GPU: the pretrained detector at full size, ~2 min of training (not yet "
            "measured on a GPU); on a CPU it stops on its time budget after few steps",
    "clinic": "for a CPU: the pretrained detector, ~11 min on 2 cores; ISBI test1 2.1–2.2 mm",
}


def per_image_seconds(profile: str, device_kind: str, n_images: int) -> float | None:
    """What the stages that train nothing (loading, pseudo-labels, predictions) cost for
    ``n_images`` in the measured runs; None without a figure."""
    cost = _COST.get((profile, device_kind))
    return None if cost is None else cost[1] * max(n_images, 0)


def estimate_seconds(profile: str, device_kind: str, n_images: int) -> float:
    """Expected wall time of a whole training run; ``device_kind`` is "cuda" or "cpu"."""
    try:
        fixed, per_image = _COST[(profile, device_kind)]
    except KeyError:
        raise ValueError(f"no estimate for profile {profile!r} on {device_kind!r}") from None
    return fixed + per_image * max(n_images, 0)


@dataclass(frozen=True)
class TrainChoice:
    device: str    # "auto" | "cuda" | "cpu"
    profile: str   # "full" | "clinic" (older projects: "quick")

    def kind(self) -> str:
        """"cuda" or "cpu": where the run goes ("auto" takes a GPU when there is one)."""
        return "cuda" if self.device == "cuda" or (self.device == "auto" and detect_gpu()) \
            else "cpu"

    def settings(self) -> PipelineSettings:
        from engine.pipeline import PipelineSettings  # torch: see training_worker's warm_up

        return PipelineSettings(profile=self.profile)


class TrainDialog(QDialog):
    """Use with ``open()``; on ``accepted`` read :meth:`choice`."""

    def __init__(self, n_images: int, template_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train")
        self._n_images = n_images
        self._gpu = detect_gpu()

        heading = QLabel(f"Train on {n_images} image{'s' * (n_images != 1)}")
        heading.setObjectName("heading")
        template = QLabel(f"Template: {template_name}")
        template.setTextFormat(Qt.TextFormat.PlainText)

        device_box = QGroupBox("Device")
        found = QLabel(f"GPU found: {self._gpu}" if self._gpu
                       else "No CUDA GPU found: training runs on the CPU")
        found.setObjectName("muted")
        self.device_auto = QRadioButton("Automatic (the GPU when there is one)")
        self.device_cuda = QRadioButton("GPU (CUDA)")
        self.device_cpu = QRadioButton("CPU")
        self.device_cuda.setEnabled(self._gpu is not None)
        self.device_auto.setChecked(True)
        self._devices = QButtonGroup(self)
        box = QVBoxLayout(device_box)
        box.addWidget(found)
        for radio in (self.device_auto, self.device_cuda, self.device_cpu):
            self._devices.addButton(radio)
            box.addWidget(radio)

        profile_box = QGroupBox("Profile")
        self.profile_full = QRadioButton("Full")
        self.profile_clinic = QRadioButton("Clinic")
        (self.profile_full if self._gpu else self.profile_clinic).setChecked(True)
        self._profiles = QButtonGroup(self)
        box = QVBoxLayout(profile_box)
        for radio, name in ((self.profile_clinic, "clinic"), (self.profile_full, "full")):
            self._profiles.addButton(radio)
            line = QLabel(PROFILE_LINES[name])
            line.setObjectName("muted")
            line.setWordWrap(True)
            line.setContentsMargins(22, 0, 0, 4)   # under the radio's text, not its dot
            box.addWidget(radio)
            box.addWidget(line)

        self.estimate_label = QLabel()
        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("primary")
        self.start_button.setDefault(True)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(10)
        self.setMinimumWidth(440)
        for widget in (heading, template, device_box, profile_box, self.estimate_label, buttons):
            layout.addWidget(widget)
        self._devices.buttonToggled.connect(self._update_estimate)
        self._profiles.buttonToggled.connect(self._update_estimate)
        self._update_estimate()

    def choice(self) -> TrainChoice:
        if self.device_cuda.isChecked():
            device = "cuda"
        elif self.device_cpu.isChecked():
            device = "cpu"
        else:
            device = "auto"
        return TrainChoice(device, "full" if self.profile_full.isChecked() else "clinic")

    def _update_estimate(self) -> None:
        choice = self.choice()
        kind = choice.kind()
        seconds = estimate_seconds(choice.profile, kind, self._n_images)
        where = "on the GPU" if kind == "cuda" else "on the CPU"
        self.estimate_label.setText(f"Estimated time {where}: {about_duration(seconds)}")
