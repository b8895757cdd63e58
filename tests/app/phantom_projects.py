"""A project over five phantoms whose first image is a complete template, and the main
window opened on it: the starting point of the training and refit flows."""

from __future__ import annotations

import threading
from pathlib import Path

from gestures import at, drag, show_active
from PySide6.QtCore import Qt

from cc2d_app.dialogs.train_dialog import TrainDialog
from cc2d_app.main_window import MainWindow
from cc2d_app.session import ProjectSession
from engine.data.landmarks import LandmarkTable
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import Landmark, LandmarkSchema


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


def start_training(qtbot, window: MainWindow) -> None:
    """Train on this template ▸ Start, as clicked; the window is active again after."""
    qtbot.mouseClick(window.workspace.landmarks.train, Qt.MouseButton.LeftButton)
    dialog = window.findChild(TrainDialog)
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    window.activateWindow()  # the dialog had it; shortcuts need the active window


def drag_first_point_inward(window: MainWindow, image_id: int) -> Landmark:
    """Drag the first landmark of the shown image 8, 6 px towards the image's centre (a tiny
    run's points may sit on the border, where a drag outwards is clamped back onto them);
    returns the point as it was."""
    session, canvas = window.session, window.workspace.canvas
    rec = session.image(image_id)
    before = session.landmarks(image_id)[0]
    dx = 8 if before.x < rec.width / 2 else -8
    dy = 6 if before.y < rec.height / 2 else -6
    drag(canvas, at(canvas, before.x, before.y), at(canvas, before.x + dx, before.y + dy))
    return before
