"""Improve with my corrections, with real events on phantoms: train (tiny CPU run) → correct a
point by a drag and mark the image reviewed → the button becomes enabled → click it → the
refit runs in the worker → only unreviewed images get the new predictions, the message says
how many points moved, one undo takes them back; disabled, with the reason, otherwise."""

from __future__ import annotations

import json

import pytest
from phantom_projects import (
    annotated_project,
    drag_first_point_inward,
    open_project,
    start_training,
)
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from cc2d_app.dialogs import train_dialog
from cc2d_app.logic.refit_summary import improved_message, summarize_moves
from cc2d_app.logic.review import least_confidence
from cc2d_app.session import ProjectSession
from engine.data.landmarks import LandmarkTable
from engine.pipeline import PipelineSettings
from engine.project import LandmarkSource, ReviewStatus, RunState

pytestmark = pytest.mark.gui

LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """Five phantoms, the first one the annotated template; Train runs the tiny profile for a
    few steps (a refit then fine-tunes the detector for 40 % of them)."""
    monkeypatch.setattr(train_dialog.TrainChoice, "settings", lambda self: PipelineSettings(
        "tiny", ssl={"steps": 6}, tpl={"steps": 6}))
    folder, table = annotated_project(tmp_path)
    return folder, table


def show(qtbot, ws, image_id: int) -> None:
    ws.show_image(image_id)
    rec = ws.session.image(image_id)
    qtbot.waitUntil(lambda: ws.canvas.image_size() == (rec.width, rec.height))


def open_tab(qtbot, ws, page) -> None:
    bar = ws.side_tabs.tabBar()
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(ws.side_tabs.indexOf(page)).center())
    assert ws.side_tabs.currentWidget() is page


def test_improve_with_my_corrections(qtbot, project):
    folder, _truth = project
    window = open_project(qtbot, folder)
    ws, session = window.workspace, window.session
    start_training(qtbot, window)
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.waitUntil(lambda: not ws.training.busy, timeout=60000)
    base = session.finished_run()
    assert base is not None

    # Nothing reviewed yet: the button is there (Landmarks tab), off, and says why.
    target = session.review_queue()[0]
    show(qtbot, ws, target)
    open_tab(qtbot, ws, ws.landmarks)
    button = ws.landmarks.improve
    assert button.isVisible() and not button.isEnabled()
    assert "mark it reviewed" in window.act_improve.toolTip()
    assert "mark it reviewed" in ws.landmarks.improve_hint.text()

    # Correct one point by a drag, then Enter: reviewed.
    drag_first_point_inward(window, target)
    assert session.landmarks(target)[0].source == LandmarkSource.CORRECTED
    QTest.keyClick(ws.canvas, Qt.Key.Key_Return)
    assert session.image(target).status == ReviewStatus.REVIEWED
    reviewed = session.landmarks(target)
    qtbot.waitUntil(button.isEnabled)
    assert window.act_improve.toolTip() == (
        "Fine-tune the detector with the 1 image you reviewed and predict the unreviewed "
        "ones again.")
    assert ws.landmarks.improve_hint.isHidden()

    unreviewed = session.unreviewed_images()
    assert len(unreviewed) == 3 and target not in unreviewed
    before = {i: session.landmarks(i) for i in unreviewed}
    qtbot.mouseClick(button, LEFT)
    assert ws.training.busy and ws.side_tabs.currentWidget() is ws.training_panel
    assert not button.isEnabled()  # one task at a time
    qtbot.waitUntil(lambda: not ws.training.busy, timeout=60000)

    # A new run, recorded as a refit of the trained one.
    run = session.finished_run()
    assert run.id != base.id and run.config["refit_of"] == base.id
    assert run.state == RunState.FINISHED and run.metrics["n_labelled"] == 1
    record = json.loads((run.folder / "run.json").read_text(encoding="utf-8"))
    assert record["refit_of"] == str(base.folder.resolve())
    assert [x["image"] for x in record["labelled"]] == [
        str(session.image(target).path.resolve())]

    # The reviewed image is untouched; every unreviewed one got the new predictions.
    assert session.landmarks(target) == reviewed
    after = {i: session.landmarks(i) for i in unreviewed}
    for i in unreviewed:
        assert after[i] != before[i]
        assert all(p is not None and p.source == LandmarkSource.PREDICTED for p in after[i])
    text = improved_message(1, summarize_moves(before, after))
    assert text.startswith("Improved with 1 corrected image")
    assert text in ws.training_panel.state_label.text()
    assert window.statusBar().currentMessage() == text
    # The queue follows the new confidences, least confident first.
    queue = session.review_queue()
    assert sorted(queue) == sorted(unreviewed)
    assert [least_confidence(after[i]) for i in queue] == sorted(
        least_confidence(after[i]) for i in queue)

    # One undo takes every stored prediction back.
    QTest.keyClick(ws.canvas, Qt.Key.Key_Z, CTRL)
    assert {i: session.landmarks(i) for i in unreviewed} == before
    assert session.landmarks(target) == reviewed
    assert session.image(target).status == ReviewStatus.REVIEWED
    window.close()


def test_improve_is_disabled_until_an_image_is_reviewed(qtbot, project):
    folder, truth = project
    # A finished run with predictions, without training: only the action's state matters.
    s = ProjectSession.open(folder)
    run = s.add_run({"profile": "tiny"})
    s.update_run(run.id, RunState.FINISHED)
    template = s.image(s.template_id()).name
    s.store_run_predictions(run.id, LandmarkTable(truth.names, {
        k: v + 2.0 for k, v in truth.points.items() if k != template}))
    s.close()

    window = open_project(qtbot, folder)
    ws, session = window.workspace, window.session
    target = session.review_queue()[0]
    show(qtbot, ws, target)
    button = ws.landmarks.improve
    qtbot.waitUntil(lambda: "mark it reviewed" in window.act_improve.toolTip())
    assert button.isVisible() and not button.isEnabled()
    assert "Correct the points of a predicted image and mark it reviewed" in button.toolTip()
    assert ws.landmarks.improve_hint.isVisible()
    assert "mark it reviewed" in ws.landmarks.improve_hint.text()
    qtbot.mouseClick(button, LEFT)
    assert not ws.training.busy and len(session.reader().runs()) == 1

    # Reviewed → on; undoing the review → off again, with the reason.
    QTest.keyClick(ws.canvas, Qt.Key.Key_Return)
    qtbot.waitUntil(button.isEnabled)
    QTest.keyClick(ws.canvas, Qt.Key.Key_Z, CTRL)
    assert session.image(target).status != ReviewStatus.REVIEWED
    qtbot.waitUntil(lambda: not button.isEnabled())
    assert "mark it reviewed" in window.act_improve.toolTip()
    window.close()


def test_a_cancelled_improvement_resumes_when_the_project_is_opened_again(qtbot, project):
    folder, _truth = project
    window = open_project(qtbot, folder)
    ws, session = window.workspace, window.session
    start_training(qtbot, window)
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.waitUntil(lambda: not ws.training.busy, timeout=60000)
    target = session.review_queue()[0]
    show(qtbot, ws, target)
    open_tab(qtbot, ws, ws.landmarks)
    QTest.keyClick(ws.canvas, Qt.Key.Key_Return)   # the predictions as they are: reviewed
    qtbot.waitUntil(ws.landmarks.improve.isEnabled)
    qtbot.mouseClick(ws.landmarks.improve, LEFT)
    qtbot.mouseClick(ws.training_panel.cancel_button, LEFT)   # at once: while loading
    qtbot.waitUntil(lambda: not ws.training.busy, timeout=20000)
    refit = session.reader().runs()[-1]
    assert refit.config["refit_of"] == session.finished_run().id
    assert refit.state == RunState.CANCELLED
    assert "Improve with my corrections again resumes" in ws.training_panel.state_label.text()
    window.close()

    again = open_project(qtbot, folder)
    box = next(w for w in again.findChildren(QMessageBox) if w.isVisible())
    assert f"with your corrections (run {refit.id}) did not finish" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), LEFT)
    qtbot.waitUntil(lambda: not again.workspace.training.busy, timeout=60000)
    runs = again.session.reader().runs()
    assert [r.id for r in runs] == [refit.id - 1, refit.id]   # resumed, not a third run
    assert runs[-1].state == RunState.FINISHED
    assert again.statusBar().currentMessage().startswith("Improved with 1 corrected image")
    again.close()
