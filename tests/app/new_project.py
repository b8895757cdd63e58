"""The New project dialog filled in as a user does: images folder, a custom landmark list."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QPushButton, QRadioButton

from cc2d_app.dialogs.new_project_dialog import NewProjectDialog
from cc2d_app.main_window import MainWindow

LEFT = Qt.MouseButton.LeftButton


def create_project(qtbot, window: MainWindow, images: Path, landmarks: Sequence[str]) -> None:
    """Start page ▸ New project…, ``images`` typed in, ``landmarks`` ("A, Alpha" lines) as
    a custom list, then Create project."""
    qtbot.mouseClick(window.start.findChild(QPushButton, "newProjectButton"), LEFT)
    dialog = window.findChild(NewProjectDialog)
    qtbot.waitExposed(dialog)
    field = dialog.findChild(QLineEdit, "imagesFolder")
    qtbot.mouseClick(field, LEFT)
    qtbot.keyClicks(field, str(images))
    custom = next(r for r in dialog.findChildren(QRadioButton) if r.text() == "Custom list")
    qtbot.mouseClick(custom, LEFT, pos=QPoint(8, custom.height() // 2))
    editor = dialog.findChild(QPlainTextEdit, "customLandmarks")
    qtbot.mouseClick(editor.viewport(), LEFT)
    for line in landmarks:
        qtbot.keyClicks(editor, line)
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    create = next(b for b in dialog.findChildren(QPushButton)
                  if b.text().strip().startswith("Create project"))
    qtbot.waitUntil(create.isEnabled)
    qtbot.mouseClick(create, LEFT)
