"""Training in the worker: a real tiny CPU run on phantoms through ``run_pipeline``."""

import json
import sys
import time

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, Qt, QThread, QTimer

import engine.pipeline
from cc2d_app.controllers.training_worker import start_training, warm_up
from cc2d_app.controllers.workers import Task
from cc2d_app.views.training_panel import STAGE_TITLES, TrainingPanel
from engine.data.images import list_images
from engine.data.landmarks import read_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.data.template import Template
from engine.errors import CC2DError
from engine.pipeline import PipelineSettings
from engine.project.jobs import TrainInputs

RUN_TIMEOUT_MS = 90_000
PREDICTIONS, RUN_JSON = "predictions.csv", "run.json"


@pytest.fixture(scope="module")
def phantoms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("phantoms")
    write_phantom_dataset(folder, 8, PhantomSpec(n_landmarks=5, width=100, height=120), seed=5)
    template = Template.from_table(folder / "phantom_000.png",
                                   read_landmark_csv(folder / "landmarks.csv"))
    return list_images(folder), template


@pytest.fixture
def tasks():
    """Started tasks; each is stopped and joined so no QThread outlives its test."""
    started = []
    yield started
    for task in started:
        task.cancel()
        assert task.wait(30_000)


def _tiny(ssl=4, tpl=4, refine=4):
    # As in tests/engine/test_pipeline.py: the tiny profile, a few steps per stage.
    return PipelineSettings("tiny", ssl={"steps": ssl}, tpl={"steps": tpl},
                            refine={"steps": refine})


def _inputs(images, template, run_dir):
    return TrainInputs(tuple(images), template, (), run_dir / "features")


def _start(tasks, phantoms, run_dir, settings, device="cpu"):
    task = start_training(_inputs(*phantoms, run_dir), run_dir, settings, device, None)
    tasks.append(task)
    reports = []
    task.report.connect(reports.append)
    return task, reports


def test_a_tiny_run_reports_every_stage_on_the_gui_thread_and_succeeds(
        qtbot, tasks, phantoms, tmp_path):
    run_dir = tmp_path / "run"
    task = start_training(_inputs(*phantoms, run_dir), run_dir, _tiny(), "auto", None)
    tasks.append(task)
    threads = []
    task.report.connect(lambda p: threads.append((p, QThread.currentThread())))
    with qtbot.waitSignal(task.succeeded, timeout=RUN_TIMEOUT_MS) as done:
        pass
    record, table = done.args[0]
    assert "predict" in record["stages"]
    # The job hands over the run's table: every image, every landmark.
    written = read_landmark_csv(run_dir / PREDICTIONS)
    assert table.names == written.names and table.images() == written.images()
    assert all(np.array_equal(table.get(k), written.get(k), equal_nan=True)
               for k in written.images())
    assert len(table.images()) == len(phantoms[0])
    gui = QCoreApplication.instance().thread()
    assert threads and all(thread == gui for _, thread in threads)
    stages = {p.stage for p, _ in threads}
    assert {"SSL training", "TPL training", "refining"} <= stages
    assert stages <= set(STAGE_TITLES), "a stage without words in the panel"
    assert task.elapsed_s > 0


def test_the_gui_thread_is_never_blocked_over_100_ms_while_training(
        qtbot, tasks, phantoms, tmp_path):
    # Without warm_up, the run's first imports (torchvision, cv2: C extensions whose
    # initialisation holds the GIL) stalled this timer for 270-320 ms; the app runs
    # warm_up in a Task at start-up, so the test does too.
    warming = Task(lambda _progress, _cancel: warm_up())
    with qtbot.waitSignal(warming.succeeded, timeout=RUN_TIMEOUT_MS):
        warming.start()
    assert warming.wait(5_000)
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.show()
    # A freeze caused by the app repeats on every run; a stall from another process taking
    # the 2 cores (a busy CI or developer machine) does not: a second run decides.
    worst = []
    for attempt in range(2):
        ticks = []
        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(10)
        timer.timeout.connect(lambda t=ticks: t.append(time.perf_counter()))
        timer.start()
        modules = set(sys.modules)
        task, _ = _start(tasks, phantoms, tmp_path / f"run{attempt}", _tiny(8, 8, 8))
        task.report.connect(panel.on_progress)
        with qtbot.waitSignal(task.succeeded, timeout=RUN_TIMEOUT_MS):
            pass
        timer.stop()
        extensions = [name for name in set(sys.modules) - modules
                      if str(getattr(sys.modules[name], "__file__", "")).endswith((".so", ".pyd"))]
        assert extensions == [], "warm_up missed a C extension the run imports"
        assert len(ticks) > 50
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        worst.append(max(gaps))
        print(f"GUI timer: {len(ticks)} ticks, max gap {max(gaps) * 1000:.1f} ms")
        if worst[-1] < 0.100:
            break
    assert worst[-1] < 0.100, f"longest GUI stalls per run: {[round(w * 1000) for w in worst]} ms"


def test_cancel_stops_within_5_s_and_training_again_resumes(qtbot, tasks, phantoms, tmp_path):
    run_dir = tmp_path / "run"
    settings = _tiny(4, 60, 4)
    task, reports = _start(tasks, phantoms, run_dir, settings)
    asked = []

    def cancel_in_the_detector(p):
        if p.stage == "TPL training" and not asked:
            asked.append(time.perf_counter())
            task.cancel()

    task.report.connect(cancel_in_the_detector)
    with qtbot.waitSignal(task.cancelled, timeout=RUN_TIMEOUT_MS):
        pass
    latency = time.perf_counter() - asked[0]
    assert task.wait(5_000)
    print(f"cancel latency {latency * 1000:.0f} ms")
    assert latency < 5.0
    record = json.loads((run_dir / RUN_JSON).read_text())
    assert "ssl_train" in record["stages"] and "tpl_train" not in record["stages"]
    assert (run_dir / "tpl" / "checkpoint.pt").exists()
    assert not (run_dir / PREDICTIONS).exists()
    ssl_checkpoint = (run_dir / "ssl" / "checkpoint.pt").stat().st_mtime_ns

    before = [(p.step, p.loss) for p in reports if p.stage == "TPL training"]
    again, reports = _start(tasks, phantoms, run_dir, settings)
    with qtbot.waitSignal(again.succeeded, timeout=RUN_TIMEOUT_MS):
        pass
    assert (run_dir / PREDICTIONS).exists()
    assert (run_dir / "ssl" / "checkpoint.pt").stat().st_mtime_ns == ssl_checkpoint
    assert json.loads((run_dir / RUN_JSON).read_text())["stages"]["tpl_train"]["steps"] == 60
    # Resumed from the checkpoint: the detector's reports first replay the curve it had
    # (its loss history is in the checkpoint), then go on to step 60.
    after = [(p.step, p.loss) for p in reports if p.stage == "TPL training"]
    assert after[:len(before)] == before and after[-1][0] == 60


def test_a_missing_template_image_arrives_as_failed(qtbot, tasks, phantoms, tmp_path):
    images, template = phantoms
    gone = Template(tmp_path / "gone.png", template.names, template.points)
    task = start_training(_inputs(images, gone, tmp_path), tmp_path / "run", _tiny(), "cpu",
                          None)
    tasks.append(task)
    outcomes = []
    task.succeeded.connect(lambda _: outcomes.append("succeeded"))
    task.cancelled.connect(lambda: outcomes.append("cancelled"))
    with qtbot.waitSignal(task.failed, timeout=RUN_TIMEOUT_MS) as failed:
        pass
    error, _ = failed.args
    assert isinstance(error, CC2DError) and "template" in str(error)
    assert task.wait(5_000) and outcomes == []


def test_an_unexpected_error_arrives_with_its_traceback(qtbot, tasks, phantoms, tmp_path,
                                                        monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("out of disk")

    monkeypatch.setattr(engine.pipeline, "run_pipeline", broken)
    task, _ = _start(tasks, phantoms, tmp_path / "run", _tiny())
    with qtbot.waitSignal(task.failed, timeout=10_000) as failed:
        pass
    error, trace = failed.args
    assert isinstance(error, RuntimeError) and "out of disk" in trace


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a CUDA GPU is present")
def test_asking_for_cuda_without_a_gpu_fails_clearly(qtbot, tasks, phantoms, tmp_path):
    task, _ = _start(tasks, phantoms, tmp_path / "run", _tiny(), device="cuda")
    with qtbot.waitSignal(task.failed, timeout=10_000) as failed:
        pass
    error = failed.args[0]
    assert isinstance(error, CC2DError) and "CUDA" in str(error)
