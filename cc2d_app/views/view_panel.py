"""Window/level, presets and inversion for the image on screen; its spacing and calibration."""

from __future__ import annotations

from typing import Any

import qtawesome as qta
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.data.spacing import Spacing

SPACING_SOURCES = {
    "PixelSpacing": "from the DICOM PixelSpacing tag",
    "ImagerPixelSpacing": "from the DICOM ImagerPixelSpacing tag",
    "calibration": "calibrated on a ruler in the image",
    "user": "entered by hand",
}


def spacing_text(spacing: Spacing | None) -> str:
    """``"0.1 mm/px, from the DICOM PixelSpacing tag"``, or what to do when unknown."""
    if spacing is None:
        return "Pixel size unknown: distances are in pixels. Calibrate on a ruler to get mm."
    size = (f"{spacing.col_mm:.4g} mm/px" if spacing.row_mm == spacing.col_mm
            else f"{spacing.col_mm:.4g} × {spacing.row_mm:.4g} mm/px")
    return f"{size}, {SPACING_SOURCES.get(spacing.source, spacing.source)}"


class ViewPanel(QWidget):
    """Emits ``windowEdited`` when the user changes the window here."""

    windowEdited = Signal(float, float, bool)  # centre, width, invert
    calibrateToggled = Signal(bool)
    clearCalibrationRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._updating = False
        self._presets: list[Any] = []
        self.preset = QComboBox()
        self.preset.activated.connect(self._preset_chosen)
        self.centre = QDoubleSpinBox()
        self.width = QDoubleSpinBox()
        for box in (self.centre, self.width):
            box.setDecimals(1)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(self._edited)
        self.invert = QCheckBox("Invert")
        self.invert.toggled.connect(self._edited)
        form = QFormLayout()
        form.addRow("Preset", self.preset)
        form.addRow("Level", self.centre)
        form.addRow("Window", self.width)
        form.addRow("", self.invert)
        hint = QLabel("Right-drag on the image: ↔ window, ↕ level")
        hint.setObjectName("muted")
        self.spacing = QLabel()
        self.spacing.setWordWrap(True)
        self.calibrate = QPushButton(qta.icon("mdi6.ruler"), "Calibrate…")
        self.calibrate.setCheckable(True)
        self.calibrate.setToolTip("Draw a line over a ruler in the image, then type its length")
        self.calibrate.toggled.connect(self.calibrateToggled)
        self.clear_calibration = QPushButton("Clear")
        self.clear_calibration.clicked.connect(self.clearCalibrationRequested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.calibrate)
        buttons.addWidget(self.clear_calibration)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addSpacing(8)
        layout.addWidget(self.spacing)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.show_spacing(None)

    def show_image(self, value_range: tuple[float, float], presets: Any) -> None:
        """New image: its value range bounds the fields; its presets fill the list."""
        self._updating = True
        lo, hi = value_range
        span = max(hi - lo, 1e-6)
        decimals = 1 if span > 10 else 4
        for box in (self.centre, self.width):
            box.setDecimals(decimals)
            box.setSingleStep(span / 100)
        self.centre.setRange(lo - span, hi + span)
        self.width.setRange(span / 1000, span * 4)
        self._presets = list(presets)
        self.preset.clear()
        for p in self._presets:
            self.preset.addItem(f"{p.name}  ({p.centre:g} / {p.width:g})")
        self._updating = False

    def show_window(self, centre: float, width: float, invert: bool) -> None:
        self._updating = True
        self.centre.setValue(centre)
        self.width.setValue(width)
        self.invert.setChecked(invert)
        match = [i for i, p in enumerate(self._presets)
                 if abs(p.centre - centre) < 1e-6 and abs(p.width - width) < 1e-6]
        self.preset.setCurrentIndex(match[0] if match else -1)
        self._updating = False

    def show_spacing(self, spacing: Spacing | None) -> None:
        self.spacing.setText(spacing_text(spacing))
        calibrated = spacing is not None and spacing.source == "calibration"
        self.clear_calibration.setVisible(calibrated)
        # A spacing from the file is authoritative (ADR 0002); calibration is for the rest.
        self.calibrate.setEnabled(spacing is None or spacing.source in ("calibration", "user"))

    def _preset_chosen(self, index: int) -> None:
        if 0 <= index < len(self._presets):
            p = self._presets[index]
            self.show_window(p.centre, p.width, self.invert.isChecked())
            self.windowEdited.emit(p.centre, p.width, self.invert.isChecked())

    def _edited(self, *_args: Any) -> None:
        if not self._updating:
            self.windowEdited.emit(self.centre.value(), self.width.value(),
                                   self.invert.isChecked())
