"""``cc2d run --profile instant`` on phantoms: a normal run folder, features cached and
reused when labelled images are added, any schema and image size, clear refusals."""

import json

import numpy as np
import pytest

from engine.cli.main import main
from engine.data.landmarks import LandmarkTable, read_landmark_csv, write_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.instant import features as features_module
from engine.metrics import evaluate
from engine.run_folder import RunFolder

pytestmark = pytest.mark.usefixtures("pretrained_weights")
TEMPLATE = "phantom_000.png"


@pytest.fixture(scope="module")
def phantoms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("instant")
    write_phantom_dataset(folder, 7, PhantomSpec(n_landmarks=6, width=120, height=150), seed=11)
    return folder


def _run(folder, out, *extra):
    return main(["run", "--images", str(folder), "--template", str(folder / TEMPLATE),
                 "--labels", str(folder / "landmarks.csv"), "--out", str(out),
                 "--profile", "instant", "--device", "cpu", *extra])


class _CountingExtractor:
    """Counts how many images the network runs on."""

    def __init__(self, monkeypatch):
        self.calls = 0
        real = features_module.FeatureExtractor.__call__

        def counted(extractor, image):
            self.calls += 1
            return real(extractor, image)

        monkeypatch.setattr(features_module.FeatureExtractor, "__call__", counted)


def test_a_run_folder_like_any_other_with_confidences(phantoms, tmp_path):
    out = tmp_path / "run"
    assert _run(phantoms, out) == 0
    folder = RunFolder(out)
    record = json.loads(folder.run_json.read_text())
    assert record["settings"]["profile"] == "instant"
    assert set(record["stages"]) == {"features", "predict"}
    assert record["environment"]["cpu"] and record["environment"]["torch_threads"] >= 1
    pred = read_landmark_csv(folder.predictions)
    truth = read_landmark_csv(phantoms / "landmarks.csv")
    assert len(pred.points) == 7 and pred.names == truth.names
    conf = np.concatenate(list(pred.values["confidence"].values()))
    assert ((conf >= 0) & (conf <= 1)).all()
    assert set(pred.text["stage"][TEMPLATE]) == {"template"}
    np.testing.assert_allclose(pred.points[TEMPLATE], truth.points[TEMPLATE], atol=1e-3)
    others = LandmarkTable(pred.names, {k: v for k, v in pred.points.items() if k != TEMPLATE})
    # Matching without any training finds the phantoms' marks to a few pixels.
    assert evaluate(others, truth, None).mre < 4.0
    assert len(list((out / "features").glob("*.npz"))) == 7


def test_a_rerun_is_done_and_more_labelled_images_rematch_from_the_cache(
        phantoms, tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert _run(phantoms, out) == 0
    first = RunFolder(out).predictions.read_bytes()
    counter = _CountingExtractor(monkeypatch)
    assert _run(phantoms, out) == 0
    assert counter.calls == 0 and RunFolder(out).predictions.read_bytes() == first

    truth = read_landmark_csv(phantoms / "landmarks.csv")
    labelled = tmp_path / "reviewed.csv"
    reviewed = {"phantom_004.png": truth.points["phantom_004.png"]}
    write_landmark_csv(labelled, LandmarkTable(truth.names, reviewed))
    assert _run(phantoms, out, "--labelled", str(labelled)) == 0
    assert counter.calls == 0                      # every image's features came from disk
    record = json.loads(RunFolder(out).run_json.read_text())
    assert record["stages"]["predict"]["labelled"] == 2
    pred = read_landmark_csv(RunFolder(out).predictions)
    np.testing.assert_allclose(pred.points["phantom_004.png"], truth.points["phantom_004.png"],
                               atol=1e-3)
    assert set(pred.text["stage"]["phantom_004.png"]) == {"template"}


def test_a_damaged_cache_entry_is_computed_again(phantoms, tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert _run(phantoms, out) == 0
    entries = sorted((out / "features").glob("*.npz"))
    entries[0].write_bytes(b"damaged")
    entries[1].write_bytes(entries[2].read_bytes()[:100])
    RunFolder(out).run_json.unlink()
    counter = _CountingExtractor(monkeypatch)
    assert _run(phantoms, out) == 0
    assert counter.calls == 2


def test_predict_and_refit_take_an_instant_run(phantoms, tmp_path):
    out = tmp_path / "run"
    assert _run(phantoms, out) == 0
    csv = tmp_path / "new.csv"
    assert main(["predict", "--run", str(out), "--images", str(phantoms / "phantom_003.png"),
                 "--out", str(csv), "--device", "cpu"]) == 0
    again = read_landmark_csv(csv)
    np.testing.assert_allclose(again.points["phantom_003.png"],
                               read_landmark_csv(out / "predictions.csv").points["phantom_003.png"])
    truth = read_landmark_csv(phantoms / "landmarks.csv")
    labels = tmp_path / "corrected.csv"
    write_landmark_csv(labels, LandmarkTable(truth.names,
                                             {"phantom_002.png": truth.points["phantom_002.png"]}))
    assert main(["refit", "--run", str(out), "--labels", str(labels), "--out",
                 str(tmp_path / "refit"), "--device", "cpu"]) == 0
    record = json.loads((tmp_path / "refit" / "run.json").read_text())
    assert record["features_dir"] == str((out / "features").resolve())
    assert not (tmp_path / "refit" / "features").exists()


def test_any_schema_and_image_size(tmp_path):
    folder = tmp_path / "wide"
    write_phantom_dataset(folder, 4, PhantomSpec(n_landmarks=37, width=260, height=130,
                                                 size_jitter=0.15), seed=3)
    out = tmp_path / "run"
    assert main(["run", "--images", str(folder), "--template", str(folder / TEMPLATE),
                 "--labels", str(folder / "landmarks.csv"), "--out", str(out),
                 "--profile", "instant", "--device", "cpu"]) == 0
    pred = read_landmark_csv(out / "predictions.csv")
    assert pred.n_landmarks == 37 and len(pred.points) == 4
    assert all(np.isfinite(p).all() for p in pred.points.values())


def test_training_options_and_other_runs_are_refused(phantoms, tmp_path, capsys):
    assert _run(phantoms, tmp_path / "a", "--ssl-steps", "5") != 0
    assert "trains nothing" in capsys.readouterr().err
    tiny = tmp_path / "tiny"
    RunFolder(tiny).write_record({"stages": {"ssl_train": {}}, "settings": {"profile": "tiny"}})
    assert _run(phantoms, tiny) != 0
    assert "another profile" in capsys.readouterr().err
