import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

from cc2d_app.dialogs.error_dialog import install_excepthook, show_error
from engine.errors import ImageReadError


def _click_ok(qtbot, box: QMessageBox) -> None:
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not box.isVisible())


def test_engine_error_is_a_warning_with_its_own_message(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    error = ImageReadError("image folder /x/rays contains no images (2 other files)")
    box = show_error(parent, "Cannot add images", error)
    qtbot.waitUntil(box.isVisible)  # shown without blocking the test
    assert box.windowTitle() == "Cannot add images"
    assert box.icon() == QMessageBox.Icon.Warning
    assert box.text() == "image folder /x/rays contains no images (2 other files)"
    assert box.detailedText() == ""
    _click_ok(qtbot, box)


def test_unexpected_exception_is_critical_with_traceback(qtbot):
    try:
        int("twelve")
    except ValueError as exc:
        error = exc
    box = show_error(None, "Oops", error)
    qtbot.waitUntil(box.isVisible)
    assert box.icon() == QMessageBox.Icon.Critical
    assert box.text() == (
        "Something went wrong: ValueError: invalid literal for int() with base 10: 'twelve'"
    )
    assert box.detailedText().startswith("Traceback (most recent call last)")
    assert 'int("twelve")' in box.detailedText()
    _click_ok(qtbot, box)


def test_given_details_and_plain_text(qtbot):
    box = show_error(None, "Training stopped", "Out of GPU memory.", details="log line 1\nline 2")
    qtbot.waitUntil(box.isVisible)
    assert box.icon() == QMessageBox.Icon.Warning
    assert box.text() == "Out of GPU memory."
    assert box.detailedText() == "log line 1\nline 2"
    _click_ok(qtbot, box)


@pytest.mark.qt_no_exception_capture
def test_excepthook_shows_uncaught_slot_errors(qtbot, monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda *args: seen.append(args[0]))
    install_excepthook()
    install_excepthook()  # twice must not show two dialogs

    def broken() -> None:
        raise KeyError("landmark 20")

    button = QPushButton("Go")
    qtbot.addWidget(button)
    button.clicked.connect(broken)
    button.show()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def boxes() -> list[QMessageBox]:
        return [w for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.isVisible()]

    qtbot.waitUntil(lambda: len(boxes()) == 1)
    box = boxes()[0]
    assert seen == [KeyError]  # the previous hook still ran (stderr, logs)
    assert box.icon() == QMessageBox.Icon.Critical
    assert box.text() == "Something went wrong: KeyError: 'landmark 20'"
    assert "in broken" in box.detailedText()
    _click_ok(qtbot, box)
    assert button.isVisible()  # the app carried on
