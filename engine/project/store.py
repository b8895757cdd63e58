"""The :class:`Project`: a folder with ``project.sqlite``, ``project.lock`` and ``runs/``.

Every mutating call is one committed transaction that also appends to the edit
log, so a crash never loses an edit that returned and :meth:`Project.undo` can
revert any user edit (undo and redo: :mod:`engine.project.history`; landmark and
status edits: :mod:`engine.project.edits`; patient and exam fields:
:mod:`engine.project.patient_store`). Landmark indices are 0-based here (files
use 1-based).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.data.images import MAX_PIXELS
from engine.data.spacing import Spacing
from engine.errors import ProjectError
from engine.project import db as dbm
from engine.project import editlog, registry, rows
from engine.project.edits import EditsMixin
from engine.project.history import HistoryMixin
from engine.project.lock import ProjectLock
from engine.project.model import (
    USER_SPACING_SOURCES,
    AddReport,
    EditEntry,
    ImageCheck,
    ImageRecord,
)
from engine.project.patient_store import PatientMixin
from engine.project.predictions import PredictionsMixin
from engine.project.runs import RUNS_DIR, RunsMixin
from engine.project.schema import LandmarkSchema, default_schema

Point = tuple[float, float]


class Project(EditsMixin, HistoryMixin, PatientMixin, PredictionsMixin, RunsMixin):
    """An open project. Create with :meth:`create` or :meth:`open`; close when done."""

    def __init__(self, folder: Path, db: dbm.Database, lock: ProjectLock | None) -> None:
        self.folder = folder
        self._db = db
        self._lock = lock
        row = db.query("SELECT schema_json FROM project WHERE id = 1")
        if not row:
            raise ProjectError(f"{db.path} is not a CC2D project: its settings row is missing")
        self.schema = rows.schema(db.path, row[0])

    # -- life cycle -------------------------------------------------------------------

    @classmethod
    def create(
        cls, folder: str | os.PathLike[str], schema: LandmarkSchema | None = None
    ) -> Project:
        """Create a project in ``folder`` (made if missing) and open it for writing."""
        folder = Path(os.path.abspath(folder))
        schema = schema or default_schema()
        path = folder / dbm.DB_NAME
        if path.exists():
            raise ProjectError(f"{folder} already holds a project; open it instead")
        try:
            (folder / RUNS_DIR).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _create_error(folder, exc) from None
        # Lock first: it also proves the folder is writable before anything is created.
        lock = ProjectLock(folder)
        lock.acquire()
        try:
            _initialise(folder, schema)
            return cls(folder, dbm.connect(path), lock)
        except BaseException:
            lock.release()
            raise

    @classmethod
    def open(cls, folder: str | os.PathLike[str], read_only: bool = False) -> Project:
        """Open an existing project; refused if another process has it open for writing.

        ``read_only`` takes no lock and writes nothing (for export while the app edits).
        """
        folder = Path(os.path.abspath(folder))
        if folder.name == dbm.DB_NAME and folder.is_file():
            folder = folder.parent
        path = folder / dbm.DB_NAME
        if not path.is_file():
            raise ProjectError(f"{folder} is not a CC2D project (no {dbm.DB_NAME} in it)")
        lock = None
        if not read_only:
            lock = ProjectLock(folder)
            lock.acquire()
        try:
            return cls(folder, dbm.connect(path, read_only=read_only), lock)
        except BaseException:
            if lock is not None:
                lock.release()
            raise

    def close(self) -> None:
        """Close the database (checkpointing the WAL) and release the lock."""
        self._db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def read_only(self) -> bool:
        return self._db.read_only

    def integrity_check(self) -> list[str]:
        """SQLite's full integrity check; ``["ok"]`` when intact."""
        return dbm.integrity_check(self._db)

    # -- images -----------------------------------------------------------------------

    def add_images(
        self, paths: Iterable[str | os.PathLike[str]], *, max_pixels: int = MAX_PIXELS
    ) -> AddReport:
        """Register image files (folders: the images inside), never copying them.

        Unreadable, oversized and non-image files and duplicates (same content) are
        reported per file; the others are added in one undoable step.
        """
        if self.read_only:
            raise ProjectError(f"cannot add images: the project {self.folder} is open read-only")
        files, failed = registry.expand(paths)
        known = {r.sha256: r.name for r in self.images()}
        new_rows, duplicates, bad = registry.read_new_images(
            self.folder, files, known, editlog.now(), max_pixels
        )
        report = AddReport(duplicates=duplicates, failed=failed + bad)

        def with_ids(conn: Any) -> dict[str, Any]:
            # Ids are logged (undo deletes them), so pick them inside the transaction;
            # AUTOINCREMENT never reuses the id of an image removed by an undo.
            first = conn.execute(
                "SELECT MAX(COALESCE((SELECT MAX(id) FROM images), 0), COALESCE("
                "(SELECT seq FROM sqlite_sequence WHERE name = 'images'), 0)) + 1"
            ).fetchone()[0]
            for k, row in enumerate(new_rows):
                row["id"] = first + k
            return {"images": new_rows}

        if new_rows:
            self._edit("add_images", f"add {len(new_rows)} image(s)", with_ids)
            report.added = [self._record(r) for r in new_rows]
        return report

    def images(self) -> list[ImageRecord]:
        """All images, in the order they were added."""
        return [self._record(r) for r in self._db.query("SELECT * FROM images ORDER BY id")]

    def image(self, image_id: int) -> ImageRecord:
        """One image; ProjectError if there is no such id."""
        found = self._db.query("SELECT * FROM images WHERE id = ?", (image_id,))
        if not found:
            raise ProjectError(f"there is no image with id {image_id} in this project")
        return self._record(found[0])

    def _record(self, row: Any) -> ImageRecord:
        return rows.image(self._db.path, self.folder, row, registry.resolve_path)

    def check_images(self, search_dirs: Iterable[str | os.PathLike[str]] = ()) -> ImageCheck:
        """Report images whose files are missing or changed, and where moved ones now are."""
        return registry.check(self.images(), [Path(d) for d in search_dirs])

    def relocate(self, image_id: int, path: str | os.PathLike[str]) -> EditEntry:
        """Point an image at its file's new location; the content hash must match."""
        rec = self.image(image_id)
        path = Path(os.path.abspath(path))
        try:
            sha = registry.file_sha256(path)
        except OSError as exc:
            raise ProjectError(f"cannot read {path}: {exc.strerror or exc}") from None
        if sha != rec.sha256:
            raise ProjectError(f"{path} is not the same file as {rec.name} (content differs)")
        new = registry.store_path(self.folder, path)
        data = {"image": image_id, "before": rec.stored_path, "after": new}
        return self._edit("relocate", f"relocate {rec.name} to {path}", data)

    def set_user_spacing(
        self, image_id: int, spacing: Spacing | Point | None, source: str = "user"
    ) -> EditEntry:
        """Set (``None``: clear) the pixel spacing in mm of an image whose file has none.

        ``spacing`` is a :class:`Spacing` or ``(row_mm, col_mm)``; ``source`` says how
        it was found: ``"user"`` (typed) or ``"calibration"`` (a line of known length
        drawn on the image, see ADR 0002).
        """
        rec = self.image(image_id)
        if rec.file_spacing is not None:
            fs = rec.file_spacing
            raise ProjectError(
                f"{rec.name} has pixel spacing from its file ({fs.row_mm} x {fs.col_mm} mm, "
                f"{fs.source}); a user spacing applies only to images without one"
            )
        if source not in USER_SPACING_SOURCES:
            raise ProjectError(
                f"unknown spacing source {source!r}; use one of: {', '.join(USER_SPACING_SOURCES)}"
            )
        after = None
        if spacing is not None:
            row_mm, col_mm = (
                (spacing.row_mm, spacing.col_mm) if isinstance(spacing, Spacing) else spacing
            )
            try:
                Spacing(float(row_mm), float(col_mm), source)
            except (ValueError, TypeError) as exc:
                raise ProjectError(f"invalid pixel spacing for {rec.name}: {exc}") from None
            after = [float(row_mm), float(col_mm), source]
        us = rec.user_spacing
        before = [us.row_mm, us.col_mm, us.source] if us else None
        data = {"image": image_id, "before": before, "after": after}
        text = f"{after[0]:g} x {after[1]:g} mm ({source})" if after else "none"
        return self._edit("spacing", f"spacing of {rec.name}: {text}", data)

    # -- template, landmarks, review --------------------------------------------------

    def template(self) -> ImageRecord | None:
        """The template image (the one labelled image of one-shot training), if chosen."""
        tid = rows.template_id(
            self._db.path, self._db.query("SELECT template_image_id FROM project WHERE id = 1")[0])
        return self.image(tid) if tid is not None else None

    def set_template(self, image_id: int | None) -> EditEntry:
        """Choose the template image (``None``: no template)."""
        name = self.image(image_id).name if image_id is not None else "none"
        current = self.template()
        data = {"before": current.id if current else None, "after": image_id}
        return self._edit("template", f"template: {name}", data)


def _initialise(folder: Path, schema: LandmarkSchema) -> None:
    """Write a new project.sqlite: filled under a temporary name, then renamed into place,
    so a failed create (full disk, crash) leaves no half project behind."""
    tmp = folder / f".{dbm.DB_NAME}.creating"
    try:
        tmp.unlink(missing_ok=True)
        dbm.create(tmp)
        created = dbm.connect(tmp)
        try:
            with dbm.transaction(created, "create the project") as conn:
                conn.execute(
                    "INSERT INTO project (id, schema_json, created) VALUES (1, ?, ?)",
                    (json.dumps(schema.to_dict(), ensure_ascii=False), editlog.now()),
                )
                editlog.append(conn, "create", f"create project ({schema.name})",
                               {"schema": schema.to_dict()})
        finally:
            created.close()
        os.replace(tmp, folder / dbm.DB_NAME)
    except OSError as exc:
        raise _create_error(folder, exc) from None
    finally:
        for leftover in folder.glob(f".{dbm.DB_NAME}.creating*"):
            leftover.unlink(missing_ok=True)


def _create_error(folder: Path, exc: OSError) -> ProjectError:
    if isinstance(exc, PermissionError):
        return ProjectError(
            f"cannot create a project in {folder}: permission denied; choose a writable folder"
        )
    if dbm.is_disk_full(exc):
        return ProjectError(f"disk full: cannot create a project in {folder}")
    return ProjectError(f"cannot create a project in {folder}: {exc.strerror or exc}")
