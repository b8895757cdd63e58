"""Rows read back from ``project.sqlite`` become model objects here, each value checked like
user input.

SQLite's column types are affinities, not rules: a damaged or hand-edited file can hold text
in a REAL column, ``inf``, an unknown status, JSON that is not JSON or an index past the
schema. Such a value is a :class:`ProjectError` naming the table, row and field and saying
the project file is damaged, never a ValueError or IndexError deep in a view or an export.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from engine.data.spacing import Spacing
from engine.errors import ProjectError
from engine.project.db import damaged
from engine.project.model import (
    USER_SPACING_SOURCES,
    EditEntry,
    ImageRecord,
    Landmark,
    LandmarkSource,
    ReviewStatus,
    Run,
    RunState,
)
from engine.project.patient import FIELDS as PATIENT_FIELDS
from engine.project.patient import PatientFields
from engine.project.patient import problem as patient_problem
from engine.project.schema import LandmarkSchema

MAX_SIDE = 1_000_000   # pixels: far past any radiograph, short of sizing arrays absurdly
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DamagedRow(ProjectError):
    """A row holds a value its field cannot have; ``detail`` names row, field and value."""

    def __init__(self, file: Path | str, detail: str) -> None:
        super().__init__(str(damaged(file, detail)))
        self.detail = detail


class Cells:
    """One row's cells, each read through a check; a failure names the file, row and field.

    ``where`` names the row; ``{id}`` in it is replaced by the row's id."""

    def __init__(self, file: Path | str, where: str, row: sqlite3.Row | Mapping[str, Any]
                 ) -> None:
        self.file = file
        self.values = dict(row)   # a missing column (an old log entry's image) reads as NULL
        self.where = where.format(id=repr(self.values.get("id")))

    def fail(self, field: str, why: str) -> DamagedRow:
        shown = repr(self.values.get(field))
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return DamagedRow(self.file, f"{self.where} has {field}={shown}: {why}")

    def integer(self, field: str, low: int = 0, high: int | None = None) -> int:
        value = self.values.get(field)
        if not _is_int(value) or value < low or (high is not None and value > high):
            span = f"{low}..{high}" if high is not None else f"{low} or more"
            raise self.fail(field, f"not a whole number {span}")
        return value

    def optional_id(self, field: str) -> int | None:
        return None if self.values.get(field) is None else self.integer(field, 1)

    def number(self, field: str) -> float:
        value = self.values.get(field)
        if not _is_number(value):
            raise self.fail(field, "not a finite number")
        return float(value)

    def optional_number(self, field: str) -> float | None:
        return None if self.values.get(field) is None else self.number(field)

    def text(self, field: str) -> str:
        value = self.values.get(field)
        if not isinstance(value, str):
            raise self.fail(field, "not text")
        return value

    def optional_text(self, field: str) -> str | None:
        return None if self.values.get(field) is None else self.text(field)

    def enum(self, kind: type[Enum], field: str) -> Any:
        try:
            return kind(self.values.get(field))
        except ValueError:
            allowed = ", ".join(str(m.value) for m in kind)  # type: ignore[attr-defined]
            raise self.fail(field, f"not one of {allowed}") from None

    def json(self, field: str) -> dict[str, Any]:
        text = self.text(field)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise self.fail(field, f"not JSON ({exc})") from None
        except RecursionError:
            raise self.fail(field, "JSON nested too deeply") from None
        if not isinstance(value, dict):
            raise self.fail(field, "not a JSON object")
        return value

    def spacing(self, prefix: str, default_source: str) -> Spacing | None:
        row_mm, col_mm = f"{prefix}_row_mm", f"{prefix}_col_mm"
        if self.values.get(row_mm) is None:
            return None
        source = self.optional_text(f"{prefix}_spacing_source") or default_source
        try:
            return Spacing(self.values[row_mm], self.values.get(col_mm), source)
        except (ValueError, TypeError) as exc:
            raise self.fail(row_mm, str(exc)) from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def schema(file: Path, row: sqlite3.Row) -> LandmarkSchema:
    """The project's landmark schema from its settings row."""
    cells = Cells(file, "the settings row", row)
    data = cells.json("schema_json")
    try:
        return LandmarkSchema.from_dict(data, where="schema_json")
    except ProjectError as exc:
        raise cells.fail("schema_json", f"not a landmark schema ({exc})") from None


def template_id(file: Path, row: sqlite3.Row) -> int | None:
    return Cells(file, "the settings row", row).optional_id("template_image_id")


def image(file: Path, folder: Path, row: sqlite3.Row | Mapping[str, Any],
          resolve: Callable[[Path, str], Path]) -> ImageRecord:
    """An ``images`` row (or an image logged by ``add_images``) as an :class:`ImageRecord`;
    ``resolve`` turns the stored path into an absolute one."""
    c = Cells(file, "images row {id}", row)
    stored = c.text("path")
    sha = c.text("sha256")
    if not stored:
        raise c.fail("path", "an empty path")
    if not _SHA256.match(sha):
        raise c.fail("sha256", "not a sha256 digest")
    return ImageRecord(
        id=c.integer("id", 1), path=resolve(folder, stored), stored_path=stored,
        width=c.integer("width", 1, MAX_SIDE), height=c.integer("height", 1, MAX_SIDE),
        size_bytes=c.integer("size_bytes"), sha256=sha,
        # No source: set before format 2 recorded it, when spacings were only typed in.
        file_spacing=c.spacing("file", "file"), user_spacing=c.spacing("user", "user"),
        status=c.enum(ReviewStatus, "status"), added=c.text("added"),
    )


def status(file: Path, row: sqlite3.Row) -> ReviewStatus:
    return Cells(file, "an images row", row).enum(ReviewStatus, "status")


def landmark(file: Path, row: sqlite3.Row, table: str, image_id: int, n_landmarks: int
             ) -> tuple[int, Landmark]:
    """(index, point) of a ``landmarks`` or ``predictions`` row (the latter has no source)."""
    c = Cells(file, f"{table} row of image {image_id}", row)
    index = c.integer("idx", 0, n_landmarks - 1)
    source = c.enum(LandmarkSource, "source") if "source" in c.values \
        else LandmarkSource.PREDICTED
    return index, Landmark(c.number("x"), c.number("y"), source,
                           c.optional_number("confidence"))


def patient(file: Path, row: sqlite3.Row) -> PatientFields:
    """A ``patient_fields`` row: each field text of limited length, dates ISO or empty."""
    c = Cells(file, "patient_fields row of image {id}", {"id": row["image_id"], **dict(row)})
    values = {}
    for key in PATIENT_FIELDS:
        why = patient_problem(key, c.values.get(key))
        if why is not None:
            raise c.fail(key, why)
        values[key] = c.values[key]
    return PatientFields(**values)


def run(file: Path, row: sqlite3.Row, checkpoint: Callable[[str], Path],
        folder: Callable[[int], Path]) -> Run:
    """A ``runs`` row; ``checkpoint`` resolves its stored checkpoint path, ``folder`` names
    the run's folder by id."""
    c = Cells(file, "runs row {id}", row)
    run_id = c.integer("id", 1)
    stored = c.optional_text("checkpoint")
    return Run(id=run_id, name=c.text("name"), state=c.enum(RunState, "state"),
               config=c.json("config_json"), metrics=c.json("metrics_json"),
               checkpoint=checkpoint(stored) if stored else None, folder=folder(run_id),
               created=c.text("created"), updated=c.text("updated"))


def edit_entry(file: Path | str, row: sqlite3.Row) -> EditEntry:
    """An ``edit_log`` row; the data of an entry undo or redo would write is checked too."""
    c = Cells(file, "edit_log row {id}", row)
    entry = EditEntry(
        id=c.integer("id", 1), time=c.text("time"), action=c.text("action"),
        summary=c.text("summary"), data=c.json("data_json"),
        undoable=bool(c.integer("undoable", 0, 1)), undoes=c.optional_id("undoes"),
        redoes=c.optional_id("redoes"))
    check = _DATA.get(entry.action)
    if check is not None:
        try:
            check(entry.data)
        except _Bad as exc:
            raise c.fail("data_json", f"its {exc}") from None
    return entry


class _Bad(Exception):
    """What part of a logged change is not what its action writes."""


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise _Bad(what)


def _sides(change: Any, what: str, check: Callable[[Any, str], None]) -> None:
    _need(isinstance(change, dict), f"{what} is not an object")
    for side in ("before", "after"):
        _need(side in change, f"{what} has no {side}")
        check(change[side], f"{what}.{side}")


def _image_id(value: Any, what: str) -> None:
    _need(_is_int(value) and value >= 1, f"{what} is not an image id")


def _optional_id(value: Any, what: str) -> None:
    if value is not None:
        _image_id(value, what)


def _point(value: Any, what: str) -> None:
    if value is None:
        return
    _need(isinstance(value, dict) and all(_is_number(value.get(k)) for k in ("x", "y"))
          and value.get("source") in {s.value for s in LandmarkSource}
          and (value.get("confidence") is None or _is_number(value.get("confidence"))),
          f"{what} is not a landmark")


def _status(value: Any, what: str) -> None:
    _need(value in {s.value for s in ReviewStatus}, f"{what} is not a review status")


def _changes(data: dict[str, Any], key: str, check: Callable[[Any, str], None],
             indexed: bool) -> None:
    changes = data.get(key, [])
    _need(isinstance(changes, list), f"{key} is not a list")
    for i, change in enumerate(changes):
        what = f"{key}[{i}]"
        _sides(change, what, check)
        _image_id(change.get("image"), f"{what}.image")
        if indexed:
            _need(_is_int(change.get("index")) and change["index"] >= 0,
                  f"{what}.index is not a landmark index")


def _edit(data: dict[str, Any]) -> None:
    _changes(data, "landmarks", _point, indexed=True)
    _changes(data, "status", _status, indexed=False)
    _changes(data, "predictions", _point, indexed=True)
    if "template" in data:
        _sides(data["template"], "template", _optional_id)


def _spacing(value: Any, what: str) -> None:
    if value is None:
        return
    _need(isinstance(value, list) and len(value) in (2, 3)
          and all(_is_number(v) for v in value[:2])
          and (len(value) == 2 or value[2] in USER_SPACING_SOURCES), f"{what} is not a spacing")
    try:
        Spacing(value[0], value[1], "user")
    except ValueError as exc:
        raise _Bad(f"{what}: {exc}") from None


def _patient(value: Any, what: str) -> None:
    if value is None:
        return
    _need(isinstance(value, dict), f"{what} is not an object")
    for key in PATIENT_FIELDS:
        why = patient_problem(key, value.get(key))
        _need(why is None, f"{what}.{key}: {why}")


def _path(value: Any, what: str) -> None:
    _need(isinstance(value, str) and bool(value), f"{what} is not a path")


def _one_image(check: Callable[[Any, str], None]) -> Callable[[dict[str, Any]], None]:
    def checked(data: dict[str, Any]) -> None:
        _image_id(data.get("image"), "image")
        _sides(data, "change", check)
    return checked


def _add_images(data: dict[str, Any]) -> None:
    images = data.get("images")
    _need(isinstance(images, list), "images is not a list")
    for i, img in enumerate(images):
        _need(isinstance(img, dict), f"images[{i}] is not an object")
        try:
            image("", Path("."), img, lambda folder, stored: Path(stored))
        except DamagedRow as exc:
            raise _Bad(f"images[{i}]: {exc.detail}") from None


# Action -> check of the data its undo or redo writes back (engine.project.editlog.ACTIONS).
_DATA: dict[str, Callable[[dict[str, Any]], None]] = {
    "edit": _edit,
    "template": lambda data: _sides(data, "change", _optional_id),
    "spacing": _one_image(_spacing),
    "relocate": _one_image(_path),
    "patient": _one_image(_patient),
    "add_images": _add_images,
}
