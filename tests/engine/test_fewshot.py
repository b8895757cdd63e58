"""Several labelled images: ``cc2d run --labelled`` and ``cc2d refit`` on phantoms."""

import json
from pathlib import Path

import numpy as np
import pytest

from engine.cli.main import main
from engine.data.landmarks import LandmarkTable, read_landmark_csv, write_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.data.template import Template
from engine.labelled import labelled_from_table
from engine.run_folder import RunFolder

TEMPLATE = "phantom_000.png"
CORRECTED = ("phantom_003.png", "phantom_005.png")


@pytest.fixture(scope="module")
def phantoms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fewshot")
    write_phantom_dataset(folder, 8, PhantomSpec(n_landmarks=5, width=100, height=120), seed=7)
    return folder


def _corrected_csv(phantoms: Path, path: Path, images=CORRECTED, gap: bool = False) -> Path:
    truth = read_landmark_csv(phantoms / "landmarks.csv")
    table = LandmarkTable(truth.names, {k: truth.points[k].copy() for k in images})
    if gap:
        table.points[images[-1]][2] = np.nan
    write_landmark_csv(path, table, precision=6)
    return path


def _run(phantoms: Path, out: Path, *extra: str) -> int:
    return main(["run", "--images", str(phantoms), "--template", str(phantoms / TEMPLATE),
                 "--labels", str(phantoms / "landmarks.csv"), "--out", str(out),
                 "--profile", "tiny", "--device", "cpu", "--ssl-steps", "3", "--tpl-steps", "4",
                 "--refine-steps", "3", *extra])


def test_labelled_rows_are_chosen_with_reasons(phantoms, tmp_path):
    truth = read_landmark_csv(phantoms / "landmarks.csv")
    template = Template.from_table(phantoms / TEMPLATE, truth)
    table = read_landmark_csv(_corrected_csv(phantoms, tmp_path / "c.csv", gap=True))
    table.points["elsewhere.png"] = truth.points[TEMPLATE].copy()
    table.points[TEMPLATE] = truth.points[TEMPLATE].copy()       # the template: not "more"
    labelled, unused = labelled_from_table(table, sorted(phantoms.glob("*.png")), template)
    assert [t.image.name for t in labelled] == ["phantom_003.png"]
    np.testing.assert_allclose(labelled[0].points, truth.points["phantom_003.png"], atol=1e-5)
    assert unused == ["phantom_005.png: lacks 1 landmark(s)", "elsewhere.png: not among the images"]


def test_run_with_labelled_images_keeps_their_labels(phantoms, tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(phantoms, out, "--labelled", str(_corrected_csv(phantoms, tmp_path / "c.csv"))) == 0
    assert "the template and 2 more" in capsys.readouterr().out
    truth = read_landmark_csv(phantoms / "landmarks.csv")
    record = json.loads(RunFolder(out).run_json.read_text())
    assert [Path(x["image"]).name for x in record["labelled"]] == list(CORRECTED)
    for csv in ("pseudo_labels.csv", "tpl_predictions.csv", "predictions.csv"):
        table = read_landmark_csv(out / csv)
        for name in (TEMPLATE, *CORRECTED):   # true labels stay true through every stage
            np.testing.assert_allclose(table.points[name], truth.points[name], atol=1e-3)
    final = read_landmark_csv(out / "predictions.csv")
    assert final.text["stage"]["phantom_003.png"] == ["template"] * 5
    assert final.text["stage"]["phantom_001.png"] != ["template"] * 5
    # Other labelled images than those recorded: refused, not mixed into the finished run.
    assert _run(phantoms, out, "--labelled",
                str(_corrected_csv(phantoms, tmp_path / "d.csv", images=CORRECTED[:1]))) == 2
    assert "labelled" in capsys.readouterr().err


def test_refit_reuses_ssl_finetunes_tpl_and_predicts_again(phantoms, tmp_path, capsys):
    first = tmp_path / "first"
    assert _run(phantoms, first) == 0
    ssl_bytes = (first / "ssl" / "checkpoint.pt").read_bytes()
    second = tmp_path / "second"
    csv = _corrected_csv(phantoms, tmp_path / "c.csv")
    assert main(["refit", "--run", str(first), "--labels", str(csv), "--out", str(second),
                 "--device", "cpu"]) == 0
    assert "the template and 2 more" in capsys.readouterr().out
    record = json.loads(RunFolder(second).run_json.read_text())
    assert record["refit_of"] == str(first.resolve())
    assert (second / "ssl" / "checkpoint.pt").read_bytes() == ssl_bytes   # reused, not retrained
    assert record["stages"]["ssl_train"] == json.loads(
        RunFolder(first).run_json.read_text())["stages"]["ssl_train"]
    tpl = record["tpl_config"]
    assert tpl["init_from"] == str((first / "tpl" / "checkpoint.pt").resolve())
    assert record["stages"]["tpl_train"]["steps"] == 2          # 40 % of the first run's 4
    assert record["stages"]["tpl_train"]["backbone_weights"].startswith("fine-tuned from")
    truth = read_landmark_csv(phantoms / "landmarks.csv")
    final = read_landmark_csv(second / "predictions.csv")
    assert sorted(final.points) == sorted(truth.points)
    for name in CORRECTED:
        np.testing.assert_allclose(final.points[name], truth.points[name], atol=1e-3)
    # The first run is untouched; the refit resumes (all done: nothing changes).
    before = (second / "predictions.csv").read_bytes()
    assert main(["refit", "--run", str(first), "--labels", str(csv), "--out", str(second),
                 "--device", "cpu"]) == 0
    assert (second / "predictions.csv").read_bytes() == before
    assert main(["refit", "--run", str(first), "--labels", str(csv), "--out", str(first),
                 "--device", "cpu"]) == 2
    assert "new run folder" in capsys.readouterr().err


def test_refit_needs_a_finished_run_and_a_labelled_image(phantoms, tmp_path, capsys):
    first = tmp_path / "first"
    assert _run(phantoms, first) == 0
    only_template = _corrected_csv(phantoms, tmp_path / "t.csv", images=(TEMPLATE,))
    assert main(["refit", "--run", str(first), "--labels", str(only_template), "--out",
                 str(tmp_path / "x"), "--device", "cpu"]) == 2
    assert "at least one labelled image" in capsys.readouterr().err
    assert main(["refit", "--run", str(tmp_path), "--labels", str(only_template), "--out",
                 str(tmp_path / "y"), "--device", "cpu"]) == 2


def test_a_refit_of_a_refit_trains_as_long_as_the_first(phantoms, tmp_path):
    first, second, third = (tmp_path / n for n in ("first", "second", "third"))
    assert _run(phantoms, first, "--tpl-steps", "10") == 0
    csv = _corrected_csv(phantoms, tmp_path / "c.csv")
    for previous, out in ((first, second), (second, third)):
        assert main(["refit", "--run", str(previous), "--labels", str(csv), "--out", str(out),
                     "--device", "cpu"]) == 0
    records = [json.loads(RunFolder(f).run_json.read_text()) for f in (first, second, third)]
    assert [r["stages"]["tpl_train"]["steps"] for r in records] == [10, 4, 4]
    lrs = [r["tpl_config"]["lr"] for r in records]
    assert lrs[1] == lrs[2] == lrs[0] / 2
