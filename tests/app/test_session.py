"""The session: the one writer of a project, and the signals views rely on."""

from __future__ import annotations

import pytest

from cc2d_app.session import ProjectSession
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.errors import ProjectError
from engine.project import LandmarkSchema, LandmarkSource, Project


@pytest.fixture()
def session(tmp_path, qtbot):
    write_phantom_dataset(tmp_path / "images", 3, PhantomSpec(n_landmarks=4, width=64,
                                                              height=48), seed=3)
    s = ProjectSession.create(tmp_path / "proj",
                              LandmarkSchema.from_names(["A", "B", "C", "D"]))
    task = s.add_images_task([tmp_path / "images"])
    skipped = task(lambda done, total: None, __import__("threading").Event())
    s.images_added()
    assert skipped == [] and len(s.images()) == 3
    yield s
    s.close()


def test_place_emits_and_writes_through(session, qtbot):
    first = session.images()[0].id
    assert session.set_template(first)
    with qtbot.waitSignals([session.landmarksChanged, session.saved, session.undoRedoChanged]):
        assert session.place(first, 1, 10.5, 20.25)
    lm = session.landmarks(first)[1]
    assert (lm.x, lm.y, lm.source) == (10.5, 20.25, LandmarkSource.TEMPLATE)
    assert session.missing_template_landmarks() == [0, 2, 3]
    undo, redo = session.undo_redo_state()
    assert "B" in undo and redo == ""


def test_points_on_other_images_are_corrections(session):
    a, b = (r.id for r in session.images()[:2])
    session.set_template(a)
    session.place(b, 0, 3, 4)
    assert session.landmarks(b)[0].source == LandmarkSource.CORRECTED


def test_undo_redo_refresh_the_touched_image(session, qtbot):
    first = session.images()[0].id
    session.place(first, 0, 5, 6)
    session.place(first, 0, 7, 8)
    with qtbot.waitSignal(session.landmarksChanged) as blocker:
        assert session.undo()
    assert blocker.args == [first]
    assert (session.landmarks(first)[0].x, session.landmarks(first)[0].y) == (5, 6)
    assert session.redo()
    assert (session.landmarks(first)[0].x, session.landmarks(first)[0].y) == (7, 8)
    assert session.undo() and session.undo()
    assert session.landmarks(first)[0] is None


def test_undo_of_a_template_change_says_so(session, qtbot):
    a, b = (r.id for r in session.images()[:2])
    session.set_template(a)
    session.set_template(b)
    with qtbot.waitSignal(session.templateChanged):
        session.undo()
    assert session.template_id() == a


def test_calibration_is_stored_with_its_source(session, qtbot):
    first = session.images()[0].id
    with qtbot.waitSignal(session.imageChanged):
        assert session.set_calibration(first, 0.25)
    spacing = session.image(first).spacing
    assert (spacing.row_mm, spacing.col_mm, spacing.source) == (0.25, 0.25, "calibration")


def test_a_failed_write_is_reported_not_raised(session, qtbot):
    first = session.images()[0].id
    with qtbot.waitSignal(session.failed) as blocker:
        assert not session.place(first, 0, float("nan"), 1.0)
    title, error = blocker.args
    assert "landmark" in title.lower() and isinstance(error, ProjectError)


def test_edits_are_on_disk_when_the_call_returns(session, tmp_path):
    first = session.images()[0].id
    session.place(first, 2, 11, 12)
    with Project.open(tmp_path / "proj", read_only=True) as other:
        assert other.landmarks(first)[2].x == 11
