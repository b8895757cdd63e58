"""The read-only project view the app hands out: reads pass, every write is refused."""

from __future__ import annotations

import pytest

from engine.project import Project, export_csv
from engine.project.reader import ProjectReader


def test_reads_pass_and_writes_are_refused(project: Project, tmp_path) -> None:
    first = project.images()[0].id
    project.set_landmark(first, 0, 3.0, 4.0, "template")
    view = ProjectReader(project)
    assert [r.id for r in view.images()] == [r.id for r in project.images()]
    assert view.landmarks(first)[0].x == 3.0 and view.schema is project.schema
    assert export_csv(view, tmp_path / "out.csv").is_file()   # exports take the view
    for write in ("set_landmark", "apply_edits", "set_status", "set_template", "undo",
                  "redo", "add_images", "add_run", "update_run", "clear_landmark"):
        with pytest.raises(AttributeError, match="read-only"):
            getattr(view, write)
    assert project.landmarks(first)[0].x == 3.0
