"""A newcomer's path: Open demo → annotate the template → Train is enabled; plus navigation,
the status filter, window/level carried between images, and calibration."""

from __future__ import annotations

import pytest
from gestures import at, click, drag, show_active
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QDoubleSpinBox, QLabel, QPushButton

from cc2d_app.dialogs.train_dialog import TrainDialog
from cc2d_app.main_window import MainWindow
from cc2d_app.settings import AppSettings
from engine.data.landmarks import read_landmark_csv
from engine.project.demo import IMAGES_DIR

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture()
def demo_cache(tmp_path):
    return tmp_path


@pytest.fixture()
def window(qtbot, monkeypatch, demo_cache):
    monkeypatch.setattr(AppSettings, "demo_dir", staticmethod(lambda: demo_cache / "demo"))
    w = MainWindow()
    show_active(qtbot, w)
    qtbot.mouseClick(w.start.findChild(QPushButton, "demoButton"), LEFT)
    qtbot.waitUntil(lambda: w.session is not None, timeout=60000)
    yield w
    w.close()


def shown(qtbot, window) -> None:
    rec = window.session.image(window.workspace.current_id)
    qtbot.waitUntil(lambda: window.workspace.canvas.image_size() == (rec.width, rec.height),
                    timeout=10000)


def test_demo_annotate_template_until_train(qtbot, window, demo_cache):
    session, canvas = window.session, window.workspace.canvas
    template = session.template_id()
    assert template is not None and window.workspace.current_id == template
    shown(qtbot, window)
    truth = read_landmark_csv(demo_cache / "demo" / IMAGES_DIR / "landmarks.csv")
    points = truth.get(session.image(template).name)
    train = window.workspace.landmarks.train
    for i, (x, y) in enumerate(points):
        assert not train.isEnabled() and not window.act_train.isEnabled()
        assert window.workspace.active == i  # the next one is named and highlighted
        click(canvas, at(canvas, x, y))
    placed = session.landmarks(template)
    assert all(p is not None and abs(p.x - x) <= 0.5 and abs(p.y - y) <= 0.5
               for p, (x, y) in zip(placed, points))
    assert train.isEnabled() and window.act_train.isEnabled()
    qtbot.mouseClick(train, LEFT)
    dialog = window.findChild(TrainDialog)
    qtbot.waitExposed(dialog)
    assert "12 images" in dialog.findChild(QLabel, "heading").text()
    dialog.reject()


def test_delete_makes_train_say_what_is_missing(qtbot, window):
    session, canvas = window.session, window.workspace.canvas
    shown(qtbot, window)
    template = session.template_id()
    for i in range(len(session.schema)):
        click(canvas, at(canvas, 20 + 12 * i, 30 + 9 * i))
    assert window.workspace.landmarks.train.isEnabled()
    click(canvas, at(canvas, 20 + 12 * 3, 30 + 9 * 3))  # select landmark 4
    QTest.keyClick(canvas, Qt.Key.Key_Delete)
    assert session.landmarks(template)[3] is None
    assert not window.workspace.landmarks.train.isEnabled()
    assert "M4" in window.workspace.landmarks.train_hint.text()
    assert window.workspace.active == 3  # a click now places it again
    click(canvas, at(canvas, 100, 100))
    assert session.landmarks(template)[3] is not None


def test_page_keys_filter_and_window_carried_over(qtbot, window):
    ws = window.workspace
    shown(qtbot, window)
    first = ws.current_id
    centre0 = ws.view_panel.centre.value()
    # Right-drag changes the window; it stays when going to the next image.
    drag(ws.canvas, QPoint(300, 300), QPoint(360, 260), button=Qt.MouseButton.RightButton)
    centre, width = ws.view_panel.centre.value(), ws.view_panel.width.value()
    assert centre != centre0
    # One window/level, in the annotation state; the canvas draws with it, the panel shows it.
    assert ws.state.window == ws.canvas.current_window()
    assert ws.state.window[:2] == pytest.approx((centre, width), abs=0.1)
    qtbot.mouseClick(ws.view_panel.invert, Qt.MouseButton.LeftButton,
                     pos=QPoint(8, ws.view_panel.invert.height() // 2))
    assert ws.state.window[2] and ws.state.window == ws.canvas.current_window()
    QTest.keyClick(ws.canvas, Qt.Key.Key_PageDown)
    assert ws.current_id != first
    shown(qtbot, window)
    assert (ws.view_panel.centre.value(), ws.view_panel.width.value()) == (centre, width)
    assert ws.view_panel.invert.isChecked() and ws.canvas.current_window() == ws.state.window
    QTest.keyClick(ws.canvas, Qt.Key.Key_PageUp)
    assert ws.current_id == first

    # Filter: only the template.
    combo = ws.images.filter
    combo.setFocus()
    index = combo.findData("template")
    for _ in range(index):
        QTest.keyClick(combo, Qt.Key.Key_Down)
    assert ws.images.count.text() == f"1 of {len(window.session.images())} images"


def test_calibration_stores_spacing_and_shows_scale_bar(qtbot, window):
    ws = window.workspace
    shown(qtbot, window)
    assert ws.canvas.scale_bar_text() == ""
    ws.side_tabs.setCurrentWidget(ws.view_panel)
    qtbot.mouseClick(ws.view_panel.calibrate, LEFT)
    drag(ws.canvas, at(ws.canvas, 50, 100), at(ws.canvas, 250, 100))
    dialog = next(w for w in QApplication.topLevelWidgets()
                  if isinstance(w, QDialog) and w.isVisible()
                  and w.windowTitle() == "Calibrate pixel size")
    field = dialog.findChild(QDoubleSpinBox)
    field.selectAll()
    QTest.keyClicks(field, "50")
    QTest.keyClick(field, Qt.Key.Key_Return)
    spacing = window.session.image(ws.current_id).spacing
    length = ws.canvas.viewport_to_image(at(ws.canvas, 250, 100))[0] - \
        ws.canvas.viewport_to_image(at(ws.canvas, 50, 100))[0]
    assert spacing.source == "calibration"
    assert spacing.col_mm == pytest.approx(50 / length, rel=1e-6)
    assert ws.canvas.scale_bar_text().endswith("mm")
    assert "calibrated" in ws.view_panel.spacing.text()
    QTest.keyClick(ws.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.session.image(ws.current_id).spacing is None
    assert ws.canvas.scale_bar_text() == ""
