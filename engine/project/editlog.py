"""The append-only edit log and the row changes it records.

Every user edit is stored as one log entry whose ``data`` holds each change with
its ``before`` and ``after`` values, written in the same transaction as the change
itself. :func:`apply` writes one side of a change, so an edit applies its
``after`` side and an undo applies the ``before`` side, then logs an ``undo``
entry pointing at the reverted one. Entries are never updated or deleted (the
database enforces it with triggers).
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from engine.errors import ProjectError
from engine.project.model import EditEntry, Landmark, LandmarkSource, parse_enum
from engine.project.schema import LandmarkSchema

# Actions a user can undo; runs and creation are traced but not undone.
UNDOABLE = frozenset({"edit", "template", "spacing", "relocate", "add_images"})

IMAGE_COLUMNS = (
    "id", "path", "width", "height", "size_bytes", "sha256",
    "file_row_mm", "file_col_mm", "file_spacing_source", "user_row_mm", "user_col_mm",
    "status", "added",
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
) -> EditEntry:
    """Add one entry inside the caller's transaction and return it."""
    time = now()
    undoable = action in UNDOABLE
    cur = conn.execute(
        "INSERT INTO edit_log (time, action, summary, data_json, undoable, undoes) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (time, action, summary, json.dumps(data, ensure_ascii=False), int(undoable), undoes),
    )
    return EditEntry(int(cur.lastrowid or 0), time, action, summary, data, undoable, undoes)


def entry_from_row(row: sqlite3.Row) -> EditEntry:
    return EditEntry(
        id=row["id"],
        time=row["time"],
        action=row["action"],
        summary=row["summary"],
        data=json.loads(row["data_json"]),
        undoable=bool(row["undoable"]),
        undoes=row["undoes"],
    )


def last_undoable(conn: sqlite3.Connection) -> EditEntry | None:
    """The newest undoable entry that no undo entry has reverted yet."""
    row = conn.execute(
        "SELECT * FROM edit_log WHERE undoable = 1 AND id NOT IN "
        "(SELECT undoes FROM edit_log WHERE undoes IS NOT NULL) ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return entry_from_row(row) if row is not None else None


def apply(conn: sqlite3.Connection, action: str, data: dict[str, Any], side: str) -> None:
    """Write the ``side`` ("before" or "after") of an entry's changes to the tables."""
    if action == "edit":
        for ch in data.get("landmarks", []):
            write_point(conn, ch["image"], ch["index"], ch[side])
        for ch in data.get("status", []):
            conn.execute("UPDATE images SET status = ? WHERE id = ?", (ch[side], ch["image"]))
    elif action == "template":
        conn.execute("UPDATE project SET template_image_id = ? WHERE id = 1", (data[side],))
    elif action == "spacing":
        row_mm, col_mm = data[side] if data[side] is not None else (None, None)
        conn.execute(
            "UPDATE images SET user_row_mm = ?, user_col_mm = ? WHERE id = ?",
            (row_mm, col_mm, data["image"]),
        )
    elif action == "relocate":
        conn.execute("UPDATE images SET path = ? WHERE id = ?", (data[side], data["image"]))
    elif action == "add_images":
        if side == "after":
            cols = ", ".join(IMAGE_COLUMNS)
            marks = ", ".join("?" for _ in IMAGE_COLUMNS)
            conn.executemany(
                f"INSERT INTO images ({cols}) VALUES ({marks})",
                [tuple(img[c] for c in IMAGE_COLUMNS) for img in data["images"]],
            )
        else:
            conn.executemany(
                "DELETE FROM images WHERE id = ?", [(img["id"],) for img in data["images"]]
            )
    else:
        raise ProjectError(f"edit log entry of kind '{action}' cannot be applied")


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
