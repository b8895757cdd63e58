"""CC2D-SSL end to end on phantoms: training helps, resume continues, cancel saves."""

import json
import threading

import numpy as np
import pytest
import torch

from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.data.template import Template
from engine.data.working_set import build_working_set
from engine.errors import CancelledError, CheckpointError
from engine.metrics import evaluate
from engine.ssl.config import profile_config
from engine.ssl.predict import predict_ssl
from engine.ssl.train import load_reference_net, train_ssl

CPU = torch.device("cpu")


class CancelAfter(threading.Event):
    """A cancel event that turns set after ``n`` checks: a deterministic Ctrl-C."""

    def __init__(self, n):
        super().__init__()
        self.left = n

    def is_set(self):
        self.left -= 1
        return self.left < 0 or super().is_set()


@pytest.fixture(scope="module")
def phantoms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("phantoms")
    spec = PhantomSpec(n_landmarks=7, width=120, height=150, size_jitter=0.1)
    paths, truth = write_phantom_dataset(folder, 12, spec, seed=4)
    return paths, truth


def _mre(run, paths, truth, config):
    net, _ = load_reference_net(run, CPU)
    data = build_working_set(paths, config.image_size, CPU)
    pred = predict_ssl(net, data, Template.from_table(paths[0], truth), config.window, CPU)
    del pred.points[paths[0].name]
    assert np.isfinite(np.stack(list(pred.values["confidence"].values()))).all()
    return evaluate(pred, truth, None).mre


def test_training_beats_the_untrained_network(phantoms, tmp_path):
    # 64 px is too coarse for five scales to learn anything; 128 px learns in 400 steps.
    paths, truth = phantoms
    data = build_working_set(paths, 128, CPU)
    trained = profile_config("tiny", steps=400, image_size=128, patch_size=64)
    untrained = profile_config("tiny", steps=1, lr=1e-9, image_size=128, patch_size=64)
    train_ssl(data, tmp_path / "untrained", untrained, CPU)
    train_ssl(data, tmp_path / "trained", trained, CPU)
    before = _mre(tmp_path / "untrained", paths, truth, untrained)
    after = _mre(tmp_path / "trained", paths, truth, trained)
    assert after < 0.85 * before, (before, after)


def test_cancel_saves_and_resume_reaches_the_same_step(phantoms, tmp_path):
    paths, _ = phantoms
    data = build_working_set(paths, 64, CPU)
    config = profile_config("tiny", steps=40, checkpoint_every=1000)
    cancel = threading.Event()
    seen = []

    def progress(p):
        seen.append(p)
        if p.step >= 25:
            cancel.set()

    with pytest.raises(CancelledError):
        train_ssl(data, tmp_path, config, CPU, progress=progress, cancel=cancel)
    assert (tmp_path / "checkpoint.pt").exists()
    assert seen[-1].stage == "SSL training" and seen[-1].total == 40
    result = train_ssl(data, tmp_path, config, CPU)
    assert result.steps == 40
    assert json.loads((tmp_path / "train.json").read_text())["steps"] == 40


def test_resume_matches_an_uninterrupted_run(phantoms, tmp_path):
    paths, _ = phantoms
    data = build_working_set(paths, 64, CPU)
    config = profile_config("tiny", steps=10, checkpoint_every=5)
    train_ssl(data, tmp_path / "a", config, CPU)
    # Stop at 5 by cancelling, then resume to 10.
    with pytest.raises(CancelledError):
        train_ssl(data, tmp_path / "b", config, CPU, cancel=CancelAfter(5))
    train_ssl(data, tmp_path / "b", config, CPU)
    a, _ = load_reference_net(tmp_path / "a", CPU)
    b, _ = load_reference_net(tmp_path / "b", CPU)
    with torch.no_grad():
        diffs = [float((pa - pb).abs().max()) for pa, pb in zip(a.parameters(), b.parameters())]
    assert max(diffs) < 1e-3


def test_other_settings_in_the_same_run_folder_are_refused(phantoms, tmp_path):
    paths, _ = phantoms
    data = build_working_set(paths, 64, CPU)
    train_ssl(data, tmp_path, profile_config("tiny", steps=2), CPU)
    with pytest.raises(CheckpointError, match="other settings"):
        train_ssl(data, tmp_path, profile_config("tiny", steps=2, lr=0.5), CPU)
