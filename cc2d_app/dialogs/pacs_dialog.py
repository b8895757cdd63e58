"""Project ▸ New project from PACS…: the PACS to use (kept in the user's settings, the
password in a file only they can read), a study search, its series to pick, and their
images fetched into a folder with progress and cancel; ``fetched`` then carries the folder, for
the usual New project dialog. Search and fetch run in Tasks (engine.pacs)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cc2d_app.controllers.workers import Task
from cc2d_app.dialogs import file_dialogs
from cc2d_app.dialogs.error_dialog import show_error
from engine.errors import CancelledError
from engine.pacs import settings as pacs_settings
from engine.pacs.connection import Connection, PacsError
from engine.pacs.search import (
    RADIOGRAPH_MODALITIES,
    SeriesFound,
    StudyFound,
    list_series,
    search_studies,
)
from engine.pacs.transfer import FetchReport, fetch_study

COLUMNS = ("Date", "Patient", "Patient ID", "Modality", "Description", "Objects")


class PacsDialog(QDialog):
    fetched = Signal(str)   # the folder the study's images are in

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New project from PACS")
        self.resize(900, 620)
        self._task: Task | None = None
        self._cancel: threading.Event | None = None
        self._studies: list[StudyFound] = []
        try:
            saved: Connection | None = pacs_settings.load()
        except PacsError:
            saved = None
        self.url = QLineEdit(saved.url if saved else "")
        self.url.setObjectName("pacsUrl")
        self.url.setPlaceholderText("https://pacs.example/dicom-web")
        self.user = QLineEdit(saved.username if saved else "")
        self.user.setObjectName("pacsUser")
        self.password = QLineEdit(saved.password if saved else "")
        self.password.setObjectName("pacsPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.verify = QCheckBox("Verify the server's certificate (TLS)")
        self.verify.setChecked(saved.verify_tls if saved else True)
        server = QGroupBox("PACS (DICOMweb)")
        sf = QFormLayout(server)
        sf.addRow("Address", self.url)
        sf.addRow("User", self.user)
        sf.addRow("Password", self.password)
        sf.addRow("", self.verify)

        self.patient = QLineEdit()
        self.patient.setObjectName("pacsPatient")
        self.patient.setPlaceholderText("part of the name")
        self.patient_id = QLineEdit()
        self.date_from, self.date_to = QLineEdit(), QLineEdit()
        for edit in (self.date_from, self.date_to):
            edit.setPlaceholderText("YYYYMMDD")
        self.modality = QComboBox()
        self.modality.addItem("radiographs (DX, CR, PX)", "")
        for m in RADIOGRAPH_MODALITIES:
            self.modality.addItem(m, m)
        self.modality.addItem("any", "*")
        self.description = QLineEdit()
        self.search = QPushButton("Search")
        self.search.setObjectName("primary")
        self.search.setDefault(True)
        self.search.clicked.connect(self._search)
        query = QGroupBox("Studies")
        qf = QFormLayout(query)
        row = QHBoxLayout()
        row.addWidget(self.patient, 2)
        row.addWidget(QLabel("ID"))
        row.addWidget(self.patient_id, 1)
        qf.addRow("Patient", row)
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.date_to)
        dates.addWidget(QLabel("Modality"))
        dates.addWidget(self.modality)
        qf.addRow("Date", dates)
        desc = QHBoxLayout()
        desc.addWidget(self.description, 1)
        desc.addWidget(self.search)
        qf.addRow("Description", desc)

        self.table = QTreeWidget()
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.header().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._study_picked)
        self.series = QTreeWidget()
        self.series.setObjectName("pacsSeries")
        self.series.setHeaderLabels(["Series", "Modality", "Objects"])
        self.series.setRootIsDecorated(False)
        self.series.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.series.itemChanged.connect(lambda *_: self._validate())
        self._series: list[SeriesFound] = []
        self.table.itemDoubleClicked.connect(lambda *_: self._fetch())
        self.status = QLabel()
        self.status.setObjectName("pacsStatus")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.fetch = self.buttons.addButton("Fetch into a folder…",
                                            QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel = self.buttons.addButton("Cancel fetch",
                                             QDialogButtonBox.ButtonRole.ActionRole)
        self.fetch.clicked.connect(self._fetch)
        self.cancel.clicked.connect(self._cancel_fetch)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(server)
        layout.addWidget(query)
        layout.addWidget(self.table, 2)
        layout.addWidget(QLabel("Series to fetch (reports and documents are left out):"))
        layout.addWidget(self.series, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._validate()

    def connection(self) -> Connection:
        return Connection(self.url.text().strip(), self.user.text().strip(),
                          self.password.text(), self.verify.isChecked())

    def chosen_series(self) -> list[str]:
        return [s.uid for k, s in enumerate(self._series)
                if self.series.topLevelItem(k).checkState(0) == Qt.CheckState.Checked]

    def chosen(self) -> StudyFound | None:
        items = self.table.selectedItems()
        return self._studies[self.table.indexOfTopLevelItem(items[0])] if items else None

    # -- work ----------------------------------------------------------------------------

    def _search(self) -> None:
        try:
            conn = self.connection()
            pacs_settings.save(conn.url, conn.username, conn.password or None,
                               conn.verify_tls)
        except PacsError as exc:
            self.status.setText(str(exc))
            return
        modality = self.modality.currentData()
        filters = dict(patient=self.patient.text().strip(),
                       patient_id=self.patient_id.text().strip(),
                       date_from=self.date_from.text().strip(),
                       date_to=self.date_to.text().strip(),
                       modality="" if modality == "*" else modality,
                       description=self.description.text().strip())
        # "radiographs": one search per radiograph modality (QIDO takes one value).
        modalities = RADIOGRAPH_MODALITIES if modality == "" else (filters["modality"],)

        def run(_p: Callable[[int, int], None], _c: threading.Event) -> list[StudyFound]:
            found: dict[str, StudyFound] = {}
            for m in modalities:
                for s in search_studies(conn, **{**filters, "modality": m}):
                    found.setdefault(s.uid, s)
            return sorted(found.values(), key=lambda s: s.date, reverse=True)

        self._start(run, self._show_studies, "Searching…")

    def _show_studies(self, studies: list[StudyFound]) -> None:
        self._studies = studies
        self.table.clear()
        for s in studies:
            date = f"{s.date[:4]}-{s.date[4:6]}-{s.date[6:]}" if s.date else ""
            self.table.addTopLevelItem(QTreeWidgetItem([
                date, s.patient_name, s.patient_id, "/".join(s.modalities), s.description,
                "" if s.n_instances is None else str(s.n_instances)]))
        self.status.setText(f"{len(studies)} stud{'y' if len(studies) == 1 else 'ies'} found"
                            + ("; pick one and fetch it" if studies else ""))
        self._validate()

    def _study_picked(self) -> None:
        self._series = []
        self.series.clear()
        study = self.chosen()
        if study is None or self._task is not None:
            self._validate()
            return
        conn = self.connection()
        self._start(lambda _p, _c: list_series(conn, study.uid), self._show_series,
                    "Listing its series…")

    def _show_series(self, series: list[SeriesFound]) -> None:
        self._series = series
        self.series.clear()
        for s in series:
            item = QTreeWidgetItem([s.description or s.uid, s.modality,
                                    "" if s.n_instances is None else str(s.n_instances)])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if s.holds_images
                               else Qt.CheckState.Unchecked)
            self.series.addTopLevelItem(item)
        self.status.setText(f"{len(series)} series; fetch the ticked ones")
        self._validate()

    def _fetch(self) -> None:
        study = self.chosen()
        if study is None or self._task is not None:
            return
        start = Path.home() / "CC2D" / f"{study.patient_id or 'study'}_{study.date or 'undated'}"
        folder = file_dialogs.choose_directory(self, "Fetch the images into", str(start))
        if not folder:
            return
        conn, out, series = self.connection(), Path(folder), self.chosen_series()
        self._cancel = threading.Event()
        cancel = self._cancel

        def run(progress: Callable[[int, int], None], _c: threading.Event) -> FetchReport:
            return fetch_study(conn, study.uid, out, progress, cancel, series)

        self._start(run, lambda report: self._fetched(report, out), "Fetching…")

    def _fetched(self, report: FetchReport, folder: Path) -> None:
        note = (f"; {report.not_images} object(s) that are not images left on the PACS"
                if report.not_images else "")
        self.status.setText(f"{len(report.images)} image(s) in {folder}{note}")
        if report.images:
            self.fetched.emit(str(folder))
            self.accept()

    def _cancel_fetch(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.status.setText("Cancelling: the images fetched so far stay; fetching "
                                "again resumes")

    def _start(self, fn: Any, done: Callable[[Any], None], message: str) -> None:
        task = Task(fn, self)
        task.progressed.connect(lambda d, t: self.status.setText(f"{message} {d}/{t}"))
        task.succeeded.connect(done)
        task.failed.connect(self._failed)
        task.ended.connect(self._ended)
        self._task = task
        self.status.setText(message)
        self._validate()
        task.start()

    def _failed(self, exc: BaseException, tb: str) -> None:
        if isinstance(exc, (PacsError, CancelledError)):
            self.status.setText(str(exc))
        else:
            show_error(self, "PACS", exc, details=tb)

    def _ended(self) -> None:
        self._task, self._cancel = None, None
        self._validate()

    def _validate(self) -> None:
        busy = self._task is not None
        self.search.setEnabled(not busy)
        self.fetch.setEnabled(not busy and self.chosen() is not None
                              and bool(self.chosen_series()))
        self.cancel.setVisible(busy and self._cancel is not None)
        self.table.setEnabled(not busy)
        self.series.setEnabled(not busy)
