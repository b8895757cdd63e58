"""The shared training loop on a toy model: time budget, cancel, resume and divergence."""

import threading

import pytest
import torch
from torch import nn

from engine.errors import CancelledError, TrainingError
from engine.ssl.config import SSLConfig
from engine.training import lr_factor, open_run, train_loop

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
    assert 25 <= state["step"] < 50  # first report at step 25, cancel seen at the next step
    result = train_loop(tmp_path, config, {"m": model}, _loss_fn(model), CPU, stage="toy",
                        state=state, backbone_weights="none")
    assert result.steps == 50 and result.final_loss < reports[0].loss


def test_divergence_is_a_training_error_that_says_what_to_do(tmp_path):
    config = SSLConfig(steps=30, checkpoint_every=10**9, lr=0.01)
    model = nn.Linear(3, 1)
    with pytest.raises(TrainingError, match="diverged at step 25: .* lower learning rate "
                                            r"\(now 0.01\)"):
        train_loop(tmp_path, config, {"m": model}, lambda gen: model.weight.sum() * float("nan"),
                   CPU, stage="toy", state=None, backbone_weights="none")
