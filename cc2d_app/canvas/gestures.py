"""Mouse gestures of :class:`cc2d_app.canvas.view.ImageCanvas`.

One gesture at a time, decided at the press: pan (middle button, or left with Space held),
window/level (right), a calibration line (left in calibrate mode), a landmark drag (left
within PICK_RADIUS of a placed landmark) or a click that places the active landmark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent

from cc2d_app.canvas.geometry import (
    clamp_to_image,
    inside_image,
    nearest_landmark,
    window_after_drag,
)

PICK_RADIUS = 8.0  # screen px
CLICK_SLOP = 4.0  # screen px a click may wander before it is a drag, not a placement


@dataclass
class Gesture:
    kind: str  # "pan", "window", "calibrate", "drag" or "click"
    button: Qt.MouseButton
    start: QPointF  # viewport px
    last: QPointF
    index: int | None = None  # the landmark dragged
    origin: tuple[float, float] = (0.0, 0.0)  # image px: line start, or landmark before drag
    grab: tuple[float, float] = (0.0, 0.0)  # landmark minus cursor, so it does not jump


class GestureHandling:
    """Mouse half of ImageCanvas (a mixin: it uses the canvas's layers and signals)."""

    def _init_gestures(self) -> None:
        self._gesture: Gesture | None = None
        self._space_held = False

    def _dragged_index(self) -> int | None:
        g = self._gesture
        return g.index if g is not None and g.kind == "drag" else None

    def _placing_possible(self) -> bool:
        g = self._gesture
        return (g is None or g.kind == "click") and not self._space_held

    def _set_space_held(self, held: bool) -> None:
        self._space_held = held
        self._update_cursor()
        self._update_hover()

    def _update_cursor(self) -> None:
        g = self._gesture
        if g is not None and g.kind == "pan":
            shape = Qt.CursorShape.ClosedHandCursor
        elif self._space_held:
            shape = Qt.CursorShape.OpenHandCursor
        elif self._mode == "calibrate" or self._active is not None:
            shape = Qt.CursorShape.CrossCursor
        else:
            shape = Qt.CursorShape.ArrowCursor
        self.viewport().setCursor(shape)

    def _cancel_gesture(self) -> None:
        """Drop a gesture in progress (new image, mode change); a dragged landmark returns."""
        g = self._gesture
        self._gesture = None
        if g is not None and g.kind == "drag" and self._landmarks.placed(g.index):
            self._landmarks.items[g.index].setPos(*g.origin)
        self._update_cursor()

    def _image_point(self, pos: QPointF) -> tuple[float, float]:
        return clamp_to_image(*self.viewport_to_image(pos), *self._image.size)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        pos, button = event.position(), event.button()
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if self._gesture is not None or self._image.values is None:
            event.accept()  # a second button during a gesture does nothing
            return
        left = button == Qt.MouseButton.LeftButton
        if button == Qt.MouseButton.MiddleButton or (left and self._space_held):
            self._gesture = Gesture("pan", button, pos, pos)
        elif button == Qt.MouseButton.RightButton:
            self._gesture = Gesture("window", button, pos, pos)
        elif left and self._mode == "calibrate":
            x, y = self._image_point(pos)
            self._gesture = Gesture("calibrate", button, pos, pos, origin=(x, y))
            self._calibration.set_line(x, y, x, y)
        elif left:
            self._gesture = self._pick(pos) or Gesture("click", button, pos, pos)
        else:
            event.ignore()
            return
        self._update_cursor()
        self._update_hover()
        event.accept()

    def landmark_at(self, pos: QPointF) -> int | None:
        """The placed landmark whose centre is nearest viewport ``pos``, within PICK_RADIUS:
        the one hovering names and a drag moves, whatever is drawn on top."""
        screen = []
        for p in self._landmarks.points:
            q = None if p is None else self.image_to_viewport(*p)
            screen.append(None if q is None else (q.x(), q.y()))
        return nearest_landmark(screen, (pos.x(), pos.y()), PICK_RADIUS)

    def _pick(self, pos: QPointF) -> Gesture | None:
        """Select and start dragging the placed landmark within PICK_RADIUS of ``pos``."""
        index = self.landmark_at(pos)
        if index is None:
            return None
        self._landmarks.select(index)
        self.landmarkPicked.emit(index)
        x, y = self._landmarks.points[index]
        cx, cy = self.viewport_to_image(pos)
        return Gesture("drag", Qt.MouseButton.LeftButton, pos, pos, index, (x, y), (x - cx, y - cy))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        pos = event.position()
        g = self._gesture
        if g is not None:
            dx, dy = pos.x() - g.last.x(), pos.y() - g.last.y()
            g.last = QPointF(pos)
            if g.kind == "pan":
                self._pan(dx, dy)
            elif g.kind == "window":
                self._drag_window(dx, dy)
            elif g.kind == "calibrate":
                self._calibration.set_line(*g.origin, *self._image_point(pos))
            elif g.kind == "drag":
                cx, cy = self.viewport_to_image(pos)
                x, y = clamp_to_image(cx + g.grab[0], cy + g.grab[1], *self._image.size)
                self._landmarks.items[g.index].setPos(x, y)
                self.landmarkDragging.emit(g.index, x, y)
        self._hover(pos)
        event.accept()

    def _drag_window(self, dx: float, dy: float) -> None:
        centre, width, invert = self._image.current_window()
        centre, width = window_after_drag(centre, width, dx, dy, self._image.span)
        self.set_window(centre, width, invert)
        self.windowChanged.emit(centre, width)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        g = self._gesture
        if g is None or event.button() != g.button:
            event.accept()
            return
        self._gesture = None
        pos = event.position()
        if g.kind == "click":
            self._finish_click(g, pos)
        elif g.kind == "drag":
            self._finish_drag(g)
        elif g.kind == "calibrate":
            x1, y1 = self._image_point(pos)
            if (x1, y1) == g.origin:
                self._calibration.clear()
            else:
                self._calibration.set_line(*g.origin, x1, y1)
                self.calibrationLineDrawn.emit(*g.origin, x1, y1)
        self._update_cursor()
        self._hover(pos)
        event.accept()

    def _finish_click(self, g: Gesture, pos: QPointF) -> None:
        wandered = math.hypot(pos.x() - g.start.x(), pos.y() - g.start.y())
        if self._active is None or self._mode != "annotate" or wandered > CLICK_SLOP:
            return
        # The press is where the user aimed; the release may have slipped a little.
        x, y = self.viewport_to_image(g.start)
        if inside_image(x, y, *self._image.size):
            self.placeRequested.emit(self._active, x, y)

    def _finish_drag(self, g: Gesture) -> None:
        item = self._landmarks.items[g.index]
        x, y = item.pos().x(), item.pos().y()
        if math.hypot(x - g.origin[0], y - g.origin[1]) * self._zoom >= 1.0:
            self._landmarks.move(g.index, x, y)
            self.moveRequested.emit(g.index, x, y)
        else:
            item.setPos(*g.origin)
            self.landmarkDragging.emit(g.index, *g.origin)  # back where it was: no edit

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        # A quick second click is another click here, not a gesture of its own.
        self.mousePressEvent(event)
