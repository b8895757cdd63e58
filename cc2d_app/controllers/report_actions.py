"""Report (PDF) of the current image and the measurements table (CSV) of the reviewed
images: ask where, then write in a Task, and say where it went.

The CSVs are one per chosen analysis, one row per image (``engine.analysis.report``), for
spreadsheets and statistics.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from cc2d_app.controllers.analysis_controller import AnalysisController
from cc2d_app.controllers.workers import Task
from cc2d_app.dialogs import file_dialogs
from cc2d_app.dialogs.error_dialog import show_error
from cc2d_app.dialogs.export_dialog import image_scope
from cc2d_app.logic.palette import landmark_colors
from cc2d_app.session import ProjectSession
from cc2d_app.views.report import ReportData, write_report
from engine.project import Project
from engine.project.export import image_names
from engine.project.measuring import Measuring, write_project_tables


def report_data(source: ProjectSession | Project, image_id: int, measuring: Measuring,
                window: tuple[float, float, bool] | None, sigma_note: tuple[str, ...]
                ) -> ReportData:
    """Everything one image's report shows, read now: from the session on the GUI thread,
    or from a read-only Project in a worker (a whole export's reports)."""
    rec = source.image(image_id)
    schema = source.schema
    landmarks = source.landmarks(image_id)
    sections = [(b.analysis.name, results) for b, results in
                measuring.sections(landmarks, rec.status, rec.spacing)]
    return ReportData(
        project=Path(source.folder).name, image=rec, landmarks=landmarks,
        labels=[schema.label(i) for i in range(len(schema))], names=list(schema.names),
        colours=landmark_colors(schema), sections=sections,
        created=datetime.now().strftime("%Y-%m-%d %H:%M"), patient=source.patient(image_id),
        window=window, sigma_note=sigma_note)


def measurements_csv_function(project: Project, measuring: Measuring, path: Path
                              ) -> Callable[[Any, threading.Event], list[Path]]:
    """A Task function writing, per chosen analysis, a table of the reviewed images and
    the template, one row per image; returns the files written."""

    def run(_progress: Callable[[int, int], None], _cancel: threading.Event) -> list[Path]:
        return write_project_tables(project, measuring, path,
                                    image_scope(project, "reviewed", None), image_names(project))

    return run


class ReportActions(QObject):
    """The two exports of the measurements; ``message`` says what was written."""

    message = Signal(str)

    def __init__(self, session: ProjectSession, analyses: AnalysisController,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self._session = session
        self._analyses = analyses
        self._parent = parent

    def report_maker(self) -> Callable[[Project, int], ReportData]:
        """A function giving an image's report as Ctrl+P writes it (its own window), with
        the analyses chosen now; it reads a read-only Project, so an export's worker can
        gather every image's report without holding the GUI thread."""
        measuring, note = self._analyses.measuring(), self._analyses.sigma_note()
        return lambda project, image_id: report_data(project, image_id, measuring, None, note)

    def report(self, image_id: int, window: tuple[float, float, bool] | None) -> None:
        """Ask where, then write ``image_id``'s report (the radiograph in ``window``)."""
        rec = self._session.image(image_id)
        start = self._session.folder / "exports" / f"{Path(rec.name).stem}_report.pdf"
        path = file_dialogs.choose_save_file(self._parent, "Save the report", str(start),
                                             "PDF (*.pdf)")
        if not path:
            return
        data = report_data(self._session, image_id, self._analyses.measuring(), window,
                           self._analyses.sigma_note())
        self._start(lambda _p, _c: write_report(_with_suffix(path, ".pdf"), data),
                    "Could not write the report", lambda out: f"Report written to {out}")

    def measurements_csv(self) -> None:
        """Ask where, then write the measurements of the reviewed images (and template),
        one table per chosen analysis."""
        measuring = self._analyses.measuring()
        if not measuring.analyses:
            show_error(self._parent, "No measurements to export",
                       "No analysis is chosen: pick one under Analyses in the Analysis tab.")
            return
        start = self._session.folder / "exports" / "measurements.csv"
        path = file_dialogs.choose_save_file(self._parent, "Export the measurements",
                                             str(start), "CSV (*.csv)")
        if not path:
            return
        out = _with_suffix(path, ".csv")
        self._start(measurements_csv_function(self._session.reader(), measuring, out),
                    "Could not export the measurements",
                    lambda files: f"Measurements written to {', '.join(str(f) for f in files)}")

    def _start(self, fn: Any, error_title: str, done: Callable[[Any], str]) -> None:
        task = Task(fn, self)
        self._session.track(task)
        task.succeeded.connect(lambda result: self.message.emit(done(result)))
        task.failed.connect(lambda exc, tb: show_error(self._parent, error_title, exc,
                                                       details=tb))
        self.message.emit("Writing…")
        task.start()


def _with_suffix(path: str, suffix: str) -> Path:
    out = Path(path)
    return out if out.suffix.lower() == suffix else out.with_name(out.name + suffix)
