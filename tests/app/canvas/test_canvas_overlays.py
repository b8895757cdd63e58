"""What the canvas draws besides the image: landmark items, loupe, cursor name, scale bar."""

import math

import numpy as np
import pytest
from gestures import at, click, drag, wheel
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cc2d_app.canvas.landmark_item import LandmarkItem
from cc2d_app.canvas.loupe import loupe_magnification

POINTS = [(100.0, 60.0), None, (140.0, 90.0)]


def items(view) -> dict:
    return {i.index: i for i in view.scene().items() if isinstance(i, LandmarkItem)}


def screen_rect(view, item):
    return item.deviceTransform(view.viewportTransform()).mapRect(item.boundingRect())


def test_one_item_per_placed_point_updated_in_place(canvas):
    canvas.set_landmarks(POINTS, [], ["S", "N", "Or"], ["Sella", "Nasion", "Orbitale"])
    first = items(canvas)
    assert sorted(first) == [0, 2]
    canvas.set_landmarks([(10.0, 20.0), (30.0, 40.0), None], [], ["S", "N", "Or"], [])
    second = items(canvas)
    assert sorted(second) == [0, 1]
    assert second[0] is first[0]
    assert (second[0].pos().x(), second[0].pos().y()) == (10.0, 20.0)
    canvas.set_landmarks([], [], [], [])
    assert items(canvas) == {}


def test_items_keep_their_screen_size_when_zooming(canvas):
    canvas.set_landmarks(POINTS, ["#ff0000"], ["S", "N", "Or"], [])
    item = items(canvas)[0]
    before, zoom = screen_rect(canvas, item), canvas.zoom()
    wheel(canvas, canvas.image_to_viewport(100, 60), 4)
    after = screen_rect(canvas, item)
    assert canvas.zoom() == pytest.approx(zoom * 1.25**4)
    assert (after.width(), after.height()) == pytest.approx((before.width(), before.height()))
    # ... and stay on their image point.
    centre = canvas.image_to_viewport(100, 60)
    origin = item.deviceTransform(canvas.viewportTransform()).map(QPointF(0, 0))
    assert (origin.x(), origin.y()) == pytest.approx((centre.x(), centre.y()), abs=0.01)


def patch(view, x, y, half=14):
    p = view.image_to_viewport(x, y).toPoint()
    return view.grab(QRect(p.x() - half, p.y() - half, 2 * half, 2 * half)).toImage()


def test_selected_and_low_confidence_rings_are_drawn_differently(canvas):
    canvas.set_landmarks(POINTS, [], ["S", "N", "Or"], [])
    plain = patch(canvas, 100, 60)
    canvas.set_selected(0)
    selected = patch(canvas, 100, 60)
    canvas.set_selected(None)
    canvas.set_low_confidence([True])
    dashed = patch(canvas, 100, 60)
    assert plain != selected and plain != dashed and selected != dashed
    canvas.set_low_confidence([])
    assert patch(canvas, 100, 60) == plain
    # The flag sticks to the index, also for a landmark placed afterwards.
    canvas.set_landmarks([], [], [], [])
    canvas.set_low_confidence([False, True])
    canvas.set_landmarks([None, (100.0, 60.0)], [], ["S", "S"], [])
    placed_later = patch(canvas, 100, 60)
    canvas.set_low_confidence([])
    assert patch(canvas, 100, 60) != placed_later


def test_loupe_and_name_follow_the_cursor_while_placing(canvas):
    canvas.set_landmarks(POINTS, [], ["S", "N", "Or"], ["Sella", "Nasion", "Orbitale"])
    cursor = []
    canvas.cursorMoved.connect(lambda x, y: cursor.append((x, y)))
    vp = canvas.viewport()
    QTest.mouseMove(vp, at(canvas, 50, 50))
    assert not canvas.loupe.isVisible()  # nothing to place
    canvas.set_active(1)
    QTest.mouseMove(vp, at(canvas, 52, 48))
    assert canvas.loupe.isVisible()
    assert canvas.cursor_label.isVisible() and canvas.cursor_label.text() == "N — Nasion"
    centre = canvas.loupe.centre()
    assert (centre.x(), centre.y()) == pytest.approx((52, 48), abs=0.5)
    assert cursor[-1] == pytest.approx((52, 48), abs=0.5)
    # The loupe keeps away from the cursor.
    assert not canvas.loupe.geometry().contains(at(canvas, 52, 48))

    w, h = canvas.image_size()
    QTest.mouseMove(vp, at(canvas, w + 3, h / 2))  # off the image, still on the widget
    assert not canvas.loupe.isVisible() and not canvas.cursor_label.isVisible()
    assert all(math.isnan(v) for v in cursor[-1])
    QTest.mouseMove(vp, at(canvas, w - 10, h - 10))
    assert canvas.loupe.isVisible()
    assert not canvas.loupe.geometry().contains(at(canvas, w - 10, h - 10))
    QApplication.sendEvent(vp, QEvent(QEvent.Type.Leave))
    assert not canvas.loupe.isVisible()
    assert all(math.isnan(v) for v in cursor[-1])
    QTest.mouseMove(vp, at(canvas, 60, 60))
    assert canvas.loupe.isVisible()
    canvas.set_active(None)
    assert not canvas.loupe.isVisible() and not canvas.cursor_label.isVisible()


def test_loupe_follows_a_dragged_landmark(canvas):
    canvas.set_landmarks(POINTS, [], ["S", "N", "Or"], [])
    vp = canvas.viewport()
    start = at(canvas, 140, 90)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(vp, start + QPoint(30, 10))
    assert canvas.loupe.isVisible()
    centre = canvas.loupe.centre()
    x, y = canvas.viewport_to_image(start + QPoint(30, 10))
    assert (centre.x(), centre.y()) == pytest.approx((x, y), abs=0.5)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    assert not canvas.loupe.isVisible()


def test_loupe_magnifies_the_pixel_under_the_crosshair(make_canvas):
    view = make_canvas(200, 300)
    values = np.zeros((200, 300), np.float32)
    values[80, 120] = 1000.0  # one bright pixel
    view.set_image(values, keep_view=True)
    view.set_window(500.0, 1000.0, False)
    view.set_active(0)
    QTest.mouseMove(view.viewport(), at(view, 120, 80))
    loupe = view.loupe.grab().toImage()
    half = loupe.width() / 2
    centre, m = view.loupe.centre(), loupe_magnification(view.zoom())
    assert m >= 4
    # Where the loupe draws pixel (120, 80): the cursor may sit a fraction of a pixel off it.
    px = round(half + (120 - centre.x()) * m)
    py = round(half + (80 - centre.y()) * m)
    assert loupe.pixelColor(px, py).value() > 200
    assert loupe.pixelColor(round(px + 2 * m), round(py + 2 * m)).value() < 60
    assert loupe.pixelColor(round(px - 2 * m), round(py + 2 * m)).value() < 60


def test_image_pixels_are_centred_on_integer_coordinates(make_canvas):
    view = make_canvas(200, 300)
    values = np.zeros((200, 300), np.float32)
    values[80, 120] = 1000.0
    view.set_image(values, keep_view=True)
    view.set_window(500.0, 1000.0, False)
    wheel(view, view.image_to_viewport(120, 80), 10)
    assert view.zoom() > 15
    shot = view.grab().toImage()

    def value(x, y):
        return shot.pixelColor(view.image_to_viewport(x, y).toPoint()).value()

    assert value(120, 80) > 200
    assert value(119.6, 79.6) > 200 and value(120.4, 80.4) > 200
    assert value(119.3, 80) < 50 and value(120.7, 80) < 50 and value(120, 80.7) < 50


def test_scale_bar_with_a_spacing(canvas):
    assert canvas.scale_bar_text() == ""
    without = canvas.grab().toImage()
    canvas.set_spacing(0.1)
    text = canvas.scale_bar_text()
    mm = float(text.removesuffix(" mm"))
    bar_px = mm / (0.1 / canvas.zoom())
    assert 120 / 2.5 <= bar_px <= 120
    assert canvas.grab().toImage() != without
    wheel(canvas, QPointF(300, 250), 8)
    assert float(canvas.scale_bar_text().removesuffix(" mm")) < mm
    canvas.set_spacing(None)
    assert canvas.scale_bar_text() == ""


def test_keep_view_keeps_zoom_for_the_same_size_only(canvas):
    w, h = canvas.image_size()
    wheel(canvas, QPointF(200, 200), 3)
    zoom, centre = canvas.zoom(), canvas.viewport_to_image(QPointF(300, 250))
    canvas.set_image(np.ones((h, w), np.float32), keep_view=True)
    assert canvas.zoom() == zoom
    assert canvas.viewport_to_image(QPointF(300, 250)) == pytest.approx(centre, abs=1)
    canvas.set_image(np.ones((h + 10, w), np.float32), keep_view=True)
    assert canvas.zoom() < zoom
    assert canvas.image_size() == (w, h + 10)
    canvas.set_image(None)
    assert canvas.image_size() == (0, 0)
    placed = []
    canvas.placeRequested.connect(lambda *a: placed.append(a))
    canvas.set_active(0)
    click(canvas, QPoint(300, 250))
    drag(canvas, QPoint(300, 250), QPoint(320, 260), Qt.MouseButton.RightButton)
    assert placed == []
