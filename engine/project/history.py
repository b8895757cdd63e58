"""Undo, redo and the edit log of a :class:`~engine.project.store.Project`.

Undo and redo behave like an editor's two stacks, kept in the append-only log (see
:mod:`engine.project.editlog`): undo reverts the newest edit not undone, redo
re-applies the newest undone edit until a fresh edit clears the redo stack.
"""

from __future__ import annotations

from typing import Any

from engine.project import db as dbm
from engine.project import editlog, rows
from engine.project.model import EditEntry


class HistoryMixin:
    """Edit-log methods of :class:`~engine.project.store.Project`."""

    _db: dbm.Database

    def edit_log(self, limit: int | None = None) -> list[EditEntry]:
        """Log entries, oldest first (the newest ``limit`` when given)."""
        sql = "SELECT * FROM edit_log ORDER BY id DESC" + (" LIMIT ?" if limit else "")
        found = self._db.query(sql, (limit,) if limit else ())
        return [rows.edit_entry(self._db.path, r) for r in reversed(found)]

    def undo(self) -> EditEntry | None:
        """Revert the newest user edit not yet undone; returns the new ``undo`` entry.

        The log keeps both the edit and the undo; ``None`` when there is nothing to undo.
        """
        with dbm.transaction(self._db, "undo the last edit") as conn:
            target = editlog.last_undoable(conn)
            if target is None:
                return None
            editlog.apply(conn, target.action, target.data, "before")
            return editlog.append(
                conn, "undo", f"undo: {target.summary}", {"action": target.action},
                undoes=target.id,
            )

    def redo(self) -> EditEntry | None:
        """Re-apply the newest undone edit; returns the new (undoable) entry.

        ``None`` when nothing was undone since the last fresh edit.
        """
        with dbm.transaction(self._db, "redo the last undone edit") as conn:
            undo = editlog.last_redoable(conn)
            if undo is None:
                return None
            target = editlog.entry(conn, undo.undoes)
            editlog.apply(conn, target.action, target.data, "after")
            # Same action, data and summary as the edit itself, so undo treats it as one.
            return editlog.append(
                conn, target.action, target.summary, target.data, redoes=undo.id
            )

    def undo_redo_state(self) -> tuple[str | None, str | None]:
        """Summaries of what :meth:`undo` would revert and :meth:`redo` would re-apply."""
        with dbm.reading(self._db, "read the undo history") as conn:
            undo = editlog.last_undoable(conn)
            redo = editlog.last_redoable(conn)
            redo_summary = editlog.entry(conn, redo.undoes).summary if redo else None
        return (undo.summary if undo else None), redo_summary

    def touched_images(self, entry: EditEntry) -> frozenset[int]:
        """Ids of the images whose landmarks, status, spacing or path ``entry`` changed.

        For an undo entry: those of the entry it reverted. A template change touches
        the old and the new template image.
        """
        with dbm.reading(self._db, "read the edit log") as conn:
            return editlog.touched_images(conn, entry)

    def _edit(self, action: str, summary: str, data: Any) -> EditEntry:
        # ``data`` may be a function of the open transaction (to read before-values).
        with dbm.transaction(self._db, summary) as conn:
            payload = data(conn) if callable(data) else data
            editlog.apply(conn, action, payload, "after")
            return editlog.append(conn, action, summary, payload)
