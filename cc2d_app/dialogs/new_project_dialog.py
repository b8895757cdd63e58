"""The "New project" dialog: which radiographs, where the project lives, which landmarks.

It only gathers and checks the choices; the session creates the project from
:meth:`NewProjectDialog.result_spec`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cc2d_app.dialogs import file_dialogs
from cc2d_app.dialogs.schema_editor import ERROR_STYLE, SchemaChooser
from cc2d_app.settings import AppSettings
from engine.data.images import list_images
from engine.errors import ImageReadError
from engine.project.db import DB_NAME
from engine.project.schema import LandmarkSchema

PROJECT_SUFFIX = "_cc2d"
SCAN_DELAY_MS = 250  # wait for typing to pause before listing a folder


@dataclass(frozen=True)
class NewProjectSpec:
    """What the user chose: the radiographs, the project folder and the landmark schema."""

    images_dir: Path
    project_dir: Path
    schema: LandmarkSchema


def default_project_dir(images_dir: Path) -> Path:
    """``<images>_cc2d`` beside the image folder, so the radiographs stay untouched."""
    return images_dir.with_name(images_dir.name + PROJECT_SUFFIX)


class NewProjectDialog(QDialog):
    """Collects a :class:`NewProjectSpec`; Create stays disabled until every part is valid."""

    def __init__(self, parent: QWidget | None = None, settings: AppSettings | None = None,
                 images_folder: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.setMinimumSize(720, 560)
        self._settings = settings or AppSettings()
        self._image_count = 0
        self._project_dir_edited = False  # once the user types one, stop proposing

        self._images = QLineEdit()
        self._images.setObjectName("imagesFolder")
        self._images.setPlaceholderText("Folder of radiographs (PNG, JPEG, TIFF, DICOM…)")
        self._images_status = _status_label("imagesStatus")
        self._project = QLineEdit()
        self._project.setObjectName("projectFolder")
        self._project.setPlaceholderText("Where the project keeps its landmarks and models")
        self._project_status = _status_label("projectStatus")
        self._schema = SchemaChooser(start_folder=self._settings.last_folder("csv"))

        folders = QFormLayout()
        folders.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        folders.addRow("Radiographs:", self._field(
            self._images, self._browse_images, self._images_status))
        folders.addRow("Project folder:", self._field(
            self._project, self._browse_project, self._project_status))
        landmarks = QGroupBox("Landmarks to place")
        QVBoxLayout(landmarks).addWidget(self._schema)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self._create = buttons.addButton("Create project", QDialogButtonBox.ButtonRole.AcceptRole)
        self._create.setObjectName("primary")  # the theme's accent button
        self._create.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addLayout(folders)
        layout.addWidget(landmarks, stretch=1)
        layout.addWidget(buttons)

        self._scan_timer = QTimer(self, singleShot=True, interval=SCAN_DELAY_MS)
        self._scan_timer.timeout.connect(self._scan_images)
        self._images.textChanged.connect(self._images_changed)
        self._project.textEdited.connect(self._project_edited)
        self._project.textChanged.connect(self._validate)
        self._schema.changed.connect(self._validate)
        if images_folder:   # e.g. a study just fetched from a PACS
            self._images.setText(images_folder)
        self._validate()

    def result_spec(self) -> NewProjectSpec:
        """The choices; only meaningful once the dialog was accepted (Create enabled)."""
        schema = self._schema.schema()
        if not self._create.isEnabled() or schema is None:
            raise RuntimeError("result_spec() asked while the new-project form is incomplete")
        return NewProjectSpec(self._images_path(), self._project_path(), schema)

    @staticmethod
    def _field(edit: QLineEdit, browse_slot: object, status: QLabel) -> QWidget:
        # The status sits under the edit in the same cell so long messages wrap full width.
        browse = QPushButton("Browse…")
        browse.setObjectName(edit.objectName() + "Browse")
        browse.clicked.connect(browse_slot)
        row = QHBoxLayout()
        row.addWidget(edit, stretch=1)
        row.addWidget(browse)
        field = QWidget()
        layout = QVBoxLayout(field)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(status)
        return field

    def _images_path(self) -> Path:
        return Path(self._images.text().strip()).expanduser().resolve()

    def _project_path(self) -> Path:
        return Path(self._project.text().strip()).expanduser().resolve()

    def _browse_images(self) -> None:
        start = self._settings.last_folder("images")
        folder = file_dialogs.choose_directory(self, "Folder of radiographs", start)
        if folder:
            self._settings.set_last_folder("images", Path(folder).parent)
            self._images.setText(folder)
            self._scan_images()  # a chosen folder needs no typing pause

    def _browse_project(self) -> None:
        start = self._project.text().strip() or self._settings.last_folder("project")
        folder = file_dialogs.choose_directory(self, "Project folder", str(Path(start).parent))
        if folder:
            self._project_dir_edited = True
            self._project.setText(folder)

    def _images_changed(self, text: str) -> None:
        self._image_count = 0
        self._images_status.setText("")
        if not self._project_dir_edited:
            name = Path(text.strip()).name if text.strip() else ""
            self._project.setText(str(default_project_dir(self._images_path())) if name else "")
        self._scan_timer.start()
        self._validate()

    def _project_edited(self, text: str) -> None:
        # Clearing the field hands it back to the automatic proposal.
        self._project_dir_edited = bool(text.strip())

    def _scan_images(self) -> None:
        self._scan_timer.stop()
        if not self._images.text().strip():
            return
        try:
            count = len(list_images(self._images_path()))
        except ImageReadError as exc:
            self._image_count = 0
            _show(self._images_status, str(exc), error=True)
        else:
            self._image_count = count
            _show(self._images_status, f"{count} image{'s' if count != 1 else ''} found")
        self._validate()

    def _project_problem(self) -> str | None:
        if not self._project.text().strip():
            return None  # nothing typed yet: the disabled Create button says enough
        folder = self._project_path()
        if folder.is_file():
            return f"{folder} is a file; choose a folder for the project."
        if (folder / DB_NAME).exists():
            return f"{folder} already holds a CC2D project; use Open project… to continue it."
        return None

    def _validate(self) -> None:
        problem = self._project_problem()
        _show(self._project_status, problem or "", error=True)
        self._create.setEnabled(
            self._image_count > 0
            and bool(self._project.text().strip())
            and problem is None
            and self._schema.schema() is not None
        )


def _status_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def _show(label: QLabel, text: str, *, error: bool = False) -> None:
    label.setText(text)
    label.setStyleSheet(ERROR_STYLE if error else "")
    label.setVisible(bool(text))
