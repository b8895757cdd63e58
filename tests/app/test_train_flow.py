"""The whole flow with real events on phantoms: template → Train (tiny CPU run in the worker)
→ predictions appear → correct, restore, undo/redo, reviewed → export; cancel and resume;
a training that cannot start says why."""

from __future__ import annotations

import csv
import time

import numpy as np
import pytest
import torch
from gestures import show_active
from phantom_projects import (
    annotated_project,
    drag_first_point_inward,
    open_project,
)
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
)

from cc2d_app.dialogs import train_dialog
from cc2d_app.dialogs.export_dialog import ExportDialog
from cc2d_app.dialogs.train_dialog import TrainDialog
from cc2d_app.main_window import MainWindow
from engine.data.landmarks import read_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.pipeline import PipelineSettings, run_pipeline
from engine.project import LandmarkSource, Project, ReviewStatus, RunState

LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture()
def project(tmp_path, qtbot, monkeypatch):
    # The dialog offers full and quick; a test trains the tiny profile for a few steps.
    steps = {"ssl": 6, "tpl": 6}
    monkeypatch.setattr(train_dialog.TrainChoice, "settings", lambda self: PipelineSettings(
        "tiny", ssl={"steps": steps["ssl"]}, tpl={"steps": steps["tpl"]}))
    folder, _truth = annotated_project(tmp_path)
    return folder, steps


def visible_box() -> QMessageBox | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.isVisible()), None)


def train(qtbot, window) -> None:
    qtbot.mouseClick(window.workspace.landmarks.train, LEFT)
    dialog = window.findChild(TrainDialog)
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.start_button, LEFT)
    window.activateWindow()  # the dialog had it; shortcuts need the active window
    qtbot.waitUntil(window.isActiveWindow)


def test_train_review_export(qtbot, project, tmp_path):
    folder, _steps = project
    window = open_project(qtbot, folder)
    ws, session = window.workspace, window.session
    train(qtbot, window)
    assert ws.training.busy and ws.side_tabs.currentWidget() is ws.training_panel
    qtbot.waitUntil(lambda: not ws.training.busy, timeout=120000)
    assert "Finished" in ws.training_panel.state_label.text()
    run = session.finished_run()
    assert run is not None and run.state == RunState.FINISHED

    others = [r.id for r in session.images() if r.id != session.template_id()]
    for image_id in others:
        points = session.landmarks(image_id)
        assert all(p is not None and p.source == LandmarkSource.PREDICTED
                   and p.confidence is not None for p in points)
        assert ws.images.model.state(image_id).value == "needs review"
    assert session.review_queue()  # something to review, least confident first

    target = session.review_queue()[0]
    ws.show_image(target)
    rec = session.image(target)
    qtbot.waitUntil(lambda: ws.canvas.image_size() == (rec.width, rec.height))
    predicted = drag_first_point_inward(window, target)
    assert session.landmarks(target)[0].source == LandmarkSource.CORRECTED
    qtbot.mouseClick(ws.landmarks.restore, LEFT)
    assert session.landmarks(target)[0] == predicted
    QTest.keyClick(ws.canvas, Qt.Key.Key_Z, CTRL)
    assert session.landmarks(target)[0].source == LandmarkSource.CORRECTED
    QTest.keyClick(ws.canvas, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert session.landmarks(target)[0] == predicted
    QTest.keyClick(ws.canvas, Qt.Key.Key_Return)
    assert session.image(target).status == ReviewStatus.REVIEWED

    QTest.keyClick(ws.canvas, Qt.Key.Key_E, CTRL)
    dialog = window.findChild(ExportDialog)
    qtbot.waitExposed(dialog)
    field = dialog.findChild(QLineEdit, "exportFolder")
    field.selectAll()
    qtbot.keyClicks(field, str(tmp_path / "export"))
    qtbot.mouseClick(next(b for b in dialog.findChildren(QPushButton) if b.text() == "Export"),
                     LEFT)
    status = dialog.findChild(QLabel, "exportStatus")
    qtbot.waitUntil(lambda: "Wrote" in status.text(), timeout=10000)
    rows = list(csv.DictReader((tmp_path / "export" / "landmarks.csv").open(encoding="utf-8")))
    mine = [r for r in rows if r["image"].endswith(rec.name)]
    assert [float(r["x_px"]) for r in mine] == pytest.approx(
        [p.x for p in session.landmarks(target)], abs=1e-3)
    assert {r["source"] for r in rows} == {"template", "predicted"}
    window.close()


def test_cancel_then_resume_gives_the_uninterrupted_result(qtbot, project, tmp_path):
    folder, steps = project
    steps.update(ssl=30, tpl=6)
    window = open_project(qtbot, folder)
    ws = window.workspace
    train(qtbot, window)
    panel = ws.training_panel
    qtbot.waitUntil(lambda: panel.stage_label.text() != "", timeout=60000)
    cancel = next(b for b in panel.findChildren(QPushButton) if "Cancel" in b.text())
    qtbot.mouseClick(cancel, LEFT)
    qtbot.waitUntil(lambda: not ws.training.busy, timeout=5000)  # stops within 5 s
    run = window.session.unfinished_run()
    assert run.state == RunState.CANCELLED
    assert not run.folder.joinpath("predictions.csv").exists()
    paths, template = window.session.training_inputs()
    window.close()

    again = open_project(qtbot, folder)
    box = visible_box()
    assert box is not None and "did not finish" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), LEFT)
    qtbot.waitUntil(lambda: not again.workspace.training.busy, timeout=120000)
    runs = again.session.reader().runs()
    assert [r.state for r in runs] == [RunState.FINISHED]  # the same run, resumed
    resumed = read_landmark_csv(runs[0].folder / "predictions.csv")
    again.close()

    # The same settings without an interruption, straight through the engine.
    settings = train_dialog.TrainChoice("cpu", "quick").settings()
    run_pipeline(paths, template, tmp_path / "straight", settings, torch.device("cpu"))
    straight = read_landmark_csv(tmp_path / "straight" / "predictions.csv")
    assert set(resumed.points) == set(straight.points)
    for key, points in straight.points.items():
        np.testing.assert_allclose(resumed.points[key], points, atol=1e-4)


def test_training_that_cannot_start_says_why(qtbot, project):
    folder, _steps = project
    window = open_project(qtbot, folder)
    template = window.session.image(window.session.template_id())
    template.path.unlink()
    qtbot.mouseClick(window.workspace.landmarks.train, LEFT)
    box = visible_box()
    assert box is not None and "missing" in box.text() and template.name in box.text()
    assert not window.workspace.training.busy
    box.accept()
    window.close()


def test_predict_new_images_without_retraining(qtbot, project, tmp_path):
    folder, _steps = project
    window = open_project(qtbot, folder)
    ws, session = window.workspace, window.session
    train(qtbot, window)
    qtbot.waitUntil(lambda: not ws.training.busy, timeout=120000)
    runs_before = len(session.reader().runs())
    write_phantom_dataset(tmp_path / "later", 2, PhantomSpec(n_landmarks=3, width=96,
                                                            height=120), seed=9)
    window.add_images([tmp_path / "later"])
    qtbot.waitUntil(lambda: len(session.images()) == 7 and window.progress.isHidden(),
                    timeout=20000)
    new = session.unlabelled_images()
    assert len(new) == 2
    window.act_predict.trigger()  # Train ▸ Predict new images
    qtbot.waitUntil(lambda: not ws.training.busy, timeout=60000)
    assert session.unlabelled_images() == []
    for image_id in new:
        assert all(p is not None and p.source == LandmarkSource.PREDICTED
                   for p in session.landmarks(image_id))
    assert len(session.reader().runs()) == runs_before  # no new training
    window.close()


def test_a_failing_training_shows_its_message(qtbot, project, monkeypatch):
    folder, _steps = project
    from engine.errors import TrainingError

    def broken(*args, **kwargs):
        raise TrainingError("the loss became NaN at step 3; start a new run folder")

    monkeypatch.setattr("engine.pipeline.run_pipeline", broken)
    window = open_project(qtbot, folder)
    train(qtbot, window)
    qtbot.waitUntil(lambda: not window.workspace.training.busy, timeout=30000)
    qtbot.waitUntil(lambda: visible_box() is not None)
    box = visible_box()
    assert "NaN at step 3" in box.text()
    assert "NaN" in window.workspace.training_panel.state_label.text()
    assert window.session.reader().runs()[-1].state == RunState.FAILED
    box.accept()
    window.close()


def test_the_resume_question_is_asked_once_per_run(qtbot, project):
    folder, _steps = project
    # A run left pending by a crash before it started: offered on open.
    with Project.open(folder) as store:
        run = store.add_run({"profile": "quick", "device": "cpu"})
    window = open_project(qtbot, folder)
    qtbot.waitUntil(lambda: visible_box() is not None)
    box = visible_box()
    assert "did not finish" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.No), LEFT)
    window.close()
    # Declined: not asked again, and the run stays for Train to resume.
    again = open_project(qtbot, folder)
    qtbot.wait(200)
    assert visible_box() is None
    assert again.session.unfinished_run().id == run.id
    again.close()


def test_the_first_train_click_leaves_no_gui_gap_over_100_ms(qtbot, project):
    folder, steps = project
    steps.update(ssl=8, tpl=8)
    window = MainWindow()
    show_active(qtbot, window)
    # The window imports the engine in the background as it opens; a user needs a few
    # seconds before the first click anyway.
    qtbot.waitUntil(lambda: window.warm, timeout=60000)
    window.open_project(str(folder))
    ws = window.workspace
    qtbot.waitUntil(lambda: not ws.matching.busy, timeout=60000)   # instant predictions
    # A freeze the app causes repeats; a stall from another process on the 2 cores does
    # not: a second training decides.
    worst = []
    for _attempt in range(2):
        ticks: list[float] = []
        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(10)
        timer.timeout.connect(lambda t=ticks: t.append(time.perf_counter()))
        timer.start()
        train(qtbot, window)
        qtbot.waitUntil(lambda: ws.training.busy, timeout=10000)
        qtbot.waitUntil(lambda: not ws.training.busy and not ws.matching.busy, timeout=120000)
        timer.stop()
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        worst.append(max(gaps))
        if worst[-1] < 0.100:
            break
    assert worst[-1] < 0.100, f"longest GUI stalls per run: {[round(w * 1000) for w in worst]} ms"
    window.close()
