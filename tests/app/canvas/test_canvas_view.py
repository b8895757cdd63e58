"""ImageCanvas driven by real mouse, wheel and key events on its viewport."""

import math

import pytest
from gestures import LEFT, NO_MODS, at, click, drag, wheel
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip

MIDDLE = Qt.MouseButton.MiddleButton
RIGHT = Qt.MouseButton.RightButton
SHIFT = Qt.KeyboardModifier.ShiftModifier


def recorder(signal) -> list:
    seen = []
    signal.connect(lambda *args: seen.append(args))
    return seen


def assert_click_places(view, x, y, index=3):
    placed = recorder(view.placeRequested)
    pos = at(view, x, y)
    assert view.viewport().rect().contains(pos)
    click(view, pos)
    assert len(placed) == 1
    i, px, py = placed[0]
    assert i == index
    assert px == pytest.approx(x, abs=0.5) and py == pytest.approx(y, abs=0.5)


def visible_points(view, w, h):
    """A few image points spread over what the viewport shows."""
    vp = view.viewport()
    out = []
    for fx, fy in ((0.3, 0.3), (0.5, 0.5), (0.7, 0.6), (0.45, 0.8)):
        x, y = view.viewport_to_image(QPointF(vp.width() * fx, vp.height() * fy))
        if -0.5 < x < w - 0.5 and -0.5 < y < h - 0.5:
            out.append((round(x, 1) + 0.3, round(y, 1) - 0.2))
    assert out
    return out


def test_click_places_at_the_image_point_at_several_zooms_and_pans(canvas):
    w, h = canvas.image_size()
    canvas.set_active(3)
    for x, y in [(5, 7), (w - 3, h - 2), ((w - 1) / 2, (h - 1) / 2), (123.4, 56.7)]:
        assert_click_places(canvas, x, y)

    wheel(canvas, canvas.image_to_viewport(w / 2, h / 2), 5)  # 1.25**5 ≈ 3×
    for x, y in visible_points(canvas, w, h):
        assert_click_places(canvas, x, y)

    before = canvas.image_to_viewport(w / 2, h / 2)
    drag(canvas, QPoint(300, 250), QPoint(260, 210), MIDDLE)
    moved = canvas.image_to_viewport(w / 2, h / 2) - before
    assert (moved.x(), moved.y()) == pytest.approx((-40, -40), abs=1)
    for x, y in visible_points(canvas, w, h):
        assert_click_places(canvas, x, y)

    placed = recorder(canvas.placeRequested)
    QTest.keyPress(canvas, Qt.Key.Key_Space)
    before = canvas.image_to_viewport(w / 2, h / 2)
    drag(canvas, QPoint(300, 250), QPoint(330, 230))
    click(canvas, QPoint(320, 240))  # Space held: a click pans, never places
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    moved = canvas.image_to_viewport(w / 2, h / 2) - before
    assert (moved.x(), moved.y()) == pytest.approx((30, -20), abs=1)
    assert placed == []
    for x, y in visible_points(canvas, w, h):
        assert_click_places(canvas, x, y)


def test_clicks_outside_the_image_or_without_active_landmark_place_nothing(canvas):
    placed = recorder(canvas.placeRequested)
    w, h = canvas.image_size()
    click(canvas, at(canvas, 10, 10))  # no active landmark yet
    canvas.set_active(0)
    click(canvas, at(canvas, -3, h / 2))
    click(canvas, at(canvas, w / 2, h + 2))
    assert placed == []
    drag(canvas, at(canvas, 20, 20), at(canvas, 40, 40))  # a drag on empty image
    assert placed == []


def test_wheel_zoom_keeps_the_image_point_under_the_cursor(canvas):
    fit_zoom = canvas.zoom()
    for pos, notches in ((QPointF(150, 120), 3), (QPointF(420, 300), 2), (QPointF(380, 90), -4)):
        before = canvas.viewport_to_image(pos)
        old = canvas.zoom()
        wheel(canvas, pos, notches)
        assert canvas.zoom() == pytest.approx(old * 1.25**notches)
        assert canvas.viewport_to_image(pos) == pytest.approx(before, abs=0.5)
    assert canvas.zoom() == pytest.approx(fit_zoom * 1.25)
    wheel(canvas, QPointF(300, 250), 60)
    assert canvas.zoom() == pytest.approx(40.0)
    wheel(canvas, QPointF(300, 250), -80)
    assert canvas.zoom() == pytest.approx(0.02)


def test_f_fits_and_1_shows_one_to_one_about_the_centre(canvas):
    w, h = canvas.image_size()
    fit_zoom = canvas.zoom()
    middle = QPointF(300, 250)
    assert canvas.viewport_to_image(middle) == pytest.approx(((w - 1) / 2, (h - 1) / 2), abs=1)
    wheel(canvas, QPointF(100, 100), 2)
    centre = canvas.viewport_to_image(middle)
    QTest.keyClick(canvas, Qt.Key.Key_1)
    assert canvas.zoom() == 1.0
    assert canvas.viewport_to_image(middle) == pytest.approx(centre, abs=1)
    QTest.keyClick(canvas, Qt.Key.Key_F)
    assert canvas.zoom() == pytest.approx(fit_zoom)
    assert canvas.viewport_to_image(middle) == pytest.approx(((w - 1) / 2, (h - 1) / 2), abs=1)
    corners = [canvas.image_to_viewport(x, y) for x, y in ((-0.5, -0.5), (w - 0.5, h - 0.5))]
    assert all(canvas.viewport().rect().contains(p.toPoint()) for p in corners)


def place_two(view):
    view.set_landmarks([(100.0, 60.0), None, (140.0, 90.0)], ["#00ff00"], ["S", "N", "Or"], [])


def hover_text(view, pos: QPoint) -> str:
    """What a real tooltip (help) event at viewport ``pos`` shows."""
    vp = view.viewport()
    QApplication.sendEvent(vp, QHelpEvent(QEvent.Type.ToolTip, pos, vp.mapToGlobal(pos)))
    return QToolTip.text() if QToolTip.isVisible() else ""


def test_overlapping_markers_hover_and_drag_the_nearest_centre(qtbot, canvas):
    # Lower incisor tip 3 image px right of the upper one: at fit zoom (2 screen px per
    # image px) the upper one's label would lie on the lower one's ring.
    canvas.set_landmarks([(100.0, 60.0), (103.0, 60.0)], ["#ff0000", "#00ff00"],
                         ["UIT", "LIT"], ["Upper incisal incision", "Lower incisal incision"])
    canvas.set_tooltips(["UIT — Upper incisal incision", "LIT — Lower incisal incision"])
    uit, lit = at(canvas, 100.0, 60.0), at(canvas, 103.0, 60.0)
    # Drawn apart: each label clear of the other and of the other's ring.
    uit_label, lit_label = canvas.landmark_label_rect(0), canvas.landmark_label_rect(1)
    assert uit_label.width() > 10 and lit_label.width() > 10
    assert not uit_label.intersects(lit_label)
    assert not uit_label.contains(lit.toPointF()) and not lit_label.contains(uit.toPointF())
    assert hover_text(canvas, lit).startswith("LIT")
    assert hover_text(canvas, uit).startswith("UIT")
    hover_text(canvas, uit + QPoint(40, 40))     # away from both: the tip goes
    qtbot.waitUntil(lambda: not QToolTip.isVisible())
    moves = recorder(canvas.moveRequested)
    drag(canvas, lit, lit + QPoint(0, 20))
    assert [m[0] for m in moves] == [1]


def test_drag_emits_one_move_with_the_final_position(canvas):
    place_two(canvas)
    canvas.set_active(1)
    moves, picked = recorder(canvas.moveRequested), recorder(canvas.landmarkPicked)
    placed = recorder(canvas.placeRequested)
    start, end = at(canvas, 100, 60), at(canvas, 120, 75)
    vp = canvas.viewport()
    QTest.mousePress(vp, LEFT, NO_MODS, start)
    for i in range(1, 6):
        QTest.mouseMove(vp, start + (end - start) * i / 5)
        # The main window echoing the old data must not yank the item back mid-drag.
        place_two(canvas)
    assert moves == []
    item = next(i for i in canvas.scene().items() if getattr(i, "index", None) == 0)
    assert canvas.image_to_viewport(item.pos().x(), item.pos().y()).toPoint() == end
    QTest.mouseRelease(vp, LEFT, NO_MODS, end)
    assert picked == [(0,)]
    assert placed == []
    assert len(moves) == 1
    i, x, y = moves[0]
    ex, ey = canvas.viewport_to_image(end)
    assert i == 0 and (x, y) == pytest.approx((ex, ey), abs=0.5)
    assert (x, y) == pytest.approx((120, 75), abs=0.5)


def test_a_drag_ends_quietly_when_its_landmark_is_cleared_meanwhile(canvas):
    place_two(canvas)
    moves = recorder(canvas.moveRequested)
    vp, start = canvas.viewport(), at(canvas, 140, 90)
    QTest.mousePress(vp, LEFT, NO_MODS, start)
    QTest.mouseMove(vp, start + QPoint(20, 20))
    canvas.set_landmarks([(100.0, 60.0)], [], ["S"], [])
    QTest.mouseMove(vp, start + QPoint(30, 20))
    QTest.mouseRelease(vp, LEFT, NO_MODS, start + QPoint(30, 20))
    assert moves == []
    drag(canvas, at(canvas, 100, 60), at(canvas, 90, 50))
    assert len(moves) == 1 and moves[0][0] == 0


def test_press_and_release_on_a_landmark_selects_without_moving(canvas):
    place_two(canvas)
    moves, picked = recorder(canvas.moveRequested), recorder(canvas.landmarkPicked)
    click(canvas, at(canvas, 140, 90))
    assert picked == [(2,)] and moves == []


def test_click_within_8_screen_px_selects_instead_of_placing(canvas):
    place_two(canvas)
    canvas.set_active(1)
    placed, picked = recorder(canvas.placeRequested), recorder(canvas.landmarkPicked)
    near = canvas.image_to_viewport(100, 60) + QPointF(5, 4)
    click(canvas, near.toPoint())
    assert picked == [(0,)] and placed == []
    far = canvas.image_to_viewport(100, 60) + QPointF(12, 0)
    click(canvas, far.toPoint())
    assert picked == [(0,)] and len(placed) == 1 and placed[0][0] == 1


def test_arrows_nudge_and_delete_clears_the_selected_landmark(canvas):
    place_two(canvas)
    moves, cleared = recorder(canvas.moveRequested), recorder(canvas.clearRequested)
    QTest.keyClick(canvas, Qt.Key.Key_Right)  # nothing selected yet
    assert moves == []
    click(canvas, at(canvas, 100, 60))
    QTest.keyClick(canvas, Qt.Key.Key_Right)
    QTest.keyClick(canvas, Qt.Key.Key_Down, SHIFT)
    QTest.keyClick(canvas, Qt.Key.Key_Up)
    QTest.keyClick(canvas, Qt.Key.Key_Left, SHIFT)
    assert moves == [(0, 101.0, 60.0), (0, 101.0, 70.0), (0, 101.0, 69.0), (0, 91.0, 69.0)]
    for _ in range(12):
        QTest.keyClick(canvas, Qt.Key.Key_Left, SHIFT)
    assert moves[-1] == (0, -0.5, 69.0)
    QTest.keyClick(canvas, Qt.Key.Key_Delete)
    QTest.keyClick(canvas, Qt.Key.Key_Backspace)
    assert cleared == [(0,), (0,)]


def test_keys_the_canvas_does_not_handle_reach_the_parent(qtbot, make_canvas):
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    class Parent(QWidget):
        def __init__(self):
            super().__init__()
            self.keys = []

        def keyPressEvent(self, event):  # noqa: N802
            self.keys.append((event.key(), event.modifiers()))

    parent = Parent()
    qtbot.addWidget(parent)
    view = make_canvas()
    QVBoxLayout(parent).addWidget(view)
    parent.show()
    qtbot.waitExposed(parent)
    QTest.keyClick(view, Qt.Key.Key_PageDown)
    QTest.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(view, Qt.Key.Key_Right)  # nothing selected: not a nudge
    QTest.keyClick(view, Qt.Key.Key_F)  # the canvas's own
    keys = [k for k, _ in parent.keys if k != Qt.Key.Key_Control]  # QTest presses Ctrl too
    assert keys == [Qt.Key.Key_PageDown, Qt.Key.Key_Z, Qt.Key.Key_Right]


def test_canvas_keys_win_over_main_window_shortcuts_and_others_pass(qtbot, canvas):
    from PySide6.QtGui import QAction, QKeySequence

    fired = []
    for key in ("Delete", "PgDown"):
        action = QAction(key, canvas.window())
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(lambda _=False, key=key: fired.append(key))
        canvas.window().addAction(action)
    cleared = recorder(canvas.clearRequested)
    QTest.keyClick(canvas, Qt.Key.Key_Delete)  # nothing selected: the shortcut's
    place_two(canvas)
    click(canvas, at(canvas, 100, 60))
    QTest.keyClick(canvas, Qt.Key.Key_Delete)  # a landmark selected: the canvas's
    QTest.keyClick(canvas, Qt.Key.Key_PageDown)
    assert cleared == [(0,)]
    assert fired == ["Delete", "PgDown"]


def test_right_drag_changes_the_window(canvas):
    canvas.set_window(500.0, 400.0, False)
    before = canvas.grab().toImage()
    windows = recorder(canvas.windowChanged)
    drag(canvas, QPoint(300, 250), QPoint(350, 250), RIGHT, steps=2)
    assert windows[-1] == pytest.approx((500.0, 500.0))  # span 1000: 2 per screen px
    drag(canvas, QPoint(300, 250), QPoint(300, 225), RIGHT, steps=1)
    assert windows[-1] == pytest.approx((450.0, 500.0))
    assert len(windows) == 3
    assert canvas.grab().toImage() != before


def test_calibrate_mode_draws_a_line_and_escape_leaves_it(canvas):
    canvas.set_active(0)
    lines, placed = recorder(canvas.calibrationLineDrawn), recorder(canvas.placeRequested)
    canvas.set_mode("calibrate")
    drag(canvas, at(canvas, 50, 40), at(canvas, 150, 40))
    assert placed == []
    assert len(lines) == 1
    assert lines[0] == pytest.approx((50, 40, 150, 40), abs=0.5)
    length = math.hypot(lines[0][2] - lines[0][0], lines[0][3] - lines[0][1])
    assert canvas.calibration_text() == f"{length:.1f} px"
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert canvas.mode() == "annotate"
    assert canvas.calibration_text() == ""
    click(canvas, at(canvas, 60, 60))
    assert len(placed) == 1 and len(lines) == 1
