"""The training panel: texts, the loss curves and Cancel, from synthetic Progress reports."""

import time

import pytest
from PySide6.QtCore import Qt

from cc2d_app.logic.time_left import about_duration, exact_duration
from cc2d_app.views.loss_plot import REDRAW_MS
from cc2d_app.views.training_panel import TrainingPanel
from engine.progress import Progress


@pytest.mark.parametrize(("seconds", "exact", "about"), [
    (12, "12 s", "under a minute"),
    (252, "4 min 12 s", "about 4 min"),
    (14 * 60 + 40, "14 min 40 s", "about 15 min"),
    (3780, "1 h 3 min", "about 1 h 3 min"),
    (7200, "2 h 0 min", "about 2 h"),
])
def test_durations_in_words(seconds, exact, about):
    assert exact_duration(seconds) == exact
    assert about_duration(seconds) == about


@pytest.fixture
def panel(qtbot):
    widget = TrainingPanel()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _curves(panel):
    return panel.plot.getPlotItem().listDataItems()


def _drawn(panel):
    # An empty curve (created, not drawn yet) has no data: (None, None).
    return [tuple([] if v is None else list(v) for v in c.getData()) for c in _curves(panel)]


def test_progress_shows_stage_steps_time_left_and_a_curve(qtbot, panel):
    panel.on_progress(Progress("SSL training", 25, 100, 18.0, 130.0))
    assert panel.stage_label.text() == "Learning the images (self-supervised)"
    assert (panel.bar.value(), panel.bar.maximum(), panel.bar.text()) == (25, 100, "25 / 100")
    assert panel.time_label.text().startswith("Elapsed 0 s")
    assert "about 2 min left" in panel.time_label.text()
    panel.on_progress(Progress("SSL training", 50, 100, 16.0, 100.0))
    qtbot.waitUntil(lambda: _drawn(panel) == [([25, 50], [18.0, 16.0])])

    panel.on_progress(Progress("SSL prediction", 3, 8, None, None))
    assert panel.stage_label.text() == "Pseudo-labels from the template"
    assert "estimating" in panel.time_label.text()
    panel.on_progress(Progress("TPL training", 25, 200, 44.0, 60.0))
    assert panel.stage_label.text() == "Training the detector"
    qtbot.waitUntil(lambda: len(_drawn(panel)) == 2)
    pens = {c.opts["pen"].color().name() for c in _curves(panel)}
    assert len(pens) == 2, "each stage gets its own colour"
    assert not panel.plot.log_scale()        # 16 to 44: within a decade


def test_the_loss_axis_turns_logarithmic_beyond_a_decade(qtbot, panel):
    panel.on_progress(Progress("TPL training", 25, 100, 50.0, 10.0))
    panel.on_progress(Progress("TPL training", 50, 100, 20.0, 10.0))
    qtbot.wait(2 * REDRAW_MS)
    assert not panel.plot.log_scale()
    panel.on_progress(Progress("TPL training", 75, 100, 2.0, 10.0))
    qtbot.waitUntil(panel.plot.log_scale)
    panel.reset()
    assert _curves(panel) == [] and not panel.plot.log_scale()


def test_redraws_are_throttled(qtbot, panel):
    panel.on_progress(Progress("SSL training", 1, 1000, 10.0, 10.0))
    qtbot.waitUntil(lambda: len(_drawn(panel)) == 1 and _drawn(panel)[0][0] == [1])
    redraws = []
    _curves(panel)[0].sigPlotChanged.connect(lambda *_: redraws.append(1))
    start = time.perf_counter()
    for step in range(2, 202):                # 200 reports in about a second
        panel.on_progress(Progress("SSL training", step, 1000, 10.0 - step / 100, 10.0))
        qtbot.wait(5)
    qtbot.waitUntil(lambda: _drawn(panel)[0][0][-1] == 201)
    seconds = time.perf_counter() - start
    assert len(redraws) <= seconds * 1000 / REDRAW_MS + 2
    assert _drawn(panel)[0][0] == list(range(1, 202))


def test_cancel_click_asks_once(qtbot, panel):
    with qtbot.waitSignal(panel.cancelRequested):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert not panel.cancel_button.isEnabled()
    assert "Cancelling" in panel.state_label.text()
    with qtbot.assertNotEmitted(panel.cancelRequested):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)


def test_final_states_and_reset(qtbot, panel):
    panel.on_progress(Progress("refining", 8, 8, None, 0.0))
    panel.finished(252)
    assert panel.state_label.text() == "Finished in 4 min 12 s"
    assert panel.cancel_button.isHidden()
    panel.reset()
    assert panel.state_label.text() == "" and panel.cancel_button.isVisible()
    panel.cancelled()
    assert panel.state_label.text() == ("Cancelled — the checkpoint is kept; "
                                        "Train again resumes")
    assert panel.stage_label.text() == "Cancelled"   # before any report
    panel.reset()
    panel.on_progress(Progress("TPL training", 3, 100, 0.5, part=4, parts=6))
    panel.cancelled()
    assert panel.stage_label.text() == "Cancelled in: Training the detector · stage 4 of 6"
    panel.reset()
    panel.failed("the template cannot be read: <bad>.png")
    assert panel.state_label.text() == "Failed: the template cannot be read: <bad>.png"
    assert panel.bar.maximum() > 0, "the busy animation stops"


def test_the_time_left_counts_down_between_reports(qtbot, panel):
    panel.on_progress(Progress("TPL training", 10, 100, 0.5, eta_s=60.6))
    assert "about 1 min left" in panel.time_label.text()
    # No report for a while (a slow step): the estimate keeps counting down.
    qtbot.waitUntil(lambda: "under a minute left" in panel.time_label.text(), timeout=3000)


def test_a_first_point_is_visible_and_matching_keeps_the_curves(qtbot, panel):
    panel.on_progress(Progress("TPL training", 1, 100, 0.8, eta_s=None))
    qtbot.wait(REDRAW_MS + 100)
    (curve,) = _curves(panel)
    assert curve.opts["symbol"] == "o"   # a lone point is drawn as a dot, not a 0-px line
    for step in range(2, 40):
        panel.on_progress(Progress("TPL training", step, 100, 0.8 - step / 100))
    qtbot.wait(REDRAW_MS + 100)
    assert curve.opts["symbol"] is None   # a real curve by now
    panel.finished(12.0)
    panel.reset(keep_curves=True)         # instant matching or predicting new images
    assert panel.plot.point_count() == 39
    panel.reset()                         # a new training
    assert panel.plot.point_count() == 0


def test_a_stage_says_where_it_lies_in_the_run(panel):
    panel.on_progress(Progress("TPL training", 3, 100, 0.5, eta_s=30, part=4, parts=6))
    assert panel.stage_label.text() == "Training the detector · stage 4 of 6"


CLINIC_PLAN = ("loading images", "image features", "instant matching", "TPL training",
               "TPL prediction", "refining")


def _report(stage, step, total, eta_s):
    plan = CLINIC_PLAN
    return Progress(stage, step, total, eta_s=eta_s, part=plan.index(stage) + 1,
                    parts=len(plan), plan=plan)


def test_the_time_left_adds_the_later_stages_of_an_earlier_run(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.expect({"TPL training": 600.0, "TPL prediction": 120.0, "refining": 60.0})
    panel.on_progress(_report("TPL training", 50, 550, 540.0))
    assert panel.time_label.text().endswith(
        "about 9 min left in this stage · about 12 min in all")
    # The images loaded again at the detector's size: the stages already done do not
    # count as still to come.
    panel.on_progress(_report("loading images", 3, 10, 6.0))
    assert "under a minute left in this stage · about 3 min in all" in panel.time_label.text()


def test_without_an_earlier_run_the_later_stages_are_said_not_timed(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.on_progress(_report("TPL training", 50, 550, 540.0))
    assert panel.time_label.text().endswith(
        "about 9 min left in this stage · 2 later stages not timed yet")
    panel.on_progress(_report("refining", 1, 10, 5.0))
    assert panel.time_label.text().endswith("under a minute left in this stage")


def test_a_first_run_estimates_the_later_image_stages_from_the_measured_runs(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.expect({}, per_image_rest_s=150 * 0.23)
    panel.on_progress(_report("TPL training", 50, 550, 540.0))
    assert panel.time_label.text().endswith(
        "about 9 min left in this stage · about 10 min in all (from our measured runs)")
    # A training stage still to come has no such figure: not timed.
    panel.reset()
    panel.expect({}, per_image_rest_s=150 * 0.23)
    panel.on_progress(_report("instant matching", 1, 10, 5.0))
    assert panel.time_label.text().endswith("3 later stages not timed yet")
