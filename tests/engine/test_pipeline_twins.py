"""Images named alike in two folders stay apart through a run; a run folder keeps the
settings its done stages were made with; damaged run files are clear errors."""

import json
import shutil

import numpy as np
import pytest
import torch

from engine.checkpoint import load_checkpoint, save_checkpoint
from engine.data.landmarks import read_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.data.template import Template
from engine.errors import CheckpointError, DeviceError
from engine.pipeline import PipelineSettings, run_pipeline
from engine.run_folder import RunFolder
from engine.run_predict import predict_images

CPU = torch.device("cpu")
STEPS = {"steps": 2}
SETTINGS = PipelineSettings("tiny", STEPS, STEPS, STEPS)


def _twins(root):
    """Two folders whose images all share names: a/phantom_000.png, b/phantom_000.png, …"""
    spec = PhantomSpec(n_landmarks=4, width=90, height=110)
    a, truth_a = write_phantom_dataset(root / "a", 3, spec, seed=1)
    b, _ = write_phantom_dataset(root / "b", 3, spec, seed=2)
    return a + b, Template.from_table(a[0], truth_a)


@pytest.fixture(scope="module")
def twin_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("twins")
    images, template = _twins(root)
    record = run_pipeline(images, template, root / "run", SETTINGS, CPU)
    return root, images, template, record


def test_twins_each_get_their_own_predictions(twin_run):
    root, images, template, record = twin_run
    folder = RunFolder(root / "run")
    keys = [f"{side}/phantom_{i:03d}.png" for side in "ab" for i in range(3)]
    assert record["image_keys"] == {k: str(p.resolve()) for k, p in zip(keys, images)}
    for table in (read_landmark_csv(folder.pseudo_labels),
                  read_landmark_csv(folder.predictions)):
        assert sorted(table.points) == sorted(keys)
    pred = read_landmark_csv(folder.predictions)
    # Only the template itself keeps its labels; its twin in b/ is predicted.
    assert pred.text["stage"]["a/phantom_000.png"] == ["template"] * 4
    assert set(pred.text["stage"]["b/phantom_000.png"]) <= {"tpl", "refined"}
    np.testing.assert_allclose(pred.points["a/phantom_000.png"], template.points, atol=1e-3)
    for i in range(3):   # each twin's points come from its own image
        a, b = pred.points[f"a/phantom_{i:03d}.png"], pred.points[f"b/phantom_{i:03d}.png"]
        assert np.isfinite(a).all() and np.isfinite(b).all() and not np.allclose(a, b)


def test_a_rerun_with_other_settings_or_template_is_refused_and_changes_nothing(twin_run):
    root, images, template, _ = twin_run
    folder = RunFolder(root / "run")
    before = folder.run_json.read_bytes()
    other = PipelineSettings("tiny", {"steps": 3}, STEPS, STEPS)
    with pytest.raises(CheckpointError, match=r"(?s)already holds stage\(s\) ssl_train.*"
                                              r"ssl_config: steps 2 → 3"):
        run_pipeline(images, template, folder.root, other, CPU)
    fewer = Template(template.image, template.names[:3], template.points[:3])
    with pytest.raises(CheckpointError, match=r"(?s)landmarks: \['P1', 'P2', 'P3', 'P4'\] → "
                                              r"\['P1', 'P2', 'P3'\].*template_points"):
        run_pipeline(images, fewer, folder.root, SETTINGS, CPU)
    moved = Template(images[1], template.names, template.points)
    with pytest.raises(CheckpointError, match="template: .*phantom_000.png' → .*phantom_001"):
        run_pipeline(images, moved, folder.root, SETTINGS, CPU)
    assert folder.run_json.read_bytes() == before


def test_a_damaged_run_json_is_a_checkpoint_error(twin_run, tmp_path):
    root, images, template, _ = twin_run
    folder = RunFolder(tmp_path / "run")
    shutil.copytree(root / "run", folder.root)
    folder.run_json.write_text('{"stages": {"ssl_tr')
    with pytest.raises(CheckpointError, match="run.json is damaged .* delete the run folder"):
        run_pipeline(images, template, folder.root, SETTINGS, CPU)
    with pytest.raises(CheckpointError, match="run.json is damaged"):
        predict_images(folder.root, images[:1], CPU)


def _grow_first_weight(net):
    key = next(k for k, v in net.items() if v.ndim > 1)
    net[key] = torch.zeros(net[key].shape[0] + 1, *net[key].shape[1:])


@pytest.mark.parametrize("damage,message", [
    (lambda net: net.popitem(), "Missing key"),
    (_grow_first_weight, "size mismatch"),
])
def test_a_checkpoint_that_does_not_fit_names_its_file(twin_run, tmp_path, damage, message):
    root, images, _, _ = twin_run
    folder = RunFolder(tmp_path / "run")
    shutil.copytree(root / "run", folder.root)
    path = folder.tpl / "checkpoint.pt"
    state = load_checkpoint(path)
    damage(state["net"])
    save_checkpoint(path, state)
    with pytest.raises(CheckpointError, match=f"{path}.*does not fit .*{message}"):
        predict_images(folder.root, images[:2], CPU)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match=f"{path} is not a valid checkpoint"):
        predict_images(folder.root, images[:2], CPU)


def test_a_run_whose_template_lost_a_landmark_is_refused(twin_run, tmp_path):
    root, images, template, _ = twin_run
    folder = RunFolder(tmp_path / "run")
    shutil.copytree(root / "run", folder.root)
    saved = json.loads(folder.template_json.read_text())
    saved["names"].append("P5")
    saved["points"].append([1.0, 2.0])
    folder.template_json.write_text(json.dumps(saved))
    with pytest.raises(CheckpointError, match="network for 4 landmarks but the run's template"):
        predict_images(folder.root, images[:2], CPU)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is present")
def test_asking_for_cuda_without_one_is_a_device_error(twin_run, tmp_path):
    _, images, template, _ = twin_run
    with pytest.raises(DeviceError, match="CUDA GPU was asked for.*--device cpu"):
        run_pipeline(images, template, tmp_path / "run", SETTINGS, torch.device("cuda"))
    assert not (tmp_path / "run").exists()


def test_running_out_of_gpu_memory_is_a_device_error(twin_run, tmp_path, monkeypatch):
    from engine.models.feature_net import FeatureNet

    def out_of_memory(self, x):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(FeatureNet, "forward", out_of_memory)
    _, images, template, _ = twin_run
    with pytest.raises(DeviceError, match="ran out of memory during the pipeline.*quick profile"):
        run_pipeline(images, template, tmp_path / "run", SETTINGS, CPU)
