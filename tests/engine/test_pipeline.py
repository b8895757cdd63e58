"""``cc2d run`` on phantoms: every stage runs, outputs are complete, a rerun resumes."""

import json
from pathlib import Path

import numpy as np
import pytest

from engine.cli.main import main
from engine.data.landmarks import read_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.run_folder import RunFolder


@pytest.fixture(scope="module")
def phantom_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline")
    write_phantom_dataset(folder, 8, PhantomSpec(n_landmarks=5, width=100, height=120), seed=5)
    return folder


def _run(folder, out, *extra):
    return main(["run", "--images", str(folder), "--template", str(folder / "phantom_000.png"),
                 "--labels", str(folder / "landmarks.csv"), "--out", str(out),
                 "--profile", "tiny", "--device", "cpu", *extra])


def _steps(n):
    return ["--ssl-steps", str(n), "--tpl-steps", str(n), "--refine-steps", str(n)]


def test_run_writes_predictions_and_record_then_resumes(phantom_dir, tmp_path):
    out = tmp_path / "run"
    assert _run(phantom_dir, out, *_steps(4)) == 0
    record = json.loads(RunFolder(out).run_json.read_text())
    assert set(record["stages"]) == {"ssl_train", "pseudo_labels", "tpl_train", "tpl_predict",
                                     "refine_train", "predict"}
    assert record["environment"]["torch"] and record["stages"]["ssl_train"]["steps"] == 4
    assert record["stages"]["ssl_train"]["backbone_weights"].startswith("none")
    pred = read_landmark_csv(out / "predictions.csv")
    truth = read_landmark_csv(phantom_dir / "landmarks.csv")
    assert sorted(pred.points) == sorted(truth.points)
    assert pred.names == truth.names
    assert {"confidence", "heat_peak", "vote_share", "refine_share"} <= set(pred.values)
    assert pred.text["stage"]["phantom_000.png"] == ["template"] * 5
    assert set(pred.text["stage"]["phantom_001.png"]) <= {"tpl", "refined"}
    coarse = read_landmark_csv(out / "tpl_predictions.csv")
    assert coarse.text["stage"]["phantom_001.png"] == ["tpl"] * 5
    np.testing.assert_allclose(pred.points["phantom_000.png"], truth.points["phantom_000.png"],
                               atol=1e-3)
    for pts in pred.points.values():
        assert np.isfinite(pts).all()

    # A rerun finds every stage done and changes nothing.
    before = (out / "predictions.csv").read_bytes()
    assert _run(phantom_dir, out, *_steps(4)) == 0
    assert (out / "predictions.csv").read_bytes() == before

    # ``cc2d predict`` with the finished run gives the same points for the same images.
    again = tmp_path / "again.csv"
    assert main(["predict", "--run", str(out), "--images", str(phantom_dir), "--out", str(again),
                 "--device", "cpu"]) == 0
    repeat = read_landmark_csv(again)
    for name, pts in pred.points.items():
        np.testing.assert_allclose(repeat.points[name], pts, atol=1e-4)
    assert repeat.text["stage"] == pred.text["stage"]


def test_predict_refuses_an_unfinished_run(tmp_path, phantom_dir, capsys):
    assert main(["predict", "--run", str(tmp_path), "--images", str(phantom_dir),
                 "--out", str(tmp_path / "p.csv")]) == 2
    assert "no finished cc2d run" in capsys.readouterr().err


def test_interrupted_run_resumes_at_the_unfinished_stage(phantom_dir, tmp_path):
    out = tmp_path / "run"
    assert _run(phantom_dir, out, *_steps(3)) == 0
    record = json.loads(RunFolder(out).run_json.read_text())
    # Forget the later stages as if the process had been killed during TPL training.
    for stage in ("tpl_train", "tpl_predict", "refine_train", "predict"):
        del record["stages"][stage]
    RunFolder(out).run_json.write_text(json.dumps(record))
    (out / "predictions.csv").unlink()
    ssl_ckpt = (out / "ssl" / "checkpoint.pt").stat().st_mtime_ns
    assert _run(phantom_dir, out, *_steps(3)) == 0
    assert (out / "ssl" / "checkpoint.pt").stat().st_mtime_ns == ssl_ckpt  # SSL not redone
    assert (out / "predictions.csv").exists()
    assert json.loads(RunFolder(out).run_json.read_text())["stages"]["tpl_train"]["steps"] == 3


def _mean_error(table, truth, skip):
    errors = [np.linalg.norm(table.points[name] - pts, axis=1)
              for name, pts in truth.points.items() if name != skip]
    return float(np.mean(errors)), float(np.median(errors))


def test_tpl_beats_the_ssl_pseudo_labels_on_phantoms(tmp_path):
    # The paper's point in miniature: SSL matching alone makes outliers; a detector
    # trained on all pseudo-labels learns what most of them agree on. Measured on
    # seeds 1, 2, 3, 5: TPL MRE 0.38–0.61 × the SSL MRE, ~30 s per run on one core, on
    # the machines of 2026-11; on the AMD EPYC machines of 2026-12 the same seed gives
    # 0.84 × (16.1 vs 19.1 px) with torch 2.13 and 2.14 alike: the float path of training
    # differs by CPU, so only "better than its pseudo-labels" is asserted.
    folder = tmp_path / "phantoms"
    write_phantom_dataset(folder, 16, PhantomSpec(n_landmarks=5, width=100, height=120,
                                                  mark_size=0.05), seed=5)
    out = tmp_path / "run"
    assert _run(folder, out, "--ssl-steps", "200", "--tpl-steps", "200") == 0
    truth = read_landmark_csv(folder / "landmarks.csv")
    ssl_mre, ssl_median = _mean_error(read_landmark_csv(out / "pseudo_labels.csv"), truth,
                                      "phantom_000.png")
    tpl_mre, tpl_median = _mean_error(read_landmark_csv(out / "predictions.csv"), truth,
                                      "phantom_000.png")
    assert tpl_mre < 0.9 * ssl_mre, (tpl_mre, ssl_mre)
    assert tpl_median < ssl_median, (tpl_median, ssl_median)


def test_a_broken_image_is_skipped_and_reported(phantom_dir, tmp_path, capsys):
    import shutil

    folder = tmp_path / "images"
    shutil.copytree(phantom_dir, folder)
    (folder / "phantom_003.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    out = tmp_path / "run"
    assert _run(folder, out, *_steps(2)) == 0
    assert "skipped" in capsys.readouterr().err
    record = json.loads(RunFolder(out).run_json.read_text())
    assert [Path(s["image"]).name for s in record["skipped_images"]] == ["phantom_003.png"]
    pred = read_landmark_csv(out / "predictions.csv")
    assert "phantom_003.png" not in pred.points and len(pred.points) == 7


def test_an_unreadable_template_stops_with_a_clear_message(phantom_dir, tmp_path, capsys):
    import shutil

    folder = tmp_path / "images"
    shutil.copytree(phantom_dir, folder)
    (folder / "phantom_000.png").write_bytes(b"garbage")
    assert _run(folder, tmp_path / "run", *_steps(2)) == 2
    assert "template cannot be read" in capsys.readouterr().err


def test_refinement_predicts_on_the_images_it_trained_with(phantom_dir, tmp_path, monkeypatch):
    """One run reads the fine-grid images once: the refined predictions reuse them."""
    import engine.run_predict

    def no_reload(*args, **kwargs):
        raise AssertionError("the fine-grid images were read a second time")

    monkeypatch.setattr(engine.run_predict, "build_working_set", no_reload)
    assert _run(phantom_dir, tmp_path / "run", *_steps(2)) == 0
    pred = read_landmark_csv(tmp_path / "run" / "predictions.csv")
    assert "refine_share" in pred.values and len(pred.points) == 8


def test_a_resumed_run_refuses_other_images_or_template_pixels(phantom_dir, tmp_path, capsys):
    import shutil

    folder = tmp_path / "img"
    shutil.copytree(phantom_dir, folder)
    out = tmp_path / "run"
    assert _run(folder, out, *_steps(2)) == 0
    capsys.readouterr()
    # An image added after the run started: the run would train on 8 and predict 9.
    shutil.copy(folder / "phantom_001.png", folder / "phantom_extra.png")
    assert _run(folder, out, *_steps(2)) == 2
    err = capsys.readouterr().err
    assert "made with other settings" in err and "n_images 8 → 9" in err
    (folder / "phantom_extra.png").unlink()
    # The template's pixels changed (same name, same points).
    data = bytearray((folder / "phantom_000.png").read_bytes())
    import cv2

    image = cv2.imread(str(folder / "phantom_000.png"), cv2.IMREAD_GRAYSCALE)
    image[0, 0] = 255 - image[0, 0]
    cv2.imwrite(str(folder / "phantom_000.png"), image)
    assert (folder / "phantom_000.png").read_bytes() != bytes(data)
    assert _run(folder, out, *_steps(2)) == 2
    assert "template_sha256" in capsys.readouterr().err
