"""Instant predictions as a clinician gets them: the template's last click → points on
every image without a dialog (one undo step); a reviewed image → the others matched again,
its own points untouched."""

from __future__ import annotations

import threading

import pytest
from gestures import at, click, drag, show_active
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from cc2d_app.main_window import MainWindow
from cc2d_app.session import ProjectSession
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import LandmarkSchema, LandmarkSource, ReviewStatus

CTRL = Qt.KeyboardModifier.ControlModifier
pytestmark = pytest.mark.usefixtures("pretrained_weights")


@pytest.fixture(scope="session")
def pretrained_weights():
    from engine.errors import CheckpointError
    from engine.models.efficientnet_lite import weights_path

    try:
        return weights_path()
    except CheckpointError as exc:
        pytest.skip(str(exc))


@pytest.fixture()
def window(qtbot, tmp_path):
    _paths, table = write_phantom_dataset(tmp_path / "rays", 5,
                                          PhantomSpec(n_landmarks=3, width=96, height=120),
                                          seed=2)
    s = ProjectSession.create(tmp_path / "proj",
                              LandmarkSchema.from_names(["Alpha", "Beta", "Gamma"]))
    s.add_images_task([tmp_path / "rays"])(lambda d, t: None, threading.Event())
    s.images_added()
    s.close()
    win = MainWindow()
    show_active(qtbot, win)
    win.open_project(str(tmp_path / "proj"))
    ws = win.workspace
    rec = win.session.image(ws.current_id)
    qtbot.waitUntil(lambda: ws.canvas.image_size() == (rec.width, rec.height), timeout=10000)
    return win, table


def others(session) -> list[int]:
    return [r.id for r in session.images() if r.id != session.template_id()]


def test_the_last_template_click_predicts_every_image(qtbot, window):
    win, table = window
    ws, session, canvas = win.workspace, win.session, win.workspace.canvas
    truth = table.points[session.image(ws.current_id).name]
    for x, y in truth[:2]:
        click(canvas, at(canvas, x, y))
    qtbot.wait(600)   # longer than the settling delay: nothing starts before the last point
    assert not ws.matching.busy
    assert all(all(p is None for p in session.landmarks(i)) for i in others(session))

    with qtbot.waitSignal(ws.matching.matched, timeout=60000) as blocker:
        click(canvas, at(canvas, *truth[2]))
    assert blocker.args == [4]
    for image_id in others(session):
        points = session.landmarks(image_id)
        assert all(p is not None and p.source is LandmarkSource.PREDICTED
                   and p.confidence is not None for p in points)
    assert "Instant predictions from the template: 12 points on 4 images" in \
        win.statusBar().currentMessage()
    assert session.review_queue()           # the queue holds them, least confident first
    template = session.template_id()
    assert all(p.source is LandmarkSource.TEMPLATE for p in session.landmarks(template))

    # One undo step takes them all away; the template keeps its points.
    QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    assert all(all(p is None for p in session.landmarks(i)) for i in others(session))
    assert all(p is not None for p in session.landmarks(template))


def test_a_reviewed_image_improves_the_others_and_keeps_its_points(qtbot, window):
    win, table = window
    ws, session, canvas = win.workspace, win.session, win.workspace.canvas
    truth = table.points[session.image(ws.current_id).name]
    with qtbot.waitSignal(ws.matching.matched, timeout=60000):
        for x, y in truth:
            click(canvas, at(canvas, x, y))

    image_id = others(session)[0]
    ws.show_image(image_id)
    rec = session.image(image_id)
    qtbot.waitUntil(lambda: canvas.image_size() == (rec.width, rec.height), timeout=10000)
    # Correct the first point onto the truth, as a clinician would drag it.
    first = session.landmarks(image_id)[0]
    goal = table.points[rec.name][0]
    drag(canvas, at(canvas, first.x, first.y), at(canvas, *goal))
    mine = session.landmarks(image_id)
    assert mine[0].source is LandmarkSource.CORRECTED
    with qtbot.waitSignal(ws.matching.matched, timeout=60000):
        QTest.keyClick(canvas, Qt.Key.Key_Return)   # reviewed: it joins the labelled set
    assert session.image(image_id).status is ReviewStatus.REVIEWED
    assert session.landmarks(image_id) == mine      # a clinician's points are never touched
    assert "with 1 reviewed image" in ws.training_panel.state_label.text()
