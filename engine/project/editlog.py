"""The append-only edit log and the row changes it records.

Every user edit is stored as one log entry whose ``data`` holds each change with
its ``before`` and ``after`` values, written in the same transaction as the change
itself. :func:`apply` writes one side of a change, so an edit applies its
``after`` side and an undo applies the ``before`` side, then logs an ``undo``
entry pointing at the reverted one (``undoes``). A redo applies the ``after``
side again and logs a new undoable entry with the original action and data whose
``redoes`` points at the undo it reverses, so undo and redo nest like any editor's
stacks. Entries are never updated or deleted (the database enforces it with triggers).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from engine.errors import ProjectError
from engine.project import rows
from engine.project.model import EditEntry, Landmark, LandmarkSource, parse_enum
from engine.project.patient import FIELDS as PATIENT_COLUMNS  # the columns are the fields
from engine.project.schema import LandmarkSchema

IMAGE_COLUMNS = (
    "id", "path", "width", "height", "size_bytes", "sha256",
    "file_row_mm", "file_col_mm", "file_spacing_source", "user_row_mm", "user_col_mm",
    "user_spacing_source", "status", "added",
)


def now() -> str:
    """UTC time stamp used in the database."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def append(
    conn: sqlite3.Connection,
    action: str,
    summary: str,
    data: dict[str, Any],
    *,
    undoes: int | None = None,
    redoes: int | None = None,
) -> EditEntry:
    """Add one entry inside the caller's transaction and return it."""
    time = now()
    undoable = action in ACTIONS  # runs and creation are traced but not undone
    cur = conn.execute(
        "INSERT INTO edit_log (time, action, summary, data_json, undoable, undoes, redoes) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (time, action, summary, json.dumps(data, ensure_ascii=False), int(undoable), undoes,
         redoes),
    )
    return EditEntry(
        int(cur.lastrowid or 0), time, action, summary, data, undoable, undoes, redoes
    )


def _entry(conn: sqlite3.Connection, row: sqlite3.Row) -> EditEntry:
    # The file's name only for the message should the row be damaged.
    file = conn.execute("PRAGMA database_list").fetchone()[2]
    return rows.edit_entry(file, row)


def entry(conn: sqlite3.Connection, entry_id: int) -> EditEntry:
    """The entry with id ``entry_id``."""
    row = conn.execute("SELECT * FROM edit_log WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        raise ProjectError(f"the edit log has no entry {entry_id}")
    return _entry(conn, row)


def last_undoable(conn: sqlite3.Connection) -> EditEntry | None:
    """The newest undoable entry that no undo entry has reverted yet."""
    row = conn.execute(
        "SELECT * FROM edit_log WHERE undoable = 1 AND id NOT IN "
        "(SELECT undoes FROM edit_log WHERE undoes IS NOT NULL) ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return _entry(conn, row) if row is not None else None


def last_redoable(conn: sqlite3.Connection) -> EditEntry | None:
    """The undo entry a redo reverses: the newest one not redone yet, provided it came
    after the newest fresh edit (a fresh edit clears the redo stack)."""
    row = conn.execute(
        "SELECT * FROM edit_log WHERE undoes IS NOT NULL "
        "AND id > (SELECT COALESCE(MAX(id), 0) FROM edit_log "
        "          WHERE undoable = 1 AND redoes IS NULL) "
        "AND id NOT IN (SELECT redoes FROM edit_log WHERE redoes IS NOT NULL) "
        "ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return _entry(conn, row) if row is not None else None


def touched_images(conn: sqlite3.Connection, item: EditEntry) -> frozenset[int]:
    """Ids of the images whose landmarks, status, spacing, path or patient fields
    ``item`` changed."""
    if item.undoes is not None:
        return touched_images(conn, entry(conn, item.undoes))
    data = item.data
    if item.action == "edit":
        changes = (data.get("landmarks", []) + data.get("status", [])
                   + data.get("predictions", []))
        template = data.get("template") or {}
        return frozenset([ch["image"] for ch in changes]
                         + [i for i in (template.get("before"), template.get("after"))
                            if i is not None])
    if item.action == "template":
        return frozenset(i for i in (data["before"], data["after"]) if i is not None)
    if item.action in ("spacing", "relocate", "patient"):
        return frozenset({data["image"]})
    if item.action == "add_images":
        return frozenset(img["id"] for img in data["images"])
    return frozenset()


def apply(conn: sqlite3.Connection, action: str, data: dict[str, Any], side: str) -> None:
    """Write the ``side`` ("before" or "after") of an entry's changes to the tables."""
    write = ACTIONS.get(action)
    if write is None:
        raise ProjectError(f"edit log entry of kind '{action}' cannot be applied")
    write(conn, data, side)


def _apply_edit(conn: sqlite3.Connection, data: dict[str, Any], side: str) -> None:
    for ch in data.get("landmarks", []):
        write_point(conn, ch["image"], ch["index"], ch[side])
    for ch in data.get("status", []):
        conn.execute("UPDATE images SET status = ? WHERE id = ?", (ch[side], ch["image"]))
    for ch in data.get("predictions", []):
        write_prediction(conn, ch["image"], ch["index"], ch[side])
    if "template" in data:   # e.g. the first point placed makes its image the template
        _apply_template(conn, data["template"], side)


def _apply_template(conn: sqlite3.Connection, data: dict[str, Any], side: str) -> None:
    value = data[side]
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ProjectError(f"edit log: template image id {value!r} is not an image id")
    conn.execute("UPDATE project SET template_image_id = ? WHERE id = 1", (value,))


def _apply_spacing(conn: sqlite3.Connection, data: dict[str, Any], side: str) -> None:
    # A side is None or [row_mm, col_mm, source]; format-1 entries lack the source.
    value = data[side] or [None, None]
    row_mm, col_mm = value[:2]
    source = value[2] if len(value) > 2 else None
    conn.execute(
        "UPDATE images SET user_row_mm = ?, user_col_mm = ?, user_spacing_source = ? "
        "WHERE id = ?",
        (row_mm, col_mm, source, data["image"]),
    )


def _apply_relocate(conn: sqlite3.Connection, data: dict[str, Any], side: str) -> None:
    conn.execute("UPDATE images SET path = ? WHERE id = ?", (data[side], data["image"]))


def _apply_patient(conn: sqlite3.Connection, data: dict[str, Any], side: str) -> None:
    # A side is None (no fields stored: a DICOM shows its header's) or the five fields.
    value = data[side]
    if value is None:
        conn.execute("DELETE FROM patient_fields WHERE image_id = ?", (data["image"],))
        return
    conn.execute(
        f"INSERT OR REPLACE INTO patient_fields (image_id, {', '.join(PATIENT_COLUMNS)}) "
        f"VALUES (?{', ?' * len(PATIENT_COLUMNS)})",
        (data["image"], *(value[c] for c in PATIENT_COLUMNS)),
    )


def _apply_add_images(conn: sqlite3.Connection, data: dict[str, Any], side: str) -> None:
    if side == "after":
        cols = ", ".join(IMAGE_COLUMNS)
        marks = ", ".join("?" for _ in IMAGE_COLUMNS)
        # .get: entries logged by format 1 lack the columns added since.
        conn.executemany(
            f"INSERT INTO images ({cols}) VALUES ({marks})",
            [tuple(img.get(c) for c in IMAGE_COLUMNS) for img in data["images"]],
        )
    else:
        conn.executemany(
            "DELETE FROM images WHERE id = ?", [(img["id"],) for img in data["images"]]
        )


# Action -> function writing one side ("before" or "after") of such an entry.
ACTIONS: dict[str, Callable[[sqlite3.Connection, dict[str, Any], str], None]] = {
    "edit": _apply_edit,
    "template": _apply_template,
    "spacing": _apply_spacing,
    "relocate": _apply_relocate,
    "patient": _apply_patient,
    "add_images": _apply_add_images,
}


def write_point(
    conn: sqlite3.Connection, image_id: int, index: int, point: dict[str, Any] | None
) -> None:
    """Set (or with ``None`` delete) one landmark row."""
    if point is None:
        conn.execute("DELETE FROM landmarks WHERE image_id = ? AND idx = ?", (image_id, index))
    else:
        conn.execute(
            "INSERT OR REPLACE INTO landmarks (image_id, idx, x, y, source, confidence) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (image_id, index, point["x"], point["y"], point["source"], point["confidence"]),
        )


def write_prediction(
    conn: sqlite3.Connection, image_id: int, index: int, point: dict[str, Any] | None
) -> None:
    """Set (or with ``None`` delete) the model's prediction of one landmark."""
    if point is None:
        conn.execute("DELETE FROM predictions WHERE image_id = ? AND idx = ?", (image_id, index))
    else:
        conn.execute(
            "INSERT OR REPLACE INTO predictions (image_id, idx, x, y, confidence) "
            "VALUES (?, ?, ?, ?, ?)",
            (image_id, index, point["x"], point["y"], point["confidence"]),
        )


def read_prediction(conn: sqlite3.Connection, image_id: int, index: int
                    ) -> dict[str, Any] | None:
    """The stored prediction as the dict used in log entries (source "predicted"), or None."""
    row = conn.execute(
        "SELECT x, y, confidence FROM predictions WHERE image_id = ? AND idx = ?",
        (image_id, index),
    ).fetchone()
    return {**dict(row), "source": "predicted"} if row is not None else None


def read_point(conn: sqlite3.Connection, image_id: int, index: int) -> dict[str, Any] | None:
    """The stored landmark as the dict used in log entries, or ``None``."""
    row = conn.execute(
        "SELECT x, y, source, confidence FROM landmarks WHERE image_id = ? AND idx = ?",
        (image_id, index),
    ).fetchone()
    return dict(row) if row is not None else None


def point_dict(lm: Landmark | None) -> dict[str, Any] | None:
    """A validated landmark as stored in the log (``None``: not placed)."""
    if lm is None:
        return None
    x, y = float(lm.x), float(lm.y)
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ProjectError(f"landmark position ({lm.x}, {lm.y}) is not a finite number")
    conf = None if lm.confidence is None else float(lm.confidence)
    if conf is not None and not math.isfinite(conf):
        raise ProjectError(f"landmark confidence {lm.confidence} is not a finite number")
    source = parse_enum(LandmarkSource, lm.source).value
    return {"x": x, "y": y, "source": source, "confidence": conf}


def describe(
    changes: list[tuple[int, int, dict[str, Any] | None]],
    statuses: Mapping[int, str],
    schema: LandmarkSchema,
) -> str:
    """One-line summary of an edit for the log and the undo menu."""
    parts = []
    if len(changes) == 1:
        image_id, index, point = changes[0]
        verb = "clear" if point is None else f"set ({point['x']:.1f}, {point['y']:.1f})"
        parts.append(f"{verb} {schema.label(index)} on image {image_id}")
    elif changes:
        n_images = len({c[0] for c in changes})
        parts.append(f"{len(changes)} landmark change(s) on {n_images} image(s)")
    parts += [f"status of image {i}: {s}" for i, s in statuses.items()]
    return "; ".join(parts) or "no change"
