"""The refinement detector on phantoms: it pulls perturbed points back to the landmarks."""

import numpy as np
import pytest
import torch

from engine.data.grid import to_grid
from engine.data.landmarks import LandmarkTable
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.data.working_set import build_working_set
from engine.refine.config import profile_config
from engine.refine.predict import refine_table
from engine.refine.train import load_refine_net, train_refine

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny-profile refinement trained on the true labels of 12 phantoms."""
    folder = tmp_path_factory.mktemp("refine_phantoms")
    spec = PhantomSpec(n_landmarks=5, width=120, height=150, mark_size=0.04)
    paths, truth = write_phantom_dataset(folder, 12, spec, seed=8)
    config = profile_config("tiny", steps=150)
    fine = build_working_set(paths, config.fine_size, CPU)
    labels = torch.tensor(np.stack([to_grid(truth.get(p.name), *fine.sizes[i], config.fine_size)
                                    for i, p in enumerate(paths)]), dtype=torch.float32)
    is_template = torch.ones(len(paths), dtype=torch.bool)   # every label here is true
    run = folder / "refine"
    result = train_refine(fine, labels, is_template, run, config, CPU)
    assert result.steps == 150
    return fine, truth, run


def test_refinement_pulls_perturbed_points_to_the_landmarks(trained):
    fine, truth, run = trained
    net, config = load_refine_net(run, CPU)
    rng = np.random.default_rng(0)
    coarse = {name: pts + rng.uniform(-5, 5, pts.shape) for name, pts in truth.points.items()}
    table = refine_table(net, config, fine, LandmarkTable(truth.names, coarse), CPU)
    refined, shares = table.points, table.values["refine_share"]
    before = np.mean([np.linalg.norm(coarse[n] - truth.points[n], axis=1) for n in coarse])
    after = np.mean([np.linalg.norm(refined[n] - truth.points[n], axis=1) for n in coarse])
    assert after < 0.5 * before, (before, after)
    assert all(((s >= 0) & (s <= 1)).all() for s in shares.values())


def test_missing_and_unknown_points_are_left_alone(trained):
    fine, truth, run = trained
    net, config = load_refine_net(run, CPU)
    name = fine.keys[1]
    coarse = {name: truth.points[name].copy()}
    coarse[name][2] = np.nan
    table = refine_table(net, config, fine, LandmarkTable(truth.names, coarse), CPU)
    refined, shares = table.points, table.values["refine_share"]
    assert list(refined) == [name]                       # images without points are skipped
    assert np.isnan(refined[name][2]).all() and shares[name][2] == 0
    assert np.isfinite(np.delete(refined[name], 2, axis=0)).all()
