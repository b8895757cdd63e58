"""Damaged records: every value read back from a project file or a run folder is checked
like user input; damage is a CC2DError naming the file and the field, never a traceback,
and never a silent default (a config without its grid predicted on the default grid)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from damage import (
    predict_with,
    read_everything,
    replace_tensor,
    set_cell,
    small_project,
    tpl_run,
    undo_all,
    write_json,
)

from engine.checkpoint import check_state_dict
from engine.errors import CheckpointError, ProjectError
from engine.project import Project
from engine.refit import refit_settings
from engine.run_folder import RunFolder
from engine.tpl.config import TPLConfig


@pytest.fixture(scope="module")
def project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_project(tmp_path_factory.mktemp("damaged_project"))


@pytest.fixture
def project(project_template: Path, tmp_path: Path) -> Path:
    shutil.copytree(project_template, tmp_path / "p")
    return tmp_path / "p"


@pytest.mark.parametrize("table,column,value,row,field", [
    ("project", "schema_json", "not json", 1, "schema_json='not json': not JSON"),
    ("project", "schema_json", "[1]", 1, "schema_json='[1]': not a JSON object"),
    ("project", "schema_json", '{"landmarks": 5}', 1, "not a landmark schema"),
    ("project", "schema_json", "[" * 100_000, 1, "nested too deeply"),
    ("project", "template_image_id", "abc", 1, "template_image_id='abc'"),
    ("images", "status", "bogus", 1, "images row 1 has status='bogus': not one of"),
    ("images", "width", "abc", 2, "images row 2 has width='abc'"),
    ("images", "height", -5, 1, "height=-5: not a whole number 1..1000000"),
    ("images", "path", b"\x07", 1, "path=b'\\x07': not text"),
    ("images", "sha256", "xyz", 1, "sha256='xyz': not a sha256 digest"),
    ("landmarks", "x", "abc", 1, "landmarks row of image 1 has x='abc': not a finite number"),
    ("landmarks", "y", float("inf"), 2, "y=inf: not a finite number"),
    ("landmarks", "source", "bogus", 1, "source='bogus': not one of template"),
    ("landmarks", "idx", 99, 1, "idx=99: not a whole number 0..2"),
    ("landmarks", "confidence", "high", 1, "confidence='high'"),
    ("predictions", "x", "abc", 1, "predictions row of image 2 has x='abc'"),
    ("patient_fields", "birth_date", "1980-13-01", 1,
     "patient_fields row of image 2 has birth_date='1980-13-01': not a date that exists"),
    ("patient_fields", "name", b"\x00", 1, "name=b'\\x00': not text"),
    ("runs", "state", "bogus", 1, "runs row 1 has state='bogus'"),
    ("runs", "config_json", "{", 1, "config_json='{': not JSON"),
    ("runs", "metrics_json", "[]", 1, "metrics_json='[]': not a JSON object"),
    ("edit_log", "data_json", "nope", 2, "edit_log row 2 has data_json='nope'"),
    ("edit_log", "undoable", 7, 2, "undoable=7"),
])
def test_a_damaged_cell_is_named_not_a_traceback(project: Path, tmp_path: Path, table: str,
                                                 column: str, value: object, row: int,
                                                 field: str) -> None:
    set_cell(project, table, column, value, row)
    with pytest.raises(ProjectError) as info:
        read_everything(project, tmp_path)
    message = str(info.value)
    assert "project.sqlite is damaged" in message and field in message, message
    assert "restore project.sqlite from a backup" in message


def test_an_undo_that_would_write_a_damaged_change_is_refused_and_writes_nothing(
        project: Path) -> None:
    # The newest edit that placed a point: make its x text.
    with Project.open(project, read_only=True) as p:
        entry = next(e for e in reversed(p.edit_log()) if e.action == "edit"
                     and e.data["landmarks"] and e.data["landmarks"][0]["before"] is None)
        image_id = entry.data["landmarks"][0]["image"]
        before = p.landmarks(image_id)
    data = json.loads(json.dumps(entry.data))
    data["landmarks"][0]["after"]["x"] = "abc"
    set_cell(project, "edit_log", "data_json", json.dumps(data), entry.id)
    with pytest.raises(ProjectError, match=rf"edit_log row {entry.id} has data_json=.*"
                                           r"landmarks\[0\]\.after is not a landmark"):
        undo_all(project)
    with Project.open(project, read_only=True) as p:
        assert p.landmarks(image_id) == before


def test_the_cli_reports_a_damaged_project_as_one_error_line(project: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture
                                                              ) -> None:
    from engine.cli.main import main

    set_cell(project, "landmarks", "x", "abc")
    assert main(["project", "export", str(project), str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "has x='abc'" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def run_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return tpl_run(tmp_path_factory.mktemp("damaged_run"))


@pytest.fixture
def run(run_template: tuple[Path, Path], tmp_path: Path) -> Path:
    shutil.copytree(run_template[0], tmp_path / "run")
    return tmp_path / "run"


def _edit_json(path: Path, key: str, value: object) -> None:
    data = json.loads(path.read_text())
    if value is _DELETE:
        del data[key]
    else:
        data[key] = value
    write_json(path, data)


_DELETE = object()


def _refused(run: Path, images: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> str:
    assert predict_with(run, images, tmp_path / "out.csv") == 2
    assert not (tmp_path / "out.csv").exists()
    return capsys.readouterr().err


def test_a_config_without_its_grid_is_refused_not_predicted_on_the_default_one(
        run: Path, run_template: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    # It predicted on the default 384 grid a network trained on 64: 386 px off, exit 0.
    _edit_json(run / "tpl" / "config.json", "image_size", _DELETE)
    err = _refused(run, run_template[1], tmp_path, capsys)
    assert "config.json: it lacks image_size" in err and "damaged or incomplete" in err


@pytest.mark.parametrize("key,value,says", [
    ("image_size", -32, "image_size=-32 is outside 32..4096"),
    ("image_size", 0, "image_size=0 is outside"),
    ("image_size", 1 << 20, "is outside 32..4096"),
    ("image_size", 64.5, "image_size=64.5 is not int"),
    ("image_size", [64, 64], "is not int"),
    ("width", 1e9, "width=1000000000.0 is outside"),
    ("radius", "abc", "radius='abc' is not float"),
    ("batch_norm", -1, "batch_norm=-1 is not bool"),
    ("backbone_weights", 5, "backbone_weights=5 is not str"),
])
def test_an_absurd_config_value_is_refused_naming_it(run: Path, run_template: tuple[Path, Path],
                                                     tmp_path: Path,
                                                     capsys: pytest.CaptureFixture, key: str,
                                                     value: object, says: str) -> None:
    _edit_json(run / "tpl" / "config.json", key, value)
    assert says in _refused(run, run_template[1], tmp_path, capsys)


def test_a_config_missing_only_a_field_added_later_still_loads(run: Path) -> None:
    _edit_json(run / "tpl" / "config.json", "init_from", _DELETE)
    assert TPLConfig.load(run / "tpl" / "config.json").init_from == ""


@pytest.mark.parametrize("file,key,value,says", [
    ("template.json", "image", 5, "template.json is damaged"),
    ("template.json", "names", -1, "template.json is damaged"),
    ("template.json", "points", [[1, "x"]] * 3, "template.json is damaged"),
    ("template.json", "names", ["A", "B"], "names 2 landmarks but holds 3 points"),
    ("run.json", "stages", {"tpl_train": 5}, "its 'stages' is not"),
    ("run.json", "image_keys", 7, "its 'image_keys' is not an object of image paths"),
    ("run.json", "landmarks", 3, "its 'landmarks' is not a list of landmark names"),
    ("run.json", "settings", {"profile": 5}, "its 'settings' is not"),
])
def test_a_damaged_run_file_is_refused_naming_the_key(run: Path, run_template: tuple[Path, Path],
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture, file: str,
                                                      key: str, value: object,
                                                      says: str) -> None:
    _edit_json(run / file, key, value)
    assert says in _refused(run, run_template[1], tmp_path, capsys)


def test_a_refit_refuses_recorded_settings_that_are_no_config(run: Path) -> None:
    _edit_json(run / "run.json", "settings", {"profile": "tiny", "tpl": {"image_size": -64}})
    folder = RunFolder(run)
    with pytest.raises(CheckpointError, match="settings: image_size=-64 is outside"):
        refit_settings(folder.read_record(), folder)


@pytest.mark.parametrize("key,value,says", [
    ("encoder.mean", "nan", "holds non-finite or absurd values"),
    ("encoder.mean", "huge", "holds non-finite or absurd values"),
    ("encoder.mean", [1, 2], "does not hold the weights of a network (net)"),
    ("net", "tensor", "does not hold the weights of a network (net) (names of tensors, got "
     "Tensor)"),
    ("n_landmarks", -1, "its landmark count -1 is not 1..10000"),
    ("n_landmarks", 10**9, "its landmark count 1000000000 is not"),
    ("n_landmarks", "3", "its landmark count '3' is not"),
])
def test_a_damaged_checkpoint_is_refused(run: Path, run_template: tuple[Path, Path],
                                         tmp_path: Path, capsys: pytest.CaptureFixture,
                                         key: str, value: object, says: str) -> None:
    ckpt = run / "tpl" / "checkpoint.pt"
    current = torch.load(ckpt, weights_only=True)["net"].get(key)
    if value == "nan":
        value = torch.full_like(current, float("nan"))
    elif value == "huge":
        value = current + 1e30
    elif value == "tensor":
        value = torch.zeros(3)
    replace_tensor(ckpt, key, value)
    assert says in _refused(run, run_template[1], tmp_path, capsys)


@pytest.mark.parametrize("weights", [[1, 2], torch.zeros(3), {"features.0.weight": "x"}])
def test_backbone_weights_that_are_no_state_dict_are_refused(tmp_path: Path,
                                                             weights: object) -> None:
    from engine.models.encoders import build_encoder, load_encoder_weights

    path = tmp_path / "weights.pt"
    torch.save(weights, path)
    for encoder in ("vgg19", "lite0"):
        with pytest.raises(CheckpointError, match="does not hold the weights of a"):
            load_encoder_weights(build_encoder(encoder, 0.125), str(path))


def test_a_state_dict_check_passes_real_weights(pretrained_weights: Path) -> None:
    state = torch.load(pretrained_weights, weights_only=True)
    assert check_state_dict(state, pretrained_weights, "EfficientNet-Lite0") is state
