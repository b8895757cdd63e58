"""A clinician's click survives the app being killed (SIGKILL) right after it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cc2d_app.session import ProjectSession
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import LandmarkSchema, Project

REPO = Path(__file__).resolve().parents[2]

# The real app, offscreen: open the project, click landmark 1 on the canvas with a real
# mouse event, say so, then wait to be killed.
APP = """
import sys, time
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from cc2d_app.main_window import MainWindow

app = QApplication([])
window = MainWindow()
window.resize(1000, 700)
window.show()
window.open_project(sys.argv[1])
canvas = window.workspace.canvas
rec = window.session.image(window.workspace.current_id)
deadline = time.time() + 60
while canvas.image_size() != (rec.width, rec.height) and time.time() < deadline:
    app.processEvents()
    time.sleep(0.01)
x, y = float(sys.argv[2]), float(sys.argv[3])
QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                 canvas.image_to_viewport(x, y).toPoint())
print("CLICKED", *canvas.viewport_to_image(canvas.image_to_viewport(x, y).toPoint()),
      flush=True)
while True:
    app.processEvents()
    time.sleep(0.01)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_click_then_sigkill_keeps_the_landmark(tmp_path, qtbot):
    _paths, table = write_phantom_dataset(tmp_path / "rays", 2,
                                          PhantomSpec(n_landmarks=3, width=120, height=160))
    folder = tmp_path / "proj"
    session = ProjectSession.create(folder, LandmarkSchema.from_names(["A", "B", "C"]))
    session.add_images_task([tmp_path / "rays"])(lambda d, t: None, __import__("threading").Event())
    session.close()
    x, y = table.points["phantom_000.png"][0]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", APP, str(folder), str(x), str(y)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("CLICKED"), line + proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    clicked = tuple(float(v) for v in line.split()[1:])
    with Project.open(folder) as project:  # the dead process's lock is taken over
        first = project.images()[0].id
        placed = project.landmarks(first)[0]
    assert placed is not None
    assert (placed.x, placed.y) == pytest.approx(clicked, abs=1e-6)
    assert abs(placed.x - x) <= 0.5 and abs(placed.y - y) <= 0.5
