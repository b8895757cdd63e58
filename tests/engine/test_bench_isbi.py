"""``cc2d bench-isbi`` and ``cc2d bench-infer`` end to end on phantoms laid out like the ISBI
folder (landmarks.csv with a split column, images/), with tiny settings."""

import json

import pytest

from engine.cli.main import main
from engine.data.landmarks import read_landmark_csv, write_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset


@pytest.fixture(scope="module")
def isbi_like(tmp_path_factory):
    root = tmp_path_factory.mktemp("isbi_like")
    paths, table = write_phantom_dataset(root / "images", 8, PhantomSpec(n_landmarks=3), seed=2)
    table.text["split"] = {p.name: ["train" if i < 5 else "test1"] * 3
                           for i, p in enumerate(paths)}
    write_landmark_csv(root / "landmarks.csv", table)
    return root


def test_bench_isbi_writes_traceable_results_and_predictions(isbi_like, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["bench-isbi", "--data", str(isbi_like), "--profile", "tiny", "--out", str(out),
                 "--templates", "phantom_000,phantom_001", "--ssl-steps", "2",
                 "--tpl-steps", "2", "--refine-steps", "2", "--save-predictions", str(tmp_path),
                 "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "paper CC2D-SSL" in printed and "ours TPL [phantom_001.png]" in printed
    assert "ours TPL+refine [phantom_001.png]" in printed
    r = json.loads(out.read_text())
    assert r["device"] == "cpu" and r["commit"] and "bench-isbi" in r["command"]
    assert [t["template"] for t in r["templates"]] == ["phantom_000.png", "phantom_001.png"]
    t = r["templates"][0]
    assert t["ours SSL"]["n_images"] == 3 and t["train pseudo-labels (SSL)"]["n_images"] == 4
    assert set(t["stages"]) == {"ssl_train", "pseudo_labels", "tpl_train", "tpl_predict",
                                "refine_train", "predict"}
    assert t["ours TPL+refine"]["n_images"] == 3
    assert "spread ours TPL" in r and "spread ours TPL+refine" in r
    preds = read_landmark_csv(r["cc2d_predictions_csv"])
    assert sorted(preds.points) == ["phantom_005.png", "phantom_006.png", "phantom_007.png"]
    coarse = read_landmark_csv(r["cc2d-coarse_predictions_csv"])   # before refinement
    assert sorted(coarse.points) == sorted(preds.points)
    assert r["ssl_predictions_csv"].endswith(f"tiny-ssl_cpu_{r['date']}.csv")

    # bench-infer times the trained networks of that run, refinement included.
    run = tmp_path / "r-runs" / "template-phantom_000"
    assert main(["bench-infer", "--run", str(run), "--profile", "tiny", "--size", "300x400",
                 "--repeats", "1", "--batch-size", "2", "--device", "cpu"]) == 0
    timing = json.loads(capsys.readouterr().out)
    assert timing["network"].startswith("trained") and timing["landmarks"] == 3
    assert timing["refine_network"].startswith("trained")


def test_bench_isbi_refuses_a_template_outside_the_training_split(isbi_like, tmp_path, capsys):
    assert main(["bench-isbi", "--data", str(isbi_like), "--profile", "tiny",
                 "--out", str(tmp_path / "r.json"), "--templates", "phantom_006"]) == 2
    assert "not a training image" in capsys.readouterr().err


def test_bench_infer_reports_latency(capsys):
    assert main(["bench-infer", "--profile", "tiny", "--size", "300x400", "--repeats", "2",
                 "--batch-size", "2", "--landmarks", "3", "--device", "cpu"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["image"] == "300x400" and r["single_image_s"] > 0 and r["batched_per_image_s"] > 0
    assert r["refine_single_image_s"] > 0
    assert r["total_single_image_s"] >= r["single_image_s"] + r["refine_single_image_s"] - 1e-3
    assert main(["bench-infer", "--profile", "tiny", "--size", "300x400", "--repeats", "1",
                 "--batch-size", "2", "--landmarks", "3", "--device", "cpu", "--no-refine"]) == 0
    assert "refine_single_image_s" not in json.loads(capsys.readouterr().out)


def test_templates_are_named_by_file_stem_or_number():
    from pathlib import Path

    from engine.bench.isbi import template_named

    assert template_named("1", Path("images/001.jpg"))
    assert template_named("001", Path("images/001.jpg"))
    assert template_named("001.jpg", Path("images/001.jpg"))
    assert not template_named("10", Path("images/001.jpg"))
    assert not template_named("phantom_1", Path("images/phantom_001.png"))


def test_bench_fewshot_grows_from_one_run_and_shares_its_ssl(isbi_like, tmp_path, capsys):
    out = tmp_path / "few.json"
    assert main(["bench-fewshot", "--data", str(isbi_like), "--profile", "tiny", "--out",
                 str(out), "--template", "phantom_000", "--k", "1,3", "--ssl-steps", "2",
                 "--tpl-steps", "5", "--refine-steps", "2", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    r = json.loads(out.read_text())
    assert r["device"] == "cpu" and "bench-fewshot" in r["command"] and r["commit"]
    assert [(x["k"], x["mode"]) for x in r["results"]] == [(1, "run"), (3, "run"), (3, "refit")]
    k1, k3, k3_refit = r["results"]
    assert k1["labelled"] == [] and len(k3["labelled"]) == 2 == len(set(k3["labelled"]))
    assert "phantom_000.png" not in k3["labelled"] and k3_refit["labelled"] == k3["labelled"]
    assert all(x["n_images"] == 3 for x in r["results"])          # the test1 images
    runs = tmp_path / "few-runs"
    ssl = (runs / "k1" / "ssl" / "checkpoint.pt").read_bytes()
    assert (runs / "k3" / "ssl" / "checkpoint.pt").read_bytes() == ssl
    assert (runs / "refit-k3" / "ssl" / "checkpoint.pt").read_bytes() == ssl
    assert "refit" in printed and "test1, template phantom_000.png" in printed


def test_bench_fewshot_checks_its_arguments(isbi_like, tmp_path, capsys):
    base = ["bench-fewshot", "--data", str(isbi_like), "--out", str(tmp_path / "x.json"),
            "--template", "phantom_000", "--device", "cpu"]
    assert main([*base, "--k", "3,5"]) == 2
    assert "include k = 1" in capsys.readouterr().err
    assert main([*base, "--k", "1,9"]) == 2      # 5 training images: 4 besides the template
    assert "needs 8 more training images" in capsys.readouterr().err
    assert main([*base, "--k", "one"]) == 2
    assert "whole numbers" in capsys.readouterr().err


def test_bench_isbi_scores_the_instant_matches_and_the_clinic_detector(
        isbi_like, tmp_path, capsys, pretrained_weights):
    out = tmp_path / "c.json"
    assert main(["bench-isbi", "--data", str(isbi_like), "--profile", "clinic", "--out",
                 str(out), "--templates", "phantom_000", "--tpl-steps", "2", "--seed", "1",
                 "--save-predictions", str(tmp_path), "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "ours instant [phantom_000.png]" in printed and "per image on its grid" in printed
    r = json.loads(out.read_text())
    t = r["templates"][0]
    assert t["ours instant"]["n_images"] == 3 and t["ours TPL"]["n_images"] == 3
    assert t["train pseudo-labels (instant)"]["n_images"] == 4
    assert set(t["stages"]) == {"pseudo_labels", "tpl_train", "tpl_predict", "predict"}
    assert t["stages"]["tpl_train"]["steps"] == 2 and t["tpl_predict_s_per_image"] > 0
    assert r["clinic_predictions_csv"].endswith(f"clinic_cpu_{r['date']}.csv")
    # Its instant stage is named for the profile: the instant run's own file is not touched.
    assert r["instant_predictions_csv"].endswith(f"clinic-instant_cpu_{r['date']}.csv")
    preds = read_landmark_csv(r["instant_predictions_csv"])
    assert sorted(preds.points) == ["phantom_005.png", "phantom_006.png", "phantom_007.png"]
    run = json.loads((tmp_path / "c-runs" / "template-phantom_000" / "run.json").read_text())
    assert run["tpl_config"]["seed"] == 1 and run["instant_config"]["seed"] == 1
