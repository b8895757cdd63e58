"""Review with real events: the least confident image first, low-confidence rows on top,
drag to correct, restore the prediction, undo/redo, Enter = reviewed and next."""

from __future__ import annotations

import threading

import pytest
from gestures import at, click, drag, show_active
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from cc2d_app.main_window import MainWindow
from cc2d_app.session import ProjectSession
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import Landmark, LandmarkSchema, LandmarkSource, Project, ReviewStatus

LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier
# Per image: confidences of landmarks A, B, C (image 0 is the template).
CONFIDENCES = {1: (0.9, 0.8, 0.85), 2: (0.95, 0.3, 0.7), 3: (0.6, 0.9, 0.99)}


@pytest.fixture()
def project(tmp_path, qtbot):
    _paths, table = write_phantom_dataset(tmp_path / "rays", 4,
                                          PhantomSpec(n_landmarks=3, width=120, height=150))
    folder = tmp_path / "proj"
    s = ProjectSession.create(folder, LandmarkSchema.from_names(["Alpha", "Beta", "Gamma"]))
    s.add_images_task([tmp_path / "rays"])(lambda d, t: None, threading.Event())
    s.images_added()
    ids = [r.id for r in s.images()]
    names = [r.name for r in s.images()]
    s.set_template(ids[0])
    for i, (x, y) in enumerate(table.get(names[0])):
        s.place(ids[0], i, x, y)
    predicted = {
        ids[k]: {i: Landmark(*table.get(names[k])[i], LandmarkSource.PREDICTED, c)
                 for i, c in enumerate(conf)}
        for k, conf in CONFIDENCES.items()
    }
    s.close()   # the predictions as a training stores them, through the store itself
    with Project.open(folder) as store:
        store.apply_edits(predicted, predictions=predicted)
    s = ProjectSession.open(folder)
    s.close()
    return folder, ids


def test_review_correct_restore_and_next(qtbot, project):
    folder, ids = project
    window = MainWindow()
    show_active(qtbot, window)
    window.open_project(str(folder))
    ws, session = window.workspace, window.session
    assert session.review_queue() == [ids[2], ids[3], ids[1]]  # least confident first
    ws.show_image(ids[2])
    rec = session.image(ids[2])
    qtbot.waitUntil(lambda: ws.canvas.image_size() == (rec.width, rec.height))
    panel = ws.landmarks
    assert panel.reviewed.isVisible() and not panel.train.isVisible()
    first_row = panel.tree.topLevelItem(0)
    assert first_row.text(2) == "Beta" and first_row.text(3) == "0.30"  # low one on top
    assert ws.canvas.landmark_tooltip(1).endswith("confidence 0.30 (low: check it)")

    # Drag Beta: it becomes a correction; Restore puts the model's point back.
    beta = session.landmarks(ids[2])[1]
    drag(ws.canvas, at(ws.canvas, beta.x, beta.y), at(ws.canvas, beta.x + 15, beta.y + 5))
    moved = session.landmarks(ids[2])[1]
    assert moved.source == LandmarkSource.CORRECTED and moved.x > beta.x + 10
    assert panel.restore.isEnabled()
    qtbot.mouseClick(panel.restore, LEFT)
    assert session.landmarks(ids[2])[1] == beta
    QTest.keyClick(ws.canvas, Qt.Key.Key_Z, CTRL)
    assert session.landmarks(ids[2])[1] == moved
    QTest.keyClick(ws.canvas, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert session.landmarks(ids[2])[1] == beta

    # Enter: reviewed, and on to the least confident image left.
    QTest.keyClick(ws.canvas, Qt.Key.Key_Return)
    assert session.image(ids[2]).status == ReviewStatus.REVIEWED
    assert ws.current_id == ids[3]
    assert window.workspace.images.model.state(ids[2]).value == "reviewed"
    QTest.keyClick(ws.canvas, Qt.Key.Key_Return)
    QTest.keyClick(ws.canvas, Qt.Key.Key_Return)
    assert session.review_queue() == []
    assert all(session.image(i).status == ReviewStatus.REVIEWED for i in ids[1:])
    click(ws.canvas, at(ws.canvas, 5, 5))  # nothing to place on a fully predicted image
    window.close()


def listed(ws) -> list[tuple[int, str]]:
    """What the image list shows, top to bottom: image id and the row's second line."""
    view = ws.images.view
    rows = []
    for row in range(view.model().rowCount()):
        index = view.model().index(row, 0)
        rows.append((index.data(Qt.ItemDataRole.UserRole + 1),
                     index.data(Qt.ItemDataRole.DisplayRole).split("\n")[1]))
    return rows


def test_the_list_is_the_review_queue(qtbot, project):
    folder, ids = project
    window = MainWindow()
    show_active(qtbot, window)
    window.open_project(str(folder))
    ws = window.workspace
    panel = ws.images
    # Review order: the images to review, least confident first, with their doubtful points;
    # then the rest (the template) in the order added.
    assert listed(ws) == [(ids[2], "1 doubtful point"), (ids[3], "needs review"),
                          (ids[1], "needs review"), (ids[0], "template")]
    panel.filter.setFocus()
    QTest.keyClicks(panel.filter, "Needs")
    assert panel.filter.currentText() == "Needs review"
    assert [i for i, _ in listed(ws)] == [ids[2], ids[3], ids[1]]
    assert panel.count.text() == "3 of 4 images"

    # Enter on the top image: it is reviewed and leaves the filtered queue; the next one
    # is opened and is the list's current row, now at the top.
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.view.visualRect(panel.view.model().index(0, 0)).center())
    assert ws.current_id == ids[2]
    rec = window.session.image(ids[2])
    qtbot.waitUntil(lambda: ws.canvas.image_size() == (rec.width, rec.height))
    QTest.keyClick(ws.canvas, Qt.Key.Key_Return)
    assert ws.current_id == ids[3] == panel.current_id()
    assert panel.view.currentIndex().row() == 0
    assert panel.count.text() == "2 of 4 images"

    # Order added: the file order again, the reviewed image included under All images.
    panel.filter.setFocus()
    QTest.keyClick(panel.filter, Qt.Key.Key_Home)     # All images
    panel.order.setFocus()
    QTest.keyClick(panel.order, Qt.Key.Key_End)       # Order added
    assert [i for i, _ in listed(ws)] == ids
    assert listed(ws)[2] == (ids[2], "reviewed")
    window.close()
