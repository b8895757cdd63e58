"""Ask for the real length of the line drawn over a ruler; shows the pixel size it gives."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)


class CalibrationDialog(QDialog):
    """Non-blocking (``open()``): ``calibrated`` carries the line's length in mm when accepted."""

    calibrated = Signal(float)

    def __init__(self, length_px: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibrate pixel size")
        self._length_px = length_px
        intro = QLabel(
            f"The line you drew is <b>{length_px:.1f} pixels</b> long. "
            "How long is it on the ruler?")
        intro.setWordWrap(True)
        self.length_mm = QDoubleSpinBox()
        self.length_mm.setRange(0.01, 10000.0)
        self.length_mm.setDecimals(2)
        self.length_mm.setSuffix(" mm")
        self.length_mm.setValue(10.0)
        self.result_label = QLabel()
        self.length_mm.valueChanged.connect(self._update)
        form = QFormLayout()
        form.addRow("Length", self.length_mm)
        form.addRow("Pixel size", self.result_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(12)
        self.setMinimumWidth(380)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._update()

    def mm_per_px(self) -> float:
        return self.length_mm.value() / self._length_px

    def accept(self) -> None:
        self.calibrated.emit(self.length_mm.value())
        super().accept()

    def _update(self) -> None:
        self.result_label.setText(f"{self.mm_per_px():.4f} mm per pixel")
