"""Template suggestion as a user meets it: a new project proposes its most representative
image as the template (one undoable edit, said in the status bar); the user can still pick
another; a project that has a template keeps it when images are added."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from gestures import show_active
from new_project import create_project
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from cc2d_app.main_window import MainWindow
from cc2d_app.session import ProjectSession
from engine.project import LandmarkSchema

pytestmark = pytest.mark.gui

LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier


def blobs(rng: np.random.Generator, cells: tuple[int, int]) -> np.ndarray:
    field = cv2.resize(rng.normal(size=cells).astype(np.float32), (90, 110),
                       interpolation=cv2.INTER_CUBIC)
    return (field - field.mean()) / field.std()


def write_folder(folder: Path, seed: int = 7) -> Path:
    """``clean.png``, five noisy copies of it and an unrelated ``stranger.png``: the clean
    image is nearest to all the others, so it is the one to suggest."""
    folder.mkdir()
    rng = np.random.default_rng(seed)
    anatomy = blobs(rng, (10, 8))
    images = {"clean": anatomy, "stranger": blobs(np.random.default_rng(seed + 1), (10, 8))}
    images |= {f"copy_{k}": anatomy + 0.6 * blobs(rng, (20, 16)) for k in range(5)}
    for name, values in images.items():
        cv2.imwrite(str(folder / f"{name}.png"),
                    np.clip(128 + 40 * values, 0, 255).astype(np.uint8))
    return folder


def test_new_project_proposes_the_most_representative_image(qtbot, tmp_path):
    window = MainWindow()
    show_active(qtbot, window)
    create_project(qtbot, window, write_folder(tmp_path / "rays"), ("A, Alpha", "B, Beta"))
    qtbot.waitUntil(lambda: window.session is not None and window.progress.isHidden()
                    and window.session.template_id() is not None, timeout=20000)
    session, workspace = window.session, window.workspace
    assert len(session.images()) == 7
    suggested = session.template_id()
    assert session.image(suggested).name == "clean.png"
    assert workspace.current_id == suggested  # shown, ready to annotate
    label = window.suggestion.label
    assert label.isVisible()
    assert label.text().startswith(
        "Suggested template: clean.png (most representative of 7 images)")
    assert "Ctrl+T" in label.text()
    assert "template" in session.undo_redo_state()[0]  # one edit, undoable

    # The user prefers another image: Ctrl+T on it, and the suggestion's label goes.
    other = next(r.id for r in session.images() if r.name == "copy_2.png")
    workspace.show_image(other)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(workspace.canvas, Qt.Key.Key_T, CTRL)
    assert session.template_id() == other
    assert not label.isVisible()
    window.close()


def test_images_added_to_a_project_with_a_template_leave_it(qtbot, tmp_path):
    folder = tmp_path / "proj"
    session = ProjectSession.create(folder, LandmarkSchema.from_names(["Alpha", "Beta"]))
    session.add_images_task([write_folder(tmp_path / "first")])(lambda d, t: None,
                                                                 threading.Event())
    session.images_added()
    chosen = next(r.id for r in session.images() if r.name == "copy_4.png")
    session.set_template(chosen)
    session.close()

    window = MainWindow()
    show_active(qtbot, window)
    window.open_project(str(folder))
    window.add_images([write_folder(tmp_path / "more", seed=11)])
    qtbot.waitUntil(lambda: len(window.session.images()) == 14
                    and window.progress.isHidden(), timeout=20000)
    assert window.session.template_id() == chosen
    assert not window.suggestion.label.isVisible()
    window.close()
