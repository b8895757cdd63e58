"""The measurements panel: values live while a landmark is dragged (real mouse), a click
draws a measurement's lines, analyses chosen from its menu (remembered, with the points
the schema lacks named), a user's broken analysis file reported; and the plain helpers."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from gestures import at, show_active
from PySide6.QtCore import QPoint, QRectF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from cc2d_app.canvas.measurement_overlay import angle_pairs, drawable, label_anchor
from cc2d_app.logic.measurements import measurement_note, range_text, source_text, value_text
from cc2d_app.main_window import MainWindow
from cc2d_app.session import ProjectSession
from cc2d_app.settings import AppSettings
from engine.analysis import load_analysis
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import Landmark, LandmarkSchema, LandmarkSource, default_schema
from engine.project.measuring import measure_image, points_array

LEFT = Qt.MouseButton.LeftButton
NO_MODS = Qt.KeyboardModifier.NoModifier
A_POINT = 4  # ISBI landmark 5 (A): SNA uses it, SNB does not


def isbi():
    schema = default_schema()
    return load_analysis("isbi2015").bind([schema.label(i) for i in range(len(schema))])


def isbi_project(tmp_path, spacing: float | None = None):
    """One phantom image with all 19 ISBI landmarks placed (the template)."""
    _paths, table = write_phantom_dataset(tmp_path / "rays", 1,
                                          PhantomSpec(n_landmarks=19, width=300, height=360))
    folder = tmp_path / "proj"
    s = ProjectSession.create(folder, default_schema())
    s.add_images_task([tmp_path / "rays"])(lambda d, t: None, threading.Event())
    s.images_added()
    rec = s.images()[0]
    s.set_template(rec.id)
    for i, (x, y) in enumerate(table.get(rec.name)):
        s.place(rec.id, i, x, y)
    if spacing is not None:
        s.set_calibration(rec.id, spacing)
    s.close()
    return folder, rec.id


def open_measurements(qtbot, folder):
    window = MainWindow()
    show_active(qtbot, window)
    window.open_project(str(folder))
    ws = window.workspace
    rec = window.session.image(ws.current_id)
    qtbot.waitUntil(lambda: ws.canvas.image_size() == (rec.width, rec.height))
    bar = ws.side_tabs.tabBar()
    tab = next(k for k in range(bar.count()) if bar.tabText(k) == "Analysis")
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(tab).center())
    assert ws.side_tabs.currentWidget() is ws.measurements
    return window, ws


def rows(panel) -> list[str]:
    return [panel.tree.topLevelItem(k).text(0) for k in range(panel.tree.topLevelItemCount())]


def click_row(qtbot, panel, name: str, nth: int = 0) -> None:
    """Click the ``nth`` row showing a measurement's name (names repeat across analyses)."""
    items = [panel.tree.topLevelItem(k) for k in range(panel.tree.topLevelItemCount())
             if panel.tree.topLevelItem(k).text(0) == name]
    rect = panel.tree.visualItemRect(items[nth])
    qtbot.mouseClick(panel.tree.viewport(), LEFT, pos=rect.center())


def pick_in_menu(qtbot, panel, text: str) -> None:
    """Open the Analyses menu with a real click and pick ``text`` with the keyboard."""
    def pick():
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        action = next(a for a in menu.actions() if a.text().startswith(text))
        menu.setActiveAction(action)
        QTest.keyClick(menu, Qt.Key.Key_Return)
    QTimer.singleShot(200, pick)
    qtbot.mouseClick(panel.choose, LEFT)


def test_values_follow_a_dragged_landmark_live(qtbot, tmp_path):
    folder, image_id = isbi_project(tmp_path, spacing=0.1)
    window, ws = open_measurements(qtbot, folder)
    session, panel, canvas = window.session, ws.measurements, ws.canvas
    analysis = isbi()
    before = session.landmarks(image_id)
    sna_before, snb_before = (panel.row_text("isbi2015/SNA")[0],
                              panel.row_text("isbi2015/SNB")[0])
    assert sna_before.endswith("°") and panel.row_text("isbi2015/MW")[0].endswith(" mm")

    a = before[A_POINT]
    press = at(canvas, a.x, a.y)
    grab = np.subtract((a.x, a.y), canvas.viewport_to_image(press))
    vp = canvas.viewport()
    QTest.mousePress(vp, LEFT, NO_MODS, press)
    mid = press + QPoint(25, 0)
    for k in range(1, 6):
        QTest.mouseMove(vp, press + (mid - press) * k / 5)
    # Mid-drag: SNA follows the point under the mouse; nothing is written yet.
    assert session.landmarks(image_id) == before
    x, y = np.add(canvas.viewport_to_image(mid), grab)
    moved = list(before)
    moved[A_POINT] = Landmark(x, y, LandmarkSource.TEMPLATE)
    expected = {r.id: r for r in measure_image(analysis, moved, session.image(image_id).spacing,
                                               0.0)}
    assert panel.row_text("isbi2015/SNA")[0] == value_text(expected["SNA"]) != sna_before
    assert panel.row_text("isbi2015/SNB")[0] == snb_before  # it does not use A

    QTest.mouseRelease(vp, LEFT, NO_MODS, mid)
    after = session.landmarks(image_id)[A_POINT]
    assert after.x == pytest.approx(x, abs=1e-6) and after.y == pytest.approx(y, abs=1e-6)
    assert panel.row_text("isbi2015/SNA")[0] == value_text(expected["SNA"])
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert panel.row_text("isbi2015/SNA")[0] == sna_before  # undo brings the value back
    window.close()


def test_click_draws_a_measurement_and_a_second_click_clears_it(qtbot, tmp_path):
    folder, image_id = isbi_project(tmp_path)
    window, ws = open_measurements(qtbot, folder)
    panel, canvas = ws.measurements, ws.canvas
    results = {r.id: r for r in measure_image(isbi(), window.session.landmarks(image_id),
                                              None, 0.0)}
    assert canvas.measurement_lines() == []
    click_row(qtbot, panel, "SNA")
    assert canvas.measurement_lines() == list(results["SNA"].lines)
    assert "SNA" in panel.detail.text() and "chance of another class" in panel.detail.text()
    click_row(qtbot, panel, "FHI")  # another replaces it
    assert canvas.measurement_lines() == list(results["FHI"].lines)
    click_row(qtbot, panel, "FHI")
    assert canvas.measurement_lines() == [] and panel.selected() == ""
    # Without a spacing lengths are in pixels, unclassified, and the panel says why.
    assert panel.row_text("isbi2015/MW")[0].endswith(" px")
    assert panel.row_text("isbi2015/MW")[2] == "not classified"
    assert "No pixel spacing" in panel.note.text()

    # The drawn lines follow a dragged landmark too.
    click_row(qtbot, panel, "SNA")
    a = window.session.landmarks(image_id)[A_POINT]
    vp = canvas.viewport()
    press = at(canvas, a.x, a.y)
    QTest.mousePress(vp, LEFT, NO_MODS, press)
    for k in range(1, 4):
        QTest.mouseMove(vp, press + QPoint(0, 10 * k))
    lines = canvas.measurement_lines()
    assert lines != list(results["SNA"].lines) and lines[1][1][1] > a.y + 5
    QTest.mouseRelease(vp, LEFT, NO_MODS, press + QPoint(0, 30))
    window.close()


def test_analyses_are_chosen_from_the_menu_and_remembered(qtbot, tmp_path):
    folder, _ = isbi_project(tmp_path, spacing=0.1)
    window, ws = open_measurements(qtbot, folder)
    panel = ws.measurements
    assert rows(panel)[0] == "ISBI 2015 challenge classification"
    pick_in_menu(qtbot, panel, "Steiner")
    shown = rows(panel)
    assert "Steiner" in shown and "U1 to NA (mm)" in shown
    # Steiner's incisor angles need the apices and the occlusal plane the molar point,
    # which the ISBI landmark set lacks: named, not hidden.
    assert "4 more need LIA, Mo, UIA" in shown
    assert panel.row_text("steiner/SNA")[0] == panel.row_text("isbi2015/SNA")[0]
    click_row(qtbot, panel, "SNA", nth=1)           # Steiner's SNA, Steiner's norm
    assert panel.selected() == "steiner/SNA" and "Norm 82 ± 2" in panel.detail.text()
    assert AppSettings().analyses(default_schema().id) == ["isbi2015", "steiner"]
    window.close()

    window, ws = open_measurements(qtbot, folder)    # the choice is kept
    assert "Steiner" in rows(ws.measurements)
    pick_in_menu(qtbot, ws.measurements, "ISBI 2015")   # and undone
    assert "ISBI 2015 challenge classification" not in rows(ws.measurements)
    window.close()


def test_other_landmark_sets_choose_among_all_and_see_broken_files(qtbot, tmp_path,
                                                                   monkeypatch):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "bad.json").write_text('{"format": 2, "id": "bad", "name": "Bad",\n'
                                   ' "measurements": [{"id": "X", "kind": "angel"}]}')
    monkeypatch.setenv("CC2D_USER_ANALYSES_DIR", str(mine))
    write_phantom_dataset(tmp_path / "rays", 1, PhantomSpec(n_landmarks=3, width=80, height=90))
    s = ProjectSession.create(tmp_path / "proj", LandmarkSchema.from_names(["A", "B", "C"]))
    s.add_images_task([tmp_path / "rays"])(lambda d, t: None, threading.Event())
    s.images_added()
    s.close()
    window, ws = open_measurements(qtbot, tmp_path / "proj")
    panel = ws.measurements
    assert "No analysis chosen" in panel.heading.text() and rows(panel) == []
    assert "bad.json, line 2, measurement 1 (X), field 'kind'" in panel.problems.text()
    assert panel.problems.isVisible()
    window.close()


def test_text_helpers():
    analysis = isbi()
    schema = default_schema()
    lms = [Landmark(100.0 + 10 * i, 200.0 - 7 * i, LandmarkSource.PREDICTED, 0.8)
           for i in range(len(schema))]
    lms[3] = None
    pts = points_array(lms, dragged=(0, 1.0, 2.0))
    assert pts.shape == (19, 2) and tuple(pts[0]) == (1.0, 2.0) and np.isnan(pts[3]).all()
    results = {r.id: r for r in measure_image(analysis, lms, None, 1.0)}
    assert value_text(results["SNA"]).endswith("°")
    assert value_text(results["FMA"]).endswith("°")  # S, N, Go, Gn: all placed
    assert value_text(results["ODI"]) == "—"  # through PP_FH it uses Po, not placed
    assert range_text(results["SNA"]) == "79.4–83.2"
    assert "not placed" in measurement_note(lms, None) and "No pixel spacing" in \
        measurement_note(lms, None)
    assert source_text(lms[0]) == "predicted (0.80)" and source_text(None) == "not placed"
    assert source_text(Landmark(1, 2, LandmarkSource.CORRECTED)) == "corrected"


def test_overlay_geometry():
    bounds = QRectF(0, 0, 100, 100)
    vertex = ((50.0, 50.0), (90.0, 50.0)), ((50.0, 50.0), (50.0, 10.0))
    assert angle_pairs(vertex, bounds)[0][0] == (50.0, 50.0)
    assert label_anchor(vertex, True, bounds) == (50.0, 50.0)
    crossing = ((10.0, 10.0), (20.0, 20.0)), ((90.0, 10.0), (80.0, 20.0))
    meet = angle_pairs(crossing, bounds)[0][0]
    assert meet == pytest.approx((50.0, 50.0))
    far = ((10.0, 10.0), (20.0, 11.0)), ((10.0, 30.0), (20.0, 30.5))  # they meet far away
    assert angle_pairs(far, bounds) == [] and label_anchor(far, True, bounds) == (15.0, 10.5)
    nan = ((math.nan, 1.0), (2.0, 3.0))
    assert drawable([nan, vertex[0], vertex[0]]) == [vertex[0]]
