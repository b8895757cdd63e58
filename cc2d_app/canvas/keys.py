"""Keys of :class:`cc2d_app.canvas.view.ImageCanvas`.

The canvas takes only the keys it acts on right now (F, 1, Space, Escape while calibrating,
arrows and Delete/Backspace with a landmark selected). It claims those ahead of the main
window's shortcuts and lets every other key through, so PageUp, Ctrl+Z, ... keep working
while the canvas has focus.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent

from cc2d_app.canvas.geometry import nudge

ARROWS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}


class KeyHandling:
    """Key half of ImageCanvas (a mixin: it uses the canvas's layers and signals)."""

    def _escape_calibration(self) -> None:
        self.set_mode("annotate")
        self.calibrationEscaped.emit()   # the window's state and Calibrate button follow

    def _key_action(self, event: QKeyEvent) -> Callable[[], None] | None:
        """What a key press does here, or None when the canvas leaves it to others."""
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        shift = mods == Qt.KeyboardModifier.ShiftModifier
        plain = mods == Qt.KeyboardModifier.NoModifier
        has_image = self._image.values is not None
        selected = self._landmarks.selected()
        editable = self._landmarks.placed(selected) and self._gesture is None
        if key == Qt.Key.Key_Space and plain:
            # Auto-repeat presses are taken too, but only the first one counts.
            return (lambda: None) if event.isAutoRepeat() else partial(self._set_space_held, True)
        if key == Qt.Key.Key_F and plain and has_image:
            return self.fit
        if key == Qt.Key.Key_1 and plain and has_image:
            return self.zoom_1to1
        if key == Qt.Key.Key_Escape and plain and self._mode == "calibrate":
            return self._escape_calibration
        if key in ARROWS and (plain or shift) and editable:
            return partial(self._nudge, *ARROWS[key], big=shift)
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and plain and editable:
            return partial(self.clearRequested.emit, selected)
        return None

    def event(self, event: QEvent) -> bool:
        # A shortcut of the main window on the same key would otherwise win.
        if event.type() == QEvent.Type.ShortcutOverride and self._key_action(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        action = self._key_action(event)
        if action is None:
            event.ignore()  # the parent and the main window's shortcuts see it
            return
        action()
        event.accept()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._set_space_held(False)
            event.accept()
            return
        event.ignore()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt override)
        self._set_space_held(False)  # the release will go elsewhere
        super().focusOutEvent(event)

    def _nudge(self, dx: int, dy: int, *, big: bool) -> None:
        index = self._landmarks.selected()
        x0, y0 = self._landmarks.points[index]
        x, y = nudge(x0, y0, dx, dy, big, *self._image.size)
        if (x, y) != (x0, y0):
            self._landmarks.move(index, x, y)
            self.moveRequested.emit(index, x, y)
            self._update_hover()
