"""Closing a project is one protocol (ProjectSession.close): the tasks working on it stop,
what they sent last reaches the open project, and nothing arrives after it has closed."""

from __future__ import annotations

import threading
import time

from phantom_projects import annotated_project, open_project, start_training
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from cc2d_app.controllers.workers import Task
from cc2d_app.session import ProjectSession
from engine.project import LandmarkSchema, Project, RunState

CTRL = Qt.KeyboardModifier.ControlModifier


def _until_cancelled(_progress, cancel: threading.Event) -> str:
    cancel.wait(30)
    return "stopped"


def test_close_delivers_what_stopped_tasks_sent_then_drops_the_rest(qtbot, tmp_path):
    session = ProjectSession.create(tmp_path / "proj", LandmarkSchema.from_names(["A"]))
    seen: list[tuple[str, bool]] = []
    late = Task(_until_cancelled)

    def first_done(result: str) -> None:
        seen.append((result, session.closed))
        # A result that starts more work while the project closes: that work is dropped.
        late.succeeded.connect(lambda r: seen.append((r, session.closed)))
        late.ended.connect(lambda: seen.append(("late ended", session.closed)))
        session.track(late).start()

    first = session.track(Task(lambda _p, _c: "first"))
    first.succeeded.connect(first_done)
    session.closing.connect(lambda: seen.append(("closing", session.closed)))
    first.start()
    assert first.wait(5000)   # its result is queued, not delivered yet
    session.close()
    assert late.isFinished()
    qtbot.wait(200)           # anything still queued would arrive now
    assert seen == [("first", False), ("closing", False)]
    session.close()           # a second close does nothing
    assert seen == [("first", False), ("closing", False)]


def test_a_dropped_task_sends_nothing_it_had_queued(qtbot):
    task = Task(lambda progress, _c: progress(1, 1) or 7)
    got = []
    for signal in (task.progressed, task.succeeded, task.ended):
        signal.connect(lambda *args, s=signal: got.append(args))
    task.start()
    assert task.wait(5000)
    task.drop()
    qtbot.wait(100)
    assert got == []
    again = Task(lambda _p, _c: 8)
    again.succeeded.connect(got.append)
    with qtbot.waitSignal(again.ended, timeout=5000):
        again.start()
    assert got == [8]


def test_ctrl_w_while_matching_stops_it_and_nothing_reaches_the_closed_project(
        qtbot, tmp_path):
    folder, _table = annotated_project(tmp_path)
    window = open_project(qtbot, folder)
    matching = window.workspace.matching
    qtbot.waitUntil(lambda: matching.busy, timeout=10000)   # started on open
    task = matching.task
    t0 = time.perf_counter()
    QTest.keyClick(window, Qt.Key.Key_W, CTRL)
    assert time.perf_counter() - t0 < 5.0
    assert window.session is None and window.workspace is None
    assert task.isFinished()
    qtbot.wait(500)
    assert window.findChildren(QMessageBox) == []
    assert not any(b.isVisible() for b in window.findChildren(QMessageBox))
    with Project.open(folder) as project:   # stopped before storing: nothing predicted
        assert all(all(p is None for p in project.landmarks(r.id))
                   for r in project.images() if r.id != project.template().id)
    window.close()


def test_ctrl_w_while_training_records_the_run_as_cancelled(qtbot, tmp_path):
    folder, _table = annotated_project(tmp_path)
    window = open_project(qtbot, folder)
    start_training(qtbot, window)
    training = window.workspace.training
    qtbot.waitUntil(lambda: training.busy, timeout=10000)
    QTest.keyClick(window, Qt.Key.Key_W, CTRL)
    assert window.session is None
    qtbot.wait(300)
    with Project.open(folder) as project:
        assert [r.state for r in project.runs()] == [RunState.CANCELLED]
    # Reopened, the run is offered for resume once, as any unfinished run.
    window.open_project(str(folder))
    boxes = [b for b in window.findChildren(QMessageBox) if b.windowTitle() == "Resume training"]
    assert boxes and boxes[0].isVisible()
    window.close()   # as the window manager's close button: the question goes too
    assert window.session is None and not boxes[0].isVisible()
