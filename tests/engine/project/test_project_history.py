"""Undo and redo: random edit/undo/redo sequences against a reference stack model,
redo of every kind of edit, touched images, and the upgrade of format-1 files."""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from project_helpers import custom_schema, write_png

from engine.data.spacing import Spacing
from engine.errors import ProjectError
from engine.project import EditEntry, Landmark, LandmarkSource, Project, ReviewStatus
from engine.project import db as dbm

# image id -> (landmarks, review status, user spacing); plus the template id.
Images = dict[int, tuple[tuple[Landmark | None, ...], str, Spacing | None]]
State = tuple[Images, int | None]


def snapshot(project: Project) -> State:
    images = {
        r.id: (tuple(project.landmarks(r.id)), r.status.value, r.user_spacing)
        for r in project.images()
    }
    template = project.template()
    return images, template.id if template else None


@dataclass
class ReferenceStacks:
    """The undo/redo behaviour of any editor: each stack holds (state, summary)."""

    current: State
    done: list[tuple[State, str]] = field(default_factory=list)
    undone: list[tuple[State, str]] = field(default_factory=list)

    def edit(self, new: State, summary: str) -> None:
        self.done.append((self.current, summary))
        self.undone.clear()
        self.current = new

    def undo(self) -> bool:
        if not self.done:
            return False
        before, summary = self.done.pop()
        self.undone.append((self.current, summary))
        self.current = before
        return True

    def redo(self) -> bool:
        if not self.undone:
            return False
        after, summary = self.undone.pop()
        self.done.append((self.current, summary))
        self.current = after
        return True

    def summaries(self) -> tuple[str | None, str | None]:
        return (
            self.done[-1][1] if self.done else None,
            self.undone[-1][1] if self.undone else None,
        )


def random_edit(rng: random.Random, project: Project, state: State) -> tuple[State, EditEntry]:
    """One random user edit on the project and the state it should lead to."""
    images, template = dict(state[0]), state[1]
    image = rng.choice(sorted(images))
    lms, status, spacing = images[image]
    kind = rng.choice(["set", "set", "clear", "status", "template", "spacing"])
    if kind == "set":
        index, x, y = rng.randrange(3), rng.randint(0, 30) + 0.5, rng.randint(0, 30) + 0.25
        entry = project.set_landmark(image, index, x, y, "corrected")
        point = Landmark(x, y, LandmarkSource.CORRECTED)
        images[image] = (lms[:index] + (point,) + lms[index + 1:], status, spacing)
    elif kind == "clear":
        index = rng.randrange(3)
        entry = project.clear_landmark(image, index)
        images[image] = (lms[:index] + (None,) + lms[index + 1:], status, spacing)
    elif kind == "status":
        status = rng.choice([s.value for s in ReviewStatus])
        entry = project.set_status(image, status)
        images[image] = (lms, status, spacing)
    elif kind == "template":
        template = rng.choice([None, image])
        entry = project.set_template(template)
    else:
        source = rng.choice(["user", "calibration"])
        value = rng.choice([None, (0.1, 0.1), (0.2, 0.25)])
        entry = project.set_user_spacing(image, value, source)
        images[image] = (lms, status, Spacing(*value, source) if value else None)
    return (images, template), entry


def changed_images(a: State, b: State) -> set[int]:
    ids = set(a[0]) | set(b[0])
    changed = {i for i in ids if a[0].get(i) != b[0].get(i)}
    if a[1] != b[1]:
        changed |= {a[1], b[1]} - {None}
    return changed


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_edit_undo_redo_follows_the_stack_model(
    tmp_path: Path, image_dir: Path, seed: int
) -> None:
    rng = random.Random(seed)
    folder = tmp_path / "proj"
    project = Project.create(folder, schema=custom_schema())
    try:
        empty = snapshot(project)
        project.add_images([image_dir])
        ref = ReferenceStacks(snapshot(project), done=[(empty, "add 4 image(s)")])
        for _ in range(90):
            before = snapshot(project)
            op = rng.choices(["edit", "undo", "redo", "reopen"], [45, 30, 22, 3])[0]
            entry: EditEntry | None = None
            if op == "edit" and ref.current[0]:
                new, entry = random_edit(rng, project, ref.current)
                ref.edit(new, entry.summary)
            elif op == "undo":
                entry = project.undo()
                assert (entry is not None) == ref.undo()
            elif op == "redo":
                entry = project.redo()
                assert (entry is not None) == ref.redo()
            elif op == "reopen":
                project.close()
                project = Project.open(folder)
            after = snapshot(project)
            assert after == ref.current, f"after {op}"
            assert project.undo_redo_state() == ref.summaries()
            if entry is not None:
                assert changed_images(before, after) <= project.touched_images(entry)
    finally:
        project.close()


def test_a_fresh_edit_clears_redo(project: Project) -> None:
    img = project.images()[0].id
    project.set_landmark(img, 0, 1, 1, "corrected")
    project.set_landmark(img, 1, 2, 2, "corrected")
    project.undo()
    project.undo()
    assert project.undo_redo_state() == ("add 4 image(s)", "set (1.0, 1.0) J1 on image 1")
    assert project.redo().summary == "set (1.0, 1.0) J1 on image 1"
    project.set_status(img, "reviewed")
    assert project.redo() is None
    assert project.undo_redo_state() == ("status of image 1: reviewed", None)
    project.undo()
    assert project.undo_redo_state() == ("set (1.0, 1.0) J1 on image 1",
                                         "status of image 1: reviewed")
    project.undo()
    assert project.landmarks(img)[:2] == [None, None]
    project.redo()  # the set of landmark 0, not the one of landmark 1 (cleared earlier)
    project.redo()
    assert project.landmarks(img)[:2] == [Landmark(1, 1, "corrected"), None]
    assert project.image(img).status is ReviewStatus.REVIEWED and project.redo() is None


def test_redo_entries_point_at_the_undo_and_can_be_undone(project: Project) -> None:
    img = project.images()[0].id
    edit = project.set_landmark(img, 0, 1, 1, "corrected")
    undo = project.undo()
    redo = project.redo()
    assert (undo.undoes, redo.redoes, redo.undoes) == (edit.id, undo.id, None)
    assert (redo.action, redo.data, redo.summary) == (edit.action, edit.data, edit.summary)
    assert redo.undoable and project.edit_log()[-1] == redo
    assert project.undo().undoes == redo.id and project.landmarks(img)[0] is None
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        project._db.conn.execute("UPDATE edit_log SET redoes = NULL")


def test_redo_of_add_images_template_spacing_status_and_relocate(
    project: Project, tmp_path: Path
) -> None:
    before = project.images()
    extra = project.add_images([write_png(tmp_path / "more" / "x.png", seed=99)]).added[0]
    project.set_template(extra.id)
    project.set_user_spacing(extra.id, (0.2, 0.2), "calibration")
    project.set_status(extra.id, "needs_attention")
    moved = tmp_path / "moved.png"
    moved.write_bytes(extra.path.read_bytes())
    project.relocate(extra.id, moved)
    full = project.images()
    for _ in range(5):
        project.undo()
    assert project.images() == before and project.template() is None
    project.redo()
    assert project.images()[-1] == extra  # same id, path, hash and time stamp
    project.redo()
    assert project.template().id == extra.id
    project.redo()
    assert project.image(extra.id).spacing == Spacing(0.2, 0.2, "calibration")
    project.redo()
    project.redo()
    assert project.images() == full and project.image(extra.id).path == moved
    assert project.redo() is None


def test_spacing_source_is_stored_and_undone(project: Project) -> None:
    img = project.images()[0].id
    entry = project.set_user_spacing(img, (0.1, 0.1), "calibration")
    assert entry.summary.endswith("0.1 x 0.1 mm (calibration)")
    assert project.image(img).user_spacing == Spacing(0.1, 0.1, "calibration")
    project.set_user_spacing(img, Spacing(0.3, 0.3, "calibration"))  # the argument decides
    assert project.image(img).user_spacing.source == "user"
    project.undo()
    assert project.image(img).user_spacing == Spacing(0.1, 0.1, "calibration")
    project.redo()
    assert project.image(img).user_spacing == Spacing(0.3, 0.3, "user")
    with pytest.raises(ProjectError, match="unknown spacing source 'ruler'"):
        project.set_user_spacing(img, (0.1, 0.1), "ruler")


def test_redo_survives_close_and_reopen(project: Project) -> None:
    img = project.images()[0].id
    project.set_landmark(img, 0, 5, 6, "corrected", 0.5)
    project.undo()
    project.close()
    with Project.open(project.folder) as reopened:
        assert reopened.undo_redo_state()[1] == "set (5.0, 6.0) J1 on image 1"
        reopened.redo()
        assert reopened.landmarks(img)[0] == Landmark(5, 6, "corrected", 0.5)


def test_touched_images(project: Project) -> None:
    a, b, c, d = (r.id for r in project.images())
    add = project.edit_log()[-1]
    assert project.touched_images(add) == {a, b, c, d}
    batch = project.apply_edits({a: {0: Landmark(1, 1, "corrected")}}, statuses={b: "reviewed"})
    assert project.touched_images(batch) == {a, b}
    project.set_template(c)
    assert project.touched_images(project.set_template(d)) == {c, d}
    assert project.touched_images(project.set_template(None)) == {d}
    spacing = project.set_user_spacing(b, (0.1, 0.1))
    assert project.touched_images(spacing) == {b}
    assert project.touched_images(project.undo()) == {b}  # that of the reverted entry
    assert project.touched_images(project.redo()) == {b}
    project.add_run({})
    assert project.touched_images(project.edit_log()[-1]) == frozenset()  # not an image edit


def write_v1_project(folder: Path) -> None:
    """A project file as format 1 wrote it: a spacing, then a landmark edit and its undo."""
    folder.mkdir()
    schema = custom_schema(3).to_dict()
    image = {
        "id": 1, "path": "../images/a.png", "width": 40, "height": 32, "size_bytes": 9,
        "sha256": "ab" * 32, "file_row_mm": None, "file_col_mm": None,
        "file_spacing_source": None, "user_row_mm": None, "user_col_mm": None,
        "status": "unreviewed", "added": "2024-01-01T00:00:00.000+00:00",
    }
    point = {"x": 1.0, "y": 2.0, "source": "corrected", "confidence": None}
    log = [
        ("create", "create project", {"schema": schema}, 0, None),
        ("add_images", "add 1 image(s)", {"images": [image]}, 1, None),
        ("spacing", "spacing of a.png: [0.1, 0.2]",
         {"image": 1, "before": None, "after": [0.1, 0.2]}, 1, None),
        ("edit", "set (1.0, 2.0) J1 on image 1", {"landmarks": [
            {"image": 1, "index": 0, "before": None, "after": point}], "status": []}, 1, None),
        ("undo", "undo: set (1.0, 2.0) J1 on image 1", {"action": "edit"}, 0, 4),
    ]
    conn = sqlite3.connect(folder / dbm.DB_NAME, isolation_level=None)
    conn.executescript(dbm.MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO project (id, schema_json, created) VALUES (1, ?, 'then')",
                 (json.dumps(schema),))
    conn.execute(f"INSERT INTO images ({', '.join(image)}) VALUES "
                 f"({', '.join('?' for _ in image)})", tuple(image.values()))
    conn.execute("UPDATE images SET user_row_mm = 0.1, user_col_mm = 0.2")
    conn.executemany(
        "INSERT INTO edit_log (time, action, summary, data_json, undoable, undoes) "
        "VALUES ('then', ?, ?, ?, ?, ?)",
        [(a, s, json.dumps(d), u, un) for a, s, d, u, un in log],
    )
    conn.close()


def test_format_1_file_is_upgraded_and_undo_redo_work(tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    write_v1_project(folder)
    with Project.open(folder) as project:
        assert project._db.query("PRAGMA user_version")[0][0] == dbm.SCHEMA_VERSION == 4
        assert project.image(1).user_spacing == Spacing(0.1, 0.2, "user")
        assert project.undo_redo_state() == ("spacing of a.png: [0.1, 0.2]",
                                             "set (1.0, 2.0) J1 on image 1")
        assert project.redo().redoes == 5
        assert project.landmarks(1)[0] == Landmark(1, 2, "corrected")
        project.undo()
        project.undo()
        assert project.image(1).user_spacing is None
        project.undo()
        assert project.images() == [] and project.undo() is None
        project.redo()  # re-inserts an image row logged without the newer columns
        project.redo()  # and a spacing logged without its source
        assert project.image(1).user_spacing == Spacing(0.1, 0.2, "user")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            project._db.conn.execute("DELETE FROM edit_log")
    backup = sqlite3.connect(folder / "project.sqlite.v1.bak")
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
    backup.close()



def test_a_point_and_the_template_in_one_edit_undo_together(project: Project) -> None:
    first = project.images()[0].id
    project.apply_edits({first: {0: Landmark(3.0, 4.0, LandmarkSource.TEMPLATE)}},
                        template=first)
    assert project.template().id == first and project.landmarks(first)[0] is not None
    entry = project.undo()
    assert first in project.touched_images(entry)
    assert project.template() is None and project.landmarks(first)[0] is None
    project.redo()
    assert project.template().id == first and project.landmarks(first)[0].x == 3.0
