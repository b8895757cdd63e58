"""The shared training loop on a toy model: time budget, cancel, resume and divergence."""

import threading

import pytest
import torch
from torch import nn

from engine.errors import CancelledError, TrainingError
from engine.ssl.config import SSLConfig
from engine.training import loss_history, lr_factor, open_run, train_loop

CPU = torch.device("cpu")


def _loss_fn(model):
    def loss_fn(gen):
        x = torch.rand(4, 3, generator=gen)
        return (model(x) - x.sum(1, keepdim=True)).square().mean()
    return loss_fn


def test_lr_factor_is_a_cosine_from_one_to_zero():
    assert lr_factor(0) == 1 and lr_factor(1) == 0 and lr_factor(0.5) == pytest.approx(0.5)
    assert lr_factor(2) == 0 and lr_factor(-1) == 1


def test_time_budget_ends_the_run_before_its_steps(tmp_path):
    config = SSLConfig(steps=10**9, time_budget_s=0.3, checkpoint_every=10**9)
    model = nn.Linear(3, 1)
    state = open_run(tmp_path, config)
    result = train_loop(tmp_path, config, {"m": model}, _loss_fn(model), CPU, stage="toy",
                        state=state, backbone_weights="none")
    assert 0 < result.steps < 10**9 and 0.3 <= result.seconds < 5


def test_cancel_checkpoints_then_resume_finishes(tmp_path):
    config = SSLConfig(steps=50, checkpoint_every=10**9)
    model = nn.Linear(3, 1)
    cancel = threading.Event()
    reports = []

    def progress(p):
        reports.append(p)
        cancel.set()

    with pytest.raises(CancelledError):
        train_loop(tmp_path, config, {"m": model}, _loss_fn(model), CPU, stage="toy",
                   state=open_run(tmp_path, config), backbone_weights="none",
                   progress=progress, cancel=cancel)
    state = open_run(tmp_path, config)
    # On a CPU the loss is read at every step: the first report, at step 1, cancels.
    assert 1 <= state["step"] < 50
    cancelled_at = state["step"]
    replayed = []
    result = train_loop(tmp_path, config, {"m": model}, _loss_fn(model), CPU, stage="toy",
                        state=state, backbone_weights="none", progress=replayed.append)
    assert result.steps == 50 and result.final_loss == replayed[-1].loss
    # The resumed run first reports the curve it had, then goes on from where it stopped.
    old = [(p.step, p.loss) for p in replayed if p.step <= cancelled_at]
    assert old and old[0] == (reports[0].step, reports[0].loss)
    assert [p.step for p in replayed] == sorted(p.step for p in replayed)


def test_a_checkpoint_loss_history_is_checked_like_user_input():
    assert loss_history([[1, 2.0], [5, 1.5]], step=5) == [(1, 2.0), (5, 1.5)]
    for bad in ([[1, float("nan")]], [[5, 1.0], [3, 1.0]], [[9, 1.0]], [["1", 1.0]],
                [[1, 1.0, 3]], "x", None, [[0, 1.0]]):
        assert loss_history(bad, step=5) == []


def test_divergence_is_a_training_error_that_says_what_to_do(tmp_path):
    config = SSLConfig(steps=30, checkpoint_every=10**9, lr=0.01)
    model = nn.Linear(3, 1)
    with pytest.raises(TrainingError, match="diverged at step 1: .* lower learning rate "
                                            r"\(now 0.01\)"):
        train_loop(tmp_path, config, {"m": model}, lambda gen: model.weight.sum() * float("nan"),
                   CPU, stage="toy", state=None, backbone_weights="none")


def test_reports_in_a_plan_say_their_stage_number():
    from engine.progress import Progress, in_plan

    seen = []
    report = in_plan(seen.append, ["loading images", "TPL training", "TPL prediction"])
    report(Progress("TPL training", 1, 10))
    report(Progress("something else", 1, 1))
    assert [(p.part, p.parts) for p in seen] == [(2, 3), (0, 0)]
    assert in_plan(None, ["x"]) is None
