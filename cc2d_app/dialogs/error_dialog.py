"""The one place the GUI shows errors.

A :class:`~engine.errors.CC2DError` already carries a message the user can act on, so
it is shown as is (a warning). Anything else is a bug: shown as critical, with the
traceback under "Show Details..." for the bug report.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QCoreApplication, Qt, QThread
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from engine.errors import CC2DError

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]

# Parentless boxes would be garbage-collected (and vanish) once the caller drops them.
_open_boxes: set[QMessageBox] = set()
_previous_hook: ExceptHook | None = None


def show_error(
    parent: QWidget | None,
    title: str,
    error: BaseException | str,
    *,
    details: str | None = None,
) -> QMessageBox:
    """Show ``error`` in a message box without blocking, and return the box.

    ``details`` (e.g. a log excerpt) goes in the expandable details section; for an
    unexpected exception the traceback goes there when no details are given.
    """
    box = QMessageBox(parent)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)  # file names may contain "<"
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if isinstance(error, str | CC2DError):
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(str(error))
    else:
        box.setIcon(QMessageBox.Icon.Critical)
        message = str(error)
        kind = type(error).__name__
        box.setText(f"Something went wrong: {kind}" + (f": {message}" if message else ""))
        if details is None:
            details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _open_boxes.add(box)
    box.finished.connect(lambda _result: _open_boxes.discard(box))
    box.open()  # window-modal and non-blocking: the event loop (and tests) keep running
    return box


def install_excepthook() -> None:
    """Show uncaught exceptions of the GUI thread in a dialog instead of aborting.

    The previous hook still runs first, so the traceback also reaches stderr and logs.
    Installing twice is harmless.
    """
    global _previous_hook
    if _previous_hook is not None and sys.excepthook is _hook:
        return
    _previous_hook = sys.excepthook
    sys.excepthook = _hook


def _hook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    previous = _previous_hook or sys.__excepthook__
    previous(exc_type, exc, tb)
    app = QCoreApplication.instance()
    if not isinstance(app, QApplication) or QThread.currentThread() != app.thread():
        return  # no widgets can be shown from here
    if issubclass(exc_type, KeyboardInterrupt):
        return
    if exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    show_error(QApplication.activeWindow(), "Unexpected error", exc)
