"""CC2D-TPL end to end on phantoms: training helps, resume continues, settings are frozen."""

import json
import threading

import numpy as np
import pytest
import torch

from engine.data.grid import to_grid
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.data.working_set import build_working_set
from engine.errors import CancelledError, CheckpointError
from engine.metrics import evaluate
from engine.tpl.config import TPLConfig, profile_config
from engine.tpl.predict import locate, predict_tpl
from engine.tpl.train import load_landmark_net, sample_batch, train_tpl

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def phantoms(tmp_path_factory):
    """12 phantoms on a 64² grid, their true labels in grid pixels, image 0 the template."""
    folder = tmp_path_factory.mktemp("tpl_phantoms")
    spec = PhantomSpec(n_landmarks=7, width=120, height=150, size_jitter=0.1)
    paths, truth = write_phantom_dataset(folder, 12, spec, seed=4)
    data = build_working_set(paths, 64, CPU)
    labels = torch.tensor(np.stack([to_grid(truth.get(p.name), *data.sizes[i], 64)
                                    for i, p in enumerate(paths)]), dtype=torch.float32)
    is_template = torch.zeros(len(paths), dtype=torch.bool)
    is_template[0] = True
    return data, labels, is_template, truth


def _mre(run, data, truth):
    net, config = load_landmark_net(run, CPU)
    pred = predict_tpl(net, config, data, truth.names, CPU)
    for column in ("confidence", "heat_peak", "vote_share"):
        values = np.stack(list(pred.values[column].values()))
        assert values.shape == (len(data), 7) and ((values >= 0) & (values <= 1)).all()
    return evaluate(pred, truth, None).mre


def test_training_beats_the_untrained_network(phantoms, tmp_path):
    data, labels, is_template, truth = phantoms
    untrained = profile_config("tiny", steps=1, lr=1e-9)
    train_tpl(data, labels, is_template, tmp_path / "untrained", untrained, CPU)
    result = train_tpl(data, labels, is_template, tmp_path / "trained", profile_config("tiny"),
                       CPU)
    assert result.steps == profile_config("tiny").steps and result.samples_per_s > 0
    for name in ("config.json", "checkpoint.pt", "train.json"):
        assert (tmp_path / "trained" / name).exists()
    before = _mre(tmp_path / "untrained", data, truth)
    after = _mre(tmp_path / "trained", data, truth)
    assert after < 0.3 * before, (before, after)
    net, config = load_landmark_net(tmp_path / "trained", CPU)
    points, conf = locate(net, data.batch([0, 1]), config.radius)
    assert points.shape == (2, 7, 2) and conf["confidence"].shape == (2, 7)


def test_cancel_saves_and_resume_matches_an_uninterrupted_run(phantoms, tmp_path):
    data, labels, is_template, _ = phantoms
    config = profile_config("tiny", steps=30, checkpoint_every=1000)
    train_tpl(data, labels, is_template, tmp_path / "a", config, CPU)
    cancel = threading.Event()
    seen = []

    def progress(p):
        seen.append(p)
        cancel.set()   # at the first report (step 1 on a CPU): stopped at step 2

    with pytest.raises(CancelledError):
        train_tpl(data, labels, is_template, tmp_path / "b", config, CPU, progress=progress,
                  cancel=cancel)
    assert seen[-1].stage == "TPL training" and seen[-1].total == 30
    result = train_tpl(data, labels, is_template, tmp_path / "b", config, CPU)
    assert result.steps == 30
    assert json.loads((tmp_path / "b" / "train.json").read_text())["steps"] == 30
    a, _ = load_landmark_net(tmp_path / "a", CPU)
    b, _ = load_landmark_net(tmp_path / "b", CPU)
    for (name, ta), tb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.allclose(ta.float(), tb.float(), atol=1e-5), name


def test_other_settings_or_landmarks_in_the_same_run_folder_are_refused(phantoms, tmp_path):
    data, labels, is_template, _ = phantoms
    config = profile_config("tiny", steps=2)
    train_tpl(data, labels, is_template, tmp_path, config, CPU)
    with pytest.raises(CheckpointError, match="other settings"):
        train_tpl(data, labels, is_template, tmp_path, profile_config("tiny", steps=2, lr=0.5),
                  CPU)
    with pytest.raises(CheckpointError, match="landmarks"):
        train_tpl(data, labels[:, :3], is_template, tmp_path, config, CPU)
    with pytest.raises(CheckpointError, match="not a TPL run"):
        load_landmark_net(tmp_path / "elsewhere", CPU)


def test_template_slots_follow_the_template_weight():
    n = 10
    pixels = torch.zeros(n, 1, 32, 32, dtype=torch.uint8)
    labels = torch.arange(n, dtype=torch.float32).view(n, 1, 1).expand(n, 1, 2)
    is_template = torch.arange(n) < 2
    config = TPLConfig(image_size=32, batch_size=4000, template_weight=0.25,
                       rotation_deg=0, scale=0, translate=0, jitter=0)
    gen = torch.Generator().manual_seed(0)
    templates, others = torch.nonzero(is_template).flatten(), torch.nonzero(~is_template).flatten()
    _, points = sample_batch(pixels, labels, templates, others, config, gen)
    drawn = points[:, 0, 0].round().long()  # with no augmentation, the label is the index
    assert abs(float((drawn < 2).float().mean()) - 0.25) < 0.03
    assert set(drawn.tolist()) == set(range(n))
    _, only = sample_batch(pixels, labels, templates[:0], others, config, gen)
    assert (only[:, 0, 0] >= 2).all()
