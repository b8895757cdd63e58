"""A project over five phantoms whose first image is a complete template, and the main
window opened on it: the starting point of the training and refit flows."""

from __future__ import annotations

import threading
from pathlib import Path

from gestures import show_active

from cc2d_app.main_window import MainWindow
from cc2d_app.session import ProjectSession
from engine.data.landmarks import LandmarkTable
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import LandmarkSchema


def annotated_project(tmp_path: Path) -> tuple[Path, LandmarkTable]:
    """The project folder and the phantoms' true landmarks."""
    _paths, table = write_phantom_dataset(tmp_path / "rays", 5,
                                          PhantomSpec(n_landmarks=3, width=96, height=120))
    folder = tmp_path / "proj"
    s = ProjectSession.create(folder, LandmarkSchema.from_names(["Alpha", "Beta", "Gamma"]))
    s.add_images_task([tmp_path / "rays"])(lambda d, t: None, threading.Event())
    s.images_added()
    first = s.images()[0]
    s.set_template(first.id)
    for i, (x, y) in enumerate(table.get(first.name)):
        s.place(first.id, i, x, y)
    s.close()
    return folder, table


def open_project(qtbot, folder: Path) -> MainWindow:
    window = MainWindow()
    show_active(qtbot, window)
    window.open_project(str(folder))
    return window
