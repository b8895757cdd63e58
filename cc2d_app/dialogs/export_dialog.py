"""Export the landmarks: formats, which images, where; the work runs in a Task.

Files are written atomically by the engine's exporters; the dialog then says where they
went and how many points they hold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from cc2d_app.controllers.workers import Task
from cc2d_app.dialogs import file_dialogs
from cc2d_app.dialogs.error_dialog import show_error
from cc2d_app.logic.palette import WARNING
from cc2d_app.session import ProjectSession
from cc2d_app.settings import AppSettings
from cc2d_app.views.report import report_pdf
from engine.pacs import settings as pacs_settings
from engine.pacs.connection import Connection, PacsError
from engine.pacs.transfer import Sent, send_files
from engine.project import Project, ReviewStatus
from engine.project.annotated import export_annotated
from engine.project.export import count_points, export, missing_files

# Format key → (label, where it goes inside the chosen folder).
FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("CSV (one row per image and landmark)", "landmarks.csv"),
    "json": ("JSON (with schema, spacing and status)", "landmarks.json"),
    "slicer": ("3D Slicer markups (.mrk.json, one per image)", "slicer"),
    "coco": ("COCO keypoints", "coco_keypoints.json"),
    "png": ("Annotated PNGs (image with points and names)", "annotated"),
    "dicom-sr": ("DICOM: SR of landmarks and measurements, the report as Encapsulated "
                 "PDF, per image", "dicom"),
}
SCOPES = ("all", "reviewed", "current")


@dataclass(frozen=True)
class ExportResult:
    files: list[Path]
    points: int
    images: int
    folder: Path
    missing: list[str]  # images whose files are gone (their landmarks are exported)
    sent: list[Sent] = field(default_factory=list)   # what the PACS accepted or refused


def image_scope(project: Project, scope: str, current: int | None) -> list[int]:
    """The image ids an export covers: all, the reviewed ones (and the template), or one."""
    if scope == "current":
        return [current] if current is not None else []
    template = project.template()
    return [r.id for r in project.images() if scope == "all"
            or r.status == ReviewStatus.REVIEWED or (template and r.id == template.id)]


@dataclass(frozen=True)
class DicomChoices:
    """What a DICOM export takes from the open project: the analyses chosen in the
    Analysis tab and, per image id, its PDF report's data (gathered on the GUI thread)."""

    analyses: list[str]
    reports: Callable[[Project, int], Any]    # (project, image id) → its report's data


def export_function(project: Project, formats: list[str], folder: Path,
                    image_ids: list[int], analyses: list[str] | None = None,
                    reports: Callable[[Project, int], Any] | None = None,
                    send: Connection | None = None
                    ) -> Callable[[Any, threading.Event], ExportResult]:
    """A Task function writing every chosen format into ``folder`` (``reports``: (project,
    image id) → its report's data, drawn into the DICOM export's Encapsulated PDFs; ``send``:
    the PACS the DICOM objects then go to)."""

    def run(progress: Callable[[int, int], None], cancel: threading.Event) -> ExportResult:
        files: list[Path] = []
        sent: list[Sent] = []
        for k, fmt in enumerate(formats):
            if cancel.is_set():
                break
            out = folder / FORMATS[fmt][1]
            if fmt == "png":
                files += export_annotated(project, out, image_ids)
            elif fmt == "dicom-sr":
                dicom = export(project, out, fmt, image_ids, analyses,
                               (lambda i: report_pdf(reports(project, i))) if reports
                               else None)
                files += dicom
                if send is not None and dicom:
                    sent = send_files(send, dicom)
            else:
                files += export(project, out, fmt, image_ids)
            progress(k + 1, len(formats))
        gone = [r.name for r in missing_files(project, image_ids)]
        return ExportResult(files, count_points(project, image_ids), len(image_ids), folder,
                            gone, sent)

    return run


class ExportDialog(QDialog):
    """Non-blocking (``open()``); ``finishedExport`` carries the ExportResult."""

    def __init__(self, session: ProjectSession, current_id: int | None,
                 parent: QWidget | None = None, settings: AppSettings | None = None,
                 dicom: DicomChoices | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._dicom = dicom
        project = session.reader()
        default_folder = session.folder / "exports"
        self.setWindowTitle("Export landmarks")
        self.setMinimumWidth(520)
        self._project = project
        self._current = current_id
        self._task: Task | None = None
        self.result_value: ExportResult | None = None

        formats = QGroupBox("Formats")
        fl = QVBoxLayout(formats)
        self.format_boxes: dict[str, QCheckBox] = {}
        for key, (label, _target) in FORMATS.items():
            box = QCheckBox(label)
            box.setChecked(key == "csv")
            box.toggled.connect(self._validate)
            self.format_boxes[key] = box
            fl.addWidget(box)
        self.send = QCheckBox("… and send them to the PACS")
        self.send.setObjectName("sendToPacs")
        try:
            self._pacs: Connection | None = pacs_settings.load()
        except PacsError:
            self._pacs = None
        self.send.setToolTip("Store the SRs, reports and captures on the PACS set up in "
                             "New project from PACS… (STOW-RS)" if self._pacs else
                             "Set up a PACS first: Project ▸ New project from PACS…")
        self.format_boxes["dicom-sr"].toggled.connect(self._validate)
        indented = QHBoxLayout()   # under the DICOM format it belongs to
        indented.addSpacing(24)
        indented.addWidget(self.send, 1)
        fl.addLayout(indented)

        scope = QGroupBox("Images")
        sl = QVBoxLayout(scope)
        self.scope_group = QButtonGroup(self)
        self.scope_buttons: dict[str, QRadioButton] = {}
        counts = {s: len(image_scope(project, s, current_id)) for s in SCOPES}
        for key, text in (("all", "All images"), ("reviewed", "Reviewed images and the template"),
                          ("current", "The current image")):
            button = QRadioButton(f"{text}  ({counts[key]})")
            button.setEnabled(counts[key] > 0)
            self.scope_group.addButton(button)
            self.scope_buttons[key] = button
            sl.addWidget(button)
        self.scope_buttons["all"].setChecked(True)

        self.folder = QLineEdit(str(default_folder))
        self.folder.setObjectName("exportFolder")
        self.folder.textChanged.connect(self._validate)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(QLabel("Folder"))
        row.addWidget(self.folder, 1)
        row.addWidget(browse)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("exportStatus")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export",
                                                    QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.setObjectName("primary")
        self.export_button.clicked.connect(self._export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(12)
        layout.addWidget(formats)
        layout.addWidget(scope)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        saved = settings.export_choices(list(FORMATS), SCOPES) if settings else None
        if saved is not None:   # the last export's ticks, as far as they apply here
            for key, box in self.format_boxes.items():
                box.setChecked(key in saved[0])
            if self.scope_buttons[saved[1]].isEnabled():
                self.scope_buttons[saved[1]].setChecked(True)
        self._validate()

    def chosen_formats(self) -> list[str]:
        return [k for k, box in self.format_boxes.items() if box.isChecked()]

    def chosen_scope(self) -> str:
        return next(k for k, b in self.scope_buttons.items() if b.isChecked())

    def _browse(self) -> None:
        folder = file_dialogs.choose_directory(self, "Export into", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _validate(self) -> None:
        self.send.setEnabled(self._pacs is not None and "dicom-sr" in self.chosen_formats())
        ok = bool(self.chosen_formats()) and bool(self.folder.text().strip())
        self.export_button.setEnabled(ok and self._task is None)

    def _export(self) -> None:
        folder = Path(self.folder.text().strip()).expanduser()
        ids = image_scope(self._project, self.chosen_scope(), self._current)
        if self._settings is not None:
            self._settings.set_export_choices(self.chosen_formats(), self.chosen_scope())
        formats = self.chosen_formats()
        analyses, reports = None, None
        if "dicom-sr" in formats and self._dicom is not None:
            analyses, reports = self._dicom.analyses, self._dicom.reports
        send = self._pacs if self.send.isChecked() and self.send.isEnabled() else None
        task = Task(export_function(self._project, formats, folder, ids, analyses, reports,
                                    send), self)
        task.succeeded.connect(self._done)
        task.failed.connect(lambda exc, tb: show_error(self, "Export failed", exc, details=tb))
        task.finished.connect(self._task_ended)
        self._task = task
        self.status.setText("Exporting…")
        self._validate()
        task.start()

    def _task_ended(self) -> None:
        self._task = None
        self._validate()

    def _done(self, result: ExportResult) -> None:
        self.result_value = result
        names = ", ".join(sorted({p.relative_to(result.folder).parts[0] for p in result.files}))
        self.status.setText(
            f"<b>Wrote {len(result.files)} file(s)</b> with {result.points} points of "
            f"{result.images} image(s) to <b>{result.folder}</b>:<br>{names}"
            + (f"<br><span style='color:{WARNING}'>{len(result.missing)} image file(s) are "
               f"missing ({', '.join(result.missing[:3])}…); their landmarks were exported, "
               "annotated PNGs could not be drawn.</span>" if result.missing else "")
            + _sent_text(result.sent))
        self.adjustSize()  # the result text is longer than the empty label was


def _sent_text(sent: list[Sent]) -> str:
    """What the PACS did with the objects sent: all accepted, or which it refused, why."""
    if not sent:
        return ""
    refused = [s for s in sent if not s.accepted]
    text = f"<br>PACS: {len(sent) - len(refused)} of {len(sent)} object(s) accepted"
    if refused:
        text += (f"<br><span style='color:{WARNING}'>refused: " + "; ".join(
            f"{s.path.name} ({s.reason})" for s in refused[:5]) + "</span>")
    return text
