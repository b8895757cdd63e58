"""The native file dialogs, in one place so tests replace them (they cannot be clicked
offscreen). Callers use ``file_dialogs.choose_directory(...)`` so a patch reaches them."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QWidget


def choose_directory(parent: QWidget | None, title: str, start: str) -> str | None:
    """Ask for an existing folder; None when cancelled."""
    return QFileDialog.getExistingDirectory(parent, title, start) or None


def choose_file(parent: QWidget | None, title: str, start: str, filters: str) -> str | None:
    """Ask for an existing file; None when cancelled."""
    return QFileDialog.getOpenFileName(parent, title, start, filters)[0] or None


def choose_save_file(parent: QWidget | None, title: str, start: str, filters: str) -> str | None:
    """Ask where to write a file; None when cancelled."""
    return QFileDialog.getSaveFileName(parent, title, start, filters)[0] or None
