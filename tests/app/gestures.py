"""Real mouse and wheel events on the canvas viewport."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cc2d_app.canvas.view import ImageCanvas

LEFT = Qt.MouseButton.LeftButton
NO_MODS = Qt.KeyboardModifier.NoModifier


def at(view: ImageCanvas, x: float, y: float) -> QPoint:
    """The viewport pixel showing image point (x, y)."""
    return view.image_to_viewport(x, y).toPoint()


def click(view, pos: QPoint, button=Qt.MouseButton.LeftButton, mods=Qt.KeyboardModifier.NoModifier):
    QTest.mouseClick(view.viewport(), button, mods, pos)


def drag(view, start: QPoint, end: QPoint, button=Qt.MouseButton.LeftButton, steps: int = 4):
    """Press, move in ``steps`` moves, release: a real drag through the viewport."""
    vp = view.viewport()
    QTest.mousePress(vp, button, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, steps + 1):
        QTest.mouseMove(vp, start + (end - start) * i / steps)
    QTest.mouseRelease(vp, button, Qt.KeyboardModifier.NoModifier, end)


def wheel(view, pos: QPointF, notches: int) -> None:
    vp = view.viewport()
    event = QWheelEvent(
        QPointF(pos),
        QPointF(vp.mapToGlobal(QPointF(pos))),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(vp, event)


def show_active(qtbot, window, width: int = 1300, height: int = 850) -> None:
    """Show ``window`` and wait until it is active: shortcuts only reach the active window."""
    qtbot.addWidget(window)
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
