"""Short background tasks of the main window (adding images, building the demo): a Task
each, one progress bar and Cancel button in the status bar for all of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QProgressBar, QPushButton, QStatusBar, QWidget

from cc2d_app.controllers.workers import Task, TaskFunction
from cc2d_app.dialogs.error_dialog import show_error


class TaskStatus:
    """Starts tasks and shows their progress; errors go to :func:`show_error`."""

    def __init__(self, window: QWidget, bar: QStatusBar) -> None:
        self._window = window
        self._bar = bar
        self.tasks: set[Task] = set()
        self.progress = QProgressBar()
        self.progress.setFixedWidth(280)
        self.progress.setTextVisible(True)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)

    def run(self, fn: TaskFunction, label: str, on_success: Callable[[Any], None],
            error_title: str, on_progress: Callable[[int, int], None] | None = None) -> Task:
        task = Task(fn, self._window)
        self.tasks.add(task)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.progress.setFormat(label)
        self.cancel_button.setVisible(True)
        self.cancel_button.clicked.connect(task.cancel)
        self._bar.showMessage(label)

        def progressed(done: int, total: int) -> None:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress.setFormat(f"{label.rstrip('…')} %v / %m")
            if on_progress is not None:
                on_progress(done, total)

        def finished() -> None:
            self.tasks.discard(task)
            self.cancel_button.clicked.disconnect(task.cancel)
            if not self.tasks:
                self.progress.setVisible(False)
                self.cancel_button.setVisible(False)
            self._bar.clearMessage()

        task.progressed.connect(progressed)
        task.succeeded.connect(on_success)
        task.failed.connect(
            lambda exc, tb: show_error(self._window, error_title, exc, details=tb))
        task.finished.connect(finished)
        task.start()
        return task
