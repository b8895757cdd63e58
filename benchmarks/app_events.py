"""Driving the real app from a script: let Qt's event loop run, or wait for a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QApplication


def pump(app: QApplication, seconds: float = 0.3) -> None:
    """Process events for ``seconds`` (the app's timers, workers' signals, repaints)."""
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.02)


def wait_until(app: QApplication, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Process events until ``condition()`` holds; TimeoutError after ``timeout`` seconds."""
    end = time.time() + timeout
    while not condition():
        if time.time() > end:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def open_main_window(width: int = 1440, height: int = 900) -> tuple[QApplication, Any]:
    """The app as a user starts it (theme, main window shown and active), for a script."""
    from cc2d_app.main_window import MainWindow
    from cc2d_app.views.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    window = MainWindow()
    window.resize(width, height)
    window.show()
    window.activateWindow()
    return app, window
