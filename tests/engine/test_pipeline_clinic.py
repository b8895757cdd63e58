"""Profiles whose detector learns from the instant stage (``clinic``, ``full``), on
phantoms with small settings: pseudo-labels from pretrained features filtered by their
confidence, a TPL with the pretrained encoder, resume, refit sharing the feature cache,
and the command line refusing SSL options."""


import numpy as np
import pytest
import torch

from engine.cli.main import main
from engine.data.landmarks import LandmarkTable, read_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.data.template import Template
from engine.instant import features as features_module
from engine.metrics import evaluate
from engine.models.efficientnet_lite import WEIGHTS_SOURCE
from engine.pipeline import PipelineSettings, run_pipeline
from engine.refit import refit
from engine.run_folder import RunFolder

pytestmark = pytest.mark.usefixtures("pretrained_weights")
TEMPLATE = "phantom_000.png"
CPU = torch.device("cpu")
# Seconds on a CPU: a 96 grid, features on a 160 grid.
SMALL = PipelineSettings("clinic", tpl={"image_size": 96, "radius": 3.0, "batch_size": 4,
                                        "steps": 150, "time_budget_s": 0.0,
                                        "checkpoint_every": 50},
                         instant={"long_side": 160, "pseudo_keep": 0.75})


@pytest.fixture(scope="module")
def phantoms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clinic")
    write_phantom_dataset(folder, 8, PhantomSpec(n_landmarks=5, width=120, height=150), seed=3)
    return folder


@pytest.fixture(scope="module")
def truth(phantoms):
    return read_landmark_csv(phantoms / "landmarks.csv")


@pytest.fixture(scope="module")
def clinic_run(phantoms, truth, tmp_path_factory):
    out = tmp_path_factory.mktemp("clinic_run") / "run"
    template = Template.from_table(phantoms / TEMPLATE, truth)
    record = run_pipeline(sorted(phantoms.glob("*.png")), template, out, SMALL, CPU)
    return out, record


def _others(table: LandmarkTable) -> LandmarkTable:
    return LandmarkTable(table.names, {k: v for k, v in table.points.items() if k != TEMPLATE})


class _CountingExtractor:
    def __init__(self, monkeypatch):
        self.calls = 0
        real = features_module.FeatureExtractor.__call__

        def counted(extractor, image):
            self.calls += 1
            return real(extractor, image)

        monkeypatch.setattr(features_module.FeatureExtractor, "__call__", counted)


def test_the_detector_learns_from_confident_instant_matches(clinic_run, truth):
    out, record = clinic_run
    folder = RunFolder(out)
    assert set(record["stages"]) == {"pseudo_labels", "tpl_train", "tpl_predict", "predict"}
    assert record["stages"]["pseudo_labels"]["source"] == "instant"
    assert record["instant_config"]["pseudo_keep"] == 0.75 and "ssl_config" not in record
    assert record["stages"]["tpl_train"]["backbone_weights"] == WEIGHTS_SOURCE
    assert record["tpl_config"]["encoder"] == "lite0"
    assert len(list((out / "features").glob("*.npz"))) == 8
    pseudo = read_landmark_csv(folder.pseudo_labels)
    assert evaluate(_others(pseudo), truth, None).mre < 5.0
    pred = read_landmark_csv(folder.predictions)
    assert sorted(pred.points) == sorted(truth.points)
    np.testing.assert_allclose(pred.points[TEMPLATE], truth.points[TEMPLATE], atol=1e-3)
    assert set(pred.text["stage"]["phantom_004.png"]) == {"tpl"}
    # 150 steps on 8 phantoms: the detector finds the marks to a few pixels.
    assert evaluate(_others(pred), truth, None).mre < 6.0


def test_the_confidence_filter_drops_the_least_confident_quarter(clinic_run):
    out, _ = clinic_run
    kept = read_landmark_csv(RunFolder(out).pseudo_labels)
    # The rows are all matched, the filter only drops what TPL learns from.
    assert all(np.isfinite(p).all() for p in kept.points.values())
    from engine.pseudo_labels import trusted

    learned = trusted(kept, 0.75, [TEMPLATE])
    dropped = sum(int(np.isnan(p[:, 0]).sum()) for p in learned.points.values())
    assert dropped == 5 * (7 - round(0.75 * 7))


def test_a_rerun_is_done_and_other_settings_are_refused(clinic_run, phantoms, truth):
    out, record = clinic_run
    template = Template.from_table(phantoms / TEMPLATE, truth)
    again = run_pipeline(sorted(phantoms.glob("*.png")), template, out, SMALL, CPU)
    assert again["stages"] == record["stages"]
    other = PipelineSettings("clinic", tpl=SMALL.tpl, instant={"long_side": 192})
    from engine.errors import CheckpointError

    with pytest.raises(CheckpointError, match="long_side"):
        run_pipeline(sorted(phantoms.glob("*.png")), template, out, other, CPU)


def test_a_refit_matches_again_from_the_shared_cache(clinic_run, phantoms, truth, tmp_path,
                                                     monkeypatch):
    out, _ = clinic_run
    counter = _CountingExtractor(monkeypatch)
    more = [Template.from_table(phantoms / "phantom_003.png", truth)]
    record = refit(out, tmp_path / "refit", more, CPU)
    assert counter.calls == 0                        # every image's features were cached
    assert record["features_dir"] == str((out / "features").resolve())
    assert record["stages"]["tpl_train"]["backbone_weights"].startswith("fine-tuned from")
    pred = read_landmark_csv(RunFolder(tmp_path / "refit").predictions)
    np.testing.assert_allclose(pred.points["phantom_003.png"], truth.points["phantom_003.png"],
                               atol=1e-3)


def test_the_command_line_refuses_ssl_options_and_routes_pseudo_keep(phantoms, tmp_path,
                                                                      capsys):
    base = ["run", "--images", str(phantoms), "--template", str(phantoms / TEMPLATE),
            "--labels", str(phantoms / "landmarks.csv"), "--out", str(tmp_path / "r"),
            "--profile", "clinic", "--device", "cpu"]
    assert main([*base, "--ssl-steps", "5", "--cycle-candidates", "3"]) == 2
    err = capsys.readouterr().err
    assert "--ssl-steps, --cycle-candidates" in err and "trains no SSL" in err
    from engine.cli.main import build_parser
    from engine.cli.run_cmd import settings_from_args

    args = build_parser().parse_args([*base, "--pseudo-keep", "0.5", "--tpl-steps", "3"])
    settings = settings_from_args(args, CPU)
    assert settings.instant == {"pseudo_keep": 0.5} and settings.ssl is None
    assert settings.configs()[0].pseudo_keep == 0.5 and settings.configs()[1].steps == 3
    assert not (tmp_path / "r" / "run.json").exists()
    # Without --profile: clinic on a CPU, full on a CUDA GPU (what bench-* use as well).
    unnamed = [a for a in base if a not in ("--profile", "clinic")]
    assert settings_from_args(build_parser().parse_args(unnamed), CPU).profile == "clinic"
    cuda = settings_from_args(build_parser().parse_args(unnamed), torch.device("cuda"))
    assert cuda.profile == "full"
