"""A read-only view of an open project: what the app hands to views and workers.

The app has one writer per project (its session); everything else reads. The view lets
through only reading methods, so a write from elsewhere fails loudly at once instead of
going around the session's signals and caches.
"""

from __future__ import annotations

from typing import Any

from engine.project.store import Project

READS = frozenset({
    "edit_log", "folder", "image", "images", "integrity_check", "landmarks", "patient",
    "predictions", "read_only", "run", "runs", "runs_dir", "schema", "status_counts",
    "stored_patient", "template", "touched_images", "undo_redo_state",
})


class ProjectReader:
    """``project``'s reading methods and attributes, nothing else."""

    __slots__ = ("_project",)

    def __init__(self, project: Project) -> None:
        self._project = project

    def __getattr__(self, name: str) -> Any:
        if name in READS:
            return getattr(self._project, name)
        raise AttributeError(f"'{name}' is not available on a read-only project view; "
                             "changes go through the project's session")
