"""The template flow as a user drives it: new project → place → drag → nudge → undo/redo →
quit → reopen; coordinates checked in the project store, in original-image pixels."""

from __future__ import annotations

import threading
from pathlib import Path

import new_project
import numpy as np
import pytest
from gestures import at, click, drag, show_active, wheel
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QListWidget, QMessageBox, QPushButton

from cc2d_app.main_window import MainWindow
from cc2d_app.session import ProjectSession
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import LandmarkSchema, Project, load_schema

LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
NAMES = ("A, Alpha", "B, Beta", "C, Gamma", "D, Delta")


@pytest.fixture()
def rays(tmp_path) -> tuple[Path, np.ndarray]:
    # Non-square, and the sizes differ between images (size_jitter).
    _paths, table = write_phantom_dataset(
        tmp_path / "rays", 3, PhantomSpec(n_landmarks=4, width=150, height=230,
                                          size_jitter=0.1), seed=5)
    return tmp_path / "rays", table.points["phantom_000.png"]


def open_window(qtbot) -> MainWindow:
    window = MainWindow()
    show_active(qtbot, window)
    return window


def button(parent, starts: str) -> QPushButton:
    return next(b for b in parent.findChildren(QPushButton) if b.text().strip().startswith(starts))


def create_project(qtbot, window: MainWindow, images: Path) -> None:
    new_project.create_project(qtbot, window, images, NAMES)
    qtbot.waitUntil(lambda: window.session is not None
                    and len(window.session.images()) == 3 and window.progress.isHidden(),
                    timeout=20000)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def wait_for_image(qtbot, window: MainWindow) -> None:
    rec = window.session.image(window.workspace.current_id)
    qtbot.waitUntil(lambda: window.workspace.canvas.image_size() == (rec.width, rec.height),
                    timeout=10000)


def stored(project_dir: Path, image_id: int) -> list[tuple[float, float] | None]:
    with Project.open(project_dir, read_only=True) as project:
        return [(p.x, p.y) if p else None for p in project.landmarks(image_id)]


def log_length(project_dir: Path) -> int:
    with Project.open(project_dir, read_only=True) as project:
        return len(project.edit_log())


def near(a, b, tol=0.5) -> bool:
    return a is not None and abs(a[0] - b[0]) <= tol and abs(a[1] - b[1]) <= tol


def test_annotate_the_template_and_reopen(qtbot, rays):
    images, truth = rays
    window = open_window(qtbot)
    create_project(qtbot, window, images)
    project_dir = window.session.folder
    canvas = window.workspace.canvas
    wait_for_image(qtbot, window)
    template = window.workspace.current_id
    QTest.keyClick(canvas, Qt.Key.Key_T, CTRL)  # Image ▸ Set as template
    assert window.session.template_id() == template
    train = button(window.workspace.landmarks, "Train")
    assert not train.isEnabled()

    # Two landmarks at the fitted zoom, two after zooming in and panning.
    expected = {}
    for i in (0, 1):
        click(canvas, at(canvas, *truth[i]))
        expected[i] = canvas.viewport_to_image(at(canvas, *truth[i]))
    wheel(canvas, at(canvas, *truth[2]), 3)
    drag(canvas, QPoint(300, 300), QPoint(260, 330), button=Qt.MouseButton.MiddleButton)
    assert canvas.zoom() > 1.9
    for i in (2, 3):
        click(canvas, at(canvas, *truth[i]))
        expected[i] = canvas.viewport_to_image(at(canvas, *truth[i]))
    points = stored(project_dir, template)
    for i in range(4):
        assert near(points[i], truth[i]), (i, points[i], truth[i])
        assert near(points[i], expected[i], 1e-6)
    assert train.isEnabled() and window.act_train.isEnabled()

    # Drag landmark 3 (one edit, on release), nudge landmark 2 right ×2 and down ×10.
    QTest.keyClick(canvas, Qt.Key.Key_F)
    target = (truth[3][0] - 12, truth[3][1] + 8)
    entries_before = log_length(project_dir)
    drag(canvas, at(canvas, *truth[3]), at(canvas, *target))
    assert log_length(project_dir) == entries_before + 1  # one edit for the whole drag
    # The point keeps its offset from the cursor: it moves by the mouse's displacement.
    start, end = (canvas.viewport_to_image(at(canvas, *p)) for p in (truth[3], target))
    dragged = (points[3][0] + end[0] - start[0], points[3][1] + end[1] - start[1])
    assert near(stored(project_dir, template)[3], dragged, 1e-6)
    click(canvas, at(canvas, *points[2]))  # selects it (within the hit radius)
    QTest.keyClick(canvas, Qt.Key.Key_Right)
    QTest.keyClick(canvas, Qt.Key.Key_Right)
    QTest.keyClick(canvas, Qt.Key.Key_Down, SHIFT)
    nudged = (points[2][0] + 2, points[2][1] + 10)
    assert near(stored(project_dir, template)[2], nudged, 1e-6)

    # Undo the Shift+Down, redo it, undo it again: 2 px right remain.
    QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    assert near(stored(project_dir, template)[2], (nudged[0], nudged[1] - 10), 1e-6)
    QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL | SHIFT)
    assert near(stored(project_dir, template)[2], nudged, 1e-6)
    QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    final = stored(project_dir, template)

    window.close()
    assert window.session is None

    # Reopen from the start page's recent list, as a user would.
    again = open_window(qtbot)
    recent = again.start.findChild(QListWidget)
    assert recent.count() >= 1
    recent.setFocus()
    QTest.keyClick(recent, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: again.session is not None)
    assert again.session.folder == project_dir
    assert again.session.template_id() == template
    assert [(p.x, p.y) for p in again.session.landmarks(template)] == final
    assert near(final[2], (nudged[0], nudged[1] - 10), 1e-6)
    assert near(final[3], dragged, 1e-6)
    again.close()


def test_the_image_stays_put_while_the_landmarks_are_placed(qtbot, tmp_path):
    """The side panel's texts change with every click ("10 of 19 landmarks placed", the
    landmark's description, what is still missing), but the canvas never moves under the
    cursor: every click lands where the user aimed."""
    write_phantom_dataset(tmp_path / "rays", 2, PhantomSpec(n_landmarks=4, width=400,
                                                            height=480), seed=2)
    session = ProjectSession.create(tmp_path / "proj", load_schema("isbi2015_cephalometric"))
    session.add_images_task([tmp_path / "rays"])(lambda d, t: None, threading.Event())
    session.images_added()
    session.close()
    window = MainWindow()
    show_active(qtbot, window, width=1000, height=700)   # a laptop screen
    window.open_project(str(tmp_path / "proj"))
    canvas = window.workspace.canvas
    wait_for_image(qtbot, window)
    window.workspace.splitter.setSizes([150, 2000, 50])   # panels dragged as narrow as allowed
    qtbot.wait(50)
    image_id = window.workspace.current_id
    aims = [(20.0 + 19 * i, 30.0 + 23 * i) for i in range(19)]
    before = canvas.image_to_viewport(0, 0)
    for i, aim in enumerate(aims):
        click(canvas, at(canvas, *aim))
        qtbot.wait(20)   # let a re-layout, if any, happen before the next aim
        assert canvas.image_to_viewport(0, 0) == before, f"the image moved at landmark {i + 1}"
    for i, point in enumerate(stored(window.session.folder, image_id)):
        assert near(point, aims[i], 0.6), (i, point, aims[i])
    window.close()


def test_f_fits_wherever_the_focus_is_and_quit_asks_first(qtbot, rays):
    images, _truth = rays
    window = open_window(qtbot)
    create_project(qtbot, window, images)
    canvas, ws = window.workspace.canvas, window.workspace
    wait_for_image(qtbot, window)
    fitted = canvas.zoom()
    wheel(canvas, at(canvas, 50, 50), 3)
    assert canvas.zoom() > fitted * 1.9
    ws.side_tabs.setCurrentWidget(ws.view_panel)
    qtbot.mouseClick(ws.view_panel.preset, LEFT)          # opens the preset list
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is not canvas
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_F)
    assert canvas.zoom() == pytest.approx(fitted)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_1)
    assert canvas.zoom() == pytest.approx(1.0)

    # Ctrl+Q with a project open asks; Cancel keeps the window, Quit with "Do not ask
    # again" closes it and the next Ctrl+Q quits at once.
    QTest.keyClick(window, Qt.Key.Key_Q, CTRL)
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.isVisible())
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), LEFT)
    assert window.isVisible() and window.session is not None
    QTest.keyClick(window, Qt.Key.Key_Q, CTRL)
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.isVisible())
    box.checkBox().click()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), LEFT)
    qtbot.waitUntil(lambda: not window.isVisible())
    again = open_window(qtbot)
    recent = again.start.findChild(QListWidget)
    qtbot.mouseClick(recent.viewport(), LEFT, pos=recent.visualItemRect(recent.item(0)).center())
    qtbot.waitUntil(lambda: again.session is not None)
    again.activateWindow()
    qtbot.waitUntil(again.isActiveWindow)
    QTest.keyClick(again, Qt.Key.Key_Q, CTRL)
    qtbot.waitUntil(lambda: not again.isVisible())


def test_the_first_click_makes_the_template_and_one_undo_takes_both_back(qtbot, rays):
    images, truth = rays
    folder = images.parent / "proj"
    session = ProjectSession.create(folder, LandmarkSchema.from_names(["A", "B", "C", "D"]))
    session.add_images_task([images])(lambda d, t: None, threading.Event())
    session.images_added()
    session.close()
    window = open_window(qtbot)
    window.open_project(str(folder))   # opened, not new: no template is proposed
    canvas, session = window.workspace.canvas, window.session
    wait_for_image(qtbot, window)
    image_id = window.workspace.current_id
    assert session.template_id() is None
    entries = log_length(folder)
    click(canvas, at(canvas, *truth[0]))
    assert session.template_id() == image_id
    assert log_length(folder) == entries + 1   # one edit: the point and the template
    QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    assert session.template_id() is None
    assert stored(folder, image_id)[0] is None
    window.close()


def test_one_click_redraws_each_view_once(qtbot, rays, monkeypatch):
    images, truth = rays
    window = open_window(qtbot)
    create_project(qtbot, window, images)
    ws = window.workspace
    wait_for_image(qtbot, window)
    calls = {"canvas": 0, "landmark panel": 0, "analysis": 0}

    def counting(name, method):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return method(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(ws.canvas, "set_landmarks", counting("canvas", ws.canvas.set_landmarks))
    monkeypatch.setattr(ws.landmarks, "show_image",
                        counting("landmark panel", ws.landmarks.show_image))
    monkeypatch.setattr(ws.measurements, "show_results",
                        counting("analysis", ws.measurements.show_results))
    for i in range(2):
        before = dict(calls)
        click(ws.canvas, at(ws.canvas, *truth[i]))
        assert {k: calls[k] - before[k] for k in calls} == {
            "canvas": 1, "landmark panel": 1, "analysis": 1}
        assert window.session.landmarks(ws.current_id)[i] is not None
    window.close()


def test_escape_leaves_calibration_and_the_calibrate_button_follows(qtbot, rays):
    images, truth = rays
    window = open_window(qtbot)
    create_project(qtbot, window, images)
    ws = window.workspace
    wait_for_image(qtbot, window)
    ws.side_tabs.setCurrentWidget(ws.view_panel)
    qtbot.mouseClick(ws.view_panel.calibrate, LEFT)
    assert ws.view_panel.calibrate.isChecked() and ws.canvas.mode() == "calibrate"
    ws.canvas.setFocus()
    QTest.keyClick(ws.canvas, Qt.Key.Key_Escape)
    assert not ws.view_panel.calibrate.isChecked() and ws.canvas.mode() == "annotate"
    click(ws.canvas, at(ws.canvas, *truth[0]))   # a click places again
    assert window.session.landmarks(ws.current_id)[0] is not None
    window.close()
