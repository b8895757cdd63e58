"""Image ▸ Patient and exam…: the patient and exam fields of one image, as its PDF report
names them. A DICOM image starts with its header's; OK stores what the fields then hold
(one undo step), through the session like every edit."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from cc2d_app.logic.palette import WARNING
from cc2d_app.session import ProjectSession
from engine.project import PatientFields
from engine.project.patient import DATE_FIELDS, FIELDS, LABELS, MAX_LENGTH, problem


class PatientDialog(QDialog):
    """Non-blocking (``open()``); OK writes through ``session`` when a field changed."""

    def __init__(self, session: ProjectSession, image_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._image_id = image_id
        name = session.image(image_id).name
        self.setWindowTitle(f"Patient and exam — {name}")
        self._shown = session.patient(image_id)
        self.intro = QLabel(self._intro(name))
        self.intro.setWordWrap(True)
        form = QFormLayout()
        self.edits: dict[str, QLineEdit] = {}
        for key, value in self._shown.to_dict().items():
            edit = QLineEdit(value)
            edit.setObjectName(key)
            edit.setMaxLength(MAX_LENGTH)
            if key in DATE_FIELDS:
                edit.setPlaceholderText("YYYY-MM-DD")
            edit.textChanged.connect(self._check)
            form.addRow(LABELS[key], edit)
            self.edits[key] = edit
        self.problem_label = QLabel()
        self.problem_label.setStyleSheet(f"color: {WARNING};")
        self.problem_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(12)
        self.setMinimumWidth(420)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self._check()

    def _intro(self, name: str) -> str:
        if self._session.patient_entered(self._image_id):
            where = "as entered in this project."
        elif not self._shown.is_empty():
            where = "from the image's DICOM header; OK stores them in the project."
        else:
            where = "none known yet."
        return f"Named on the PDF report of {name}. The fields are {where}"

    def fields(self) -> PatientFields:
        """What the fields hold now, spaces around each value dropped."""
        return PatientFields(**{k: e.text().strip() for k, e in self.edits.items()})

    def _check(self) -> None:
        values = self.fields().to_dict()
        why = next((f"{LABELS[k]}: {w}" for k in FIELDS
                    if (w := problem(k, values[k])) is not None), "")
        self.problem_label.setText(why)
        self.problem_label.setVisible(bool(why))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not why)

    def accept(self) -> None:
        fields = self.fields()
        # Unchanged: nothing to undo later, and a DICOM keeps following its header.
        if fields != self._shown and not self._session.set_patient(self._image_id, fields):
            return   # the session showed why; the typed values stay for another try
        super().accept()
