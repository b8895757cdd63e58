"""The one writer of an open project: views call it, it writes the store and emits signals.

Widgets never touch SQLite or each other (ADR 0007). Every edit is one committed
transaction in the engine's edit log, so undo/redo is that log's, and an edit is on
disk when the call returns. Errors a user can cause become ``failed`` signals that the
main window shows in one place.

Closing is one protocol (:meth:`ProjectSession.close`): ``closing`` asks every listener to
stop what it does with the project (timers, dialogs, a run's state), then the session
cancels, waits for and drops every task it tracks, so no slot ever meets a closed
project and none needs to ask whether it is closed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from cc2d_app.controllers.workers import Task, TaskGroup
from cc2d_app.logic.image_state import review_queue
from cc2d_app.session_jobs import SessionJobs
from engine.errors import CC2DError
from engine.project import (
    EditEntry,
    ImageRecord,
    Landmark,
    LandmarkSchema,
    LandmarkSource,
    PatientFields,
    Project,
    ReviewStatus,
)
from engine.project.editlog import now
from engine.project.reader import ProjectReader

# The first chunk is one image so the user can start on it at once; later chunks are
# bigger so a folder of hundreds of images is a handful of writes.
ADD_CHUNKS = (1, 8, 32)


class ProjectSession(SessionJobs, QObject):
    """Wraps one open :class:`engine.project.Project` for the GUI thread."""

    landmarksChanged = Signal(int)   # image id
    imageChanged = Signal(int)       # status, spacing or path of one image
    patientChanged = Signal(int)     # the patient and exam fields of one image (may have)
    imagesChanged = Signal()         # images were added or removed
    templateChanged = Signal()
    undoRedoChanged = Signal(str, str)  # what undo / redo would do ("" when nothing)
    saved = Signal(str)              # local time of the last committed write
    failed = Signal(str, object)     # title, exception: shown by the main window
    closing = Signal()               # about to close: stop your work on the project now

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = project
        self.closed = False
        self._tasks = TaskGroup()
        self._images: list[ImageRecord] = project.images()
        self._by_id = {r.id: r for r in self._images}
        self._landmarks: dict[int, list[Landmark | None]] = {}
        self._patients: dict[int, PatientFields] = {}

    # -- life cycle -----------------------------------------------------------------

    @classmethod
    def open(cls, folder: str | os.PathLike[str]) -> ProjectSession:
        return cls(Project.open(folder))

    @classmethod
    def create(cls, folder: str | os.PathLike[str], schema: LandmarkSchema) -> ProjectSession:
        return cls(Project.create(folder, schema))

    def track(self, task: Task) -> Task:
        """Count ``task`` as work on this project: closing stops it and drops its results."""
        return self._tasks.track(task)

    def close(self) -> None:
        """Stop every task and listener working on the project, then close it."""
        if self.closed:
            return
        self._tasks.stop()
        # What the stopped tasks sent last (a cancelled run, results) reaches the project
        # while it is open; then the listeners stop what those results may have restarted.
        QCoreApplication.sendPostedEvents()
        self.closing.emit()
        self._tasks.stop(drop=True)
        self.closed = True
        self._project.close()

    @property
    def folder(self) -> Path:
        return self._project.folder

    @property
    def name(self) -> str:
        return self._project.folder.name

    @property
    def schema(self) -> LandmarkSchema:
        return self._project.schema

    def reader(self) -> ProjectReader:
        """The open project for work that only reads it (exports, off the GUI thread): a
        read-only view, as the session is the one writer."""
        return ProjectReader(self._project)

    # -- reading ----------------------------------------------------------------------

    def images(self) -> list[ImageRecord]:
        return list(self._images)

    def image(self, image_id: int) -> ImageRecord:
        return self._by_id[image_id]

    def has_image(self, image_id: int) -> bool:
        return image_id in self._by_id

    def landmarks(self, image_id: int) -> list[Landmark | None]:
        """The image's points, from a cache the session's own writes keep current: one
        click makes every view ask, and each would be a query."""
        cached = self._landmarks.get(image_id)
        if cached is None:
            cached = self._landmarks[image_id] = self._project.landmarks(image_id)
        return list(cached)   # Landmark is frozen: a copy of the list is enough

    def template_id(self) -> int | None:
        rec = self._project.template()
        return rec.id if rec is not None else None

    def predictions(self, image_id: int) -> list[Landmark | None]:
        """The model's kept prediction of each landmark (what Restore brings back)."""
        return self._project.predictions(image_id)

    def patient(self, image_id: int) -> PatientFields:
        """The image's patient and exam fields (entered, else its DICOM header's), cached:
        a header is a file read."""
        cached = self._patients.get(image_id)
        if cached is None:
            cached = self._patients[image_id] = self._project.patient(image_id)
        return cached

    def patient_entered(self, image_id: int) -> bool:
        """Whether the fields were entered in the project (else they are the header's)."""
        return self._project.stored_patient(image_id) is not None

    def review_queue(self) -> list[int]:
        """Images still to review, the least confident first."""
        return review_queue(((r, self.landmarks(r.id)) for r in self._images),
                            self.template_id())

    def undo_redo_state(self) -> tuple[str, str]:
        undo, redo = self._project.undo_redo_state()
        return undo or "", redo or ""

    def missing_template_landmarks(self) -> list[int]:
        """Indices of schema landmarks not yet placed on the template (all when none)."""
        tid = self.template_id()
        if tid is None:
            return list(range(len(self.schema)))
        return [i for i, lm in enumerate(self.landmarks(tid)) if lm is None]

    # -- edits ------------------------------------------------------------------------

    def place(self, image_id: int, index: int, x: float, y: float) -> bool:
        """Put landmark ``index`` at (x, y); a click on the template or a correction. In a
        project without a template, the first image annotated becomes it, in the same edit
        (one undo takes both back)."""
        new_template = self.template_id() is None
        source = (LandmarkSource.TEMPLATE if new_template
                  else self._source_for(image_id, self.landmarks(image_id)[index]))
        point = {image_id: {index: Landmark(x, y, source)}}
        ok = self._write(
            "Could not save the landmark",
            lambda: self._project.apply_edits(point, template=image_id if new_template
                                              else None),
            landmarks=[image_id], images=[image_id] if new_template else [],
        )
        if ok and new_template:
            self.templateChanged.emit()
        return ok

    def clear(self, image_id: int, index: int) -> bool:
        if self.landmarks(image_id)[index] is None:
            return False
        return self._write(
            "Could not clear the landmark",
            lambda: self._project.clear_landmark(image_id, index),
            landmarks=[image_id],
        )

    def set_template(self, image_id: int) -> bool:
        if self.template_id() == image_id:
            return False
        before = self.template_id()
        ok = self._write("Could not set the template",
                         lambda: self._project.set_template(image_id),
                         images=[i for i in (before, image_id) if i is not None])
        if ok:
            self.templateChanged.emit()
        return ok

    def set_status(self, image_id: int, status: ReviewStatus) -> bool:
        return self._write(
            "Could not change the review status",
            lambda: self._project.set_status(image_id, status),
            images=[image_id],
        )

    def restore_prediction(self, image_id: int, index: int) -> bool:
        return self._write(
            "Could not restore the prediction",
            lambda: self._project.restore_prediction(image_id, index),
            landmarks=[image_id],
        )

    def mark_reviewed(self, image_id: int) -> bool:
        return self.set_status(image_id, ReviewStatus.REVIEWED)

    def set_calibration(self, image_id: int, mm_per_px: float | None) -> bool:
        """Store a spacing measured over a ruler in the image (``None`` clears it)."""
        spacing = None if mm_per_px is None else (mm_per_px, mm_per_px)
        return self._write(
            "Could not store the calibration",
            lambda: self._project.set_user_spacing(image_id, spacing, source="calibration"),
            images=[image_id],
        )

    def set_patient(self, image_id: int, fields: PatientFields | None) -> bool:
        """Store the image's patient and exam fields (``None``: back to its header's)."""
        ok = self._write("Could not store the patient and exam fields",
                         lambda: self._project.set_patient(image_id, fields))
        if ok:
            self._patients.pop(image_id, None)
            self.patientChanged.emit(image_id)
        return ok

    def undo(self) -> bool:
        return self._history(self._project.undo, "Could not undo")

    def redo(self) -> bool:
        return self._history(self._project.redo, "Could not redo")

    # -- images (the slow part runs in a worker; see add_images_task) -------------------

    def add_images_task(
        self, paths: Sequence[str | os.PathLike[str]]
    ) -> Callable[[Callable[[int, int], None], threading.Event], list[Any]]:
        """A function for a worker thread: adds ``paths`` in chunks, returns skipped files.

        Each chunk is one committed edit, so images appear while the rest are still
        being checked; ``images_added`` must then be called on the GUI thread.
        """
        from engine.project.registry import expand

        def run(progress: Callable[[int, int], None], cancel: threading.Event) -> list[Any]:
            files, skipped = expand(paths)
            done = 0
            sizes = iter(ADD_CHUNKS)
            while done < len(files) and not cancel.is_set():
                size = next(sizes, ADD_CHUNKS[-1])
                report = self._project.add_images(files[done:done + size])
                skipped += report.duplicates + report.failed
                done += size
                progress(min(done, len(files)), len(files))
            return skipped

        return run

    def images_added(self) -> None:
        """Refresh after a worker added images (GUI thread)."""
        self._reload_images()
        self.imagesChanged.emit()
        self._emit_saved()

    # -- internals --------------------------------------------------------------------

    def _source_for(self, image_id: int, current: Landmark | None) -> LandmarkSource:
        if image_id == self.template_id():
            return LandmarkSource.TEMPLATE
        if current is not None and current.source == LandmarkSource.TEMPLATE:
            return LandmarkSource.TEMPLATE
        return LandmarkSource.CORRECTED

    def _write(
        self,
        title: str,
        edit: Callable[[], EditEntry],
        *,
        landmarks: Sequence[int] = (),
        images: Sequence[int] = (),
    ) -> bool:
        try:
            edit()
        except CC2DError as exc:
            self._landmarks.clear()   # a failed write may have done part of its work
            self.failed.emit(title, exc)
            return False
        for i in landmarks:
            self._landmarks.pop(i, None)
        if images:
            self._reload_images()
        for i in landmarks:
            self.landmarksChanged.emit(i)
        for i in images:
            self.imageChanged.emit(i)
        self._emit_saved()
        return True

    def _history(self, step: Callable[[], EditEntry | None], title: str) -> bool:
        template_before = self.template_id()
        before_ids = set(self._by_id)
        try:
            entry = step()
        except CC2DError as exc:
            self.failed.emit(title, exc)
            return False
        if entry is None:
            return False
        touched = self._project.touched_images(entry)
        self._reload_images()
        if set(self._by_id) != before_ids:
            self.imagesChanged.emit()
        if self.template_id() != template_before:
            self.templateChanged.emit()
        for i in sorted(touched):
            if i in self._by_id:
                self.landmarksChanged.emit(i)
                self.imageChanged.emit(i)
                self.patientChanged.emit(i)
        self._emit_saved()
        return True

    def _reload_images(self) -> None:
        self._landmarks.clear()   # after an undo, a stored run, added images: read again
        self._patients.clear()
        self._images = self._project.images()
        self._by_id = {r.id: r for r in self._images}

    def _emit_saved(self) -> None:
        self.undoRedoChanged.emit(*self.undo_redo_state())
        self.saved.emit(_local_time(now()))


def _local_time(utc_iso: str) -> str:
    from datetime import datetime

    return datetime.fromisoformat(utc_iso).astimezone().strftime("%H:%M:%S")
