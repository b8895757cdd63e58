"""The ``cc2d`` command line: errors are clear, outputs are written, nothing needs a GPU."""

import json

import numpy as np
import pytest

from engine.cli.main import main
from engine.data.landmarks import read_landmark_csv, write_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset


@pytest.fixture(scope="module")
def phantom_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli phantoms ü")
    write_phantom_dataset(folder / "img", 6, PhantomSpec(n_landmarks=4, width=90, height=110),
                          seed=3)
    return folder


def test_ssl_train_predict_evaluate(phantom_dir, tmp_path, capsys):
    img = phantom_dir / "img"
    run = tmp_path / "run"
    assert main(["ssl", "train", "--images", str(img), "--template", str(img / "phantom_000.png"),
                 "--labels", str(img / "landmarks.csv"), "--out", str(run), "--profile", "tiny",
                 "--steps", "3", "--device", "cpu"]) == 0
    assert (run / "config.json").exists() and (run / "template.json").exists()
    preds = tmp_path / "p.csv"
    assert main(["ssl", "predict", "--run", str(run), "--images", str(img),
                 "--out", str(preds)]) == 0
    table = read_landmark_csv(preds)
    assert len(table.points) == 6 and table.n_landmarks == 4
    assert set(table.values) == {"confidence"}
    out_json = tmp_path / "e.json"
    capsys.readouterr()
    assert main(["evaluate", "--pred", str(preds), "--truth", str(img / "landmarks.csv"),
                 "--spacing", "0.1", "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert "MRE" in printed and "all (6 images)" in printed
    ev = json.loads(out_json.read_text())
    assert ev["unit"] == "mm" and len(ev["per_landmark"]) == 4 and ev["n_points"] == 24


def test_evaluate_hand_computed(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("image,landmark,name,x,y\na,1,A,0,0\na,2,B,10,10\n")
    (tmp_path / "p.csv").write_text("image,landmark,name,x,y\na,1,A,3,4\na,2,B,10,30\n")
    assert main(["evaluate", "--pred", str(tmp_path / "p.csv"), "--truth", str(tmp_path / "t.csv"),
                 "--spacing", "0.2", "--json", str(tmp_path / "e.json")]) == 0
    ev = json.loads((tmp_path / "e.json").read_text())
    # Errors 5 px = 1 mm and 20 px = 4 mm.
    assert ev["mre"] == pytest.approx(2.5) and ev["std"] == pytest.approx(1.5)
    assert ev["sdr"] == {"2": 50.0, "2.5": 50.0, "3": 50.0, "4": 100.0}


@pytest.mark.parametrize("argv,message", [
    (["ssl", "train", "--images", "/nonexistent/folder"], "not"),
    (["ssl", "predict", "--run", "/nonexistent/run", "--images", ".", "--out", "x.csv"],
     "not an SSL run folder"),
    (["evaluate", "--pred", "/nonexistent.csv", "--truth", "/nonexistent.csv"], "not found"),
])
def test_bad_paths_give_clear_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err


def test_template_without_all_landmarks_is_refused(phantom_dir, tmp_path, capsys):
    img = phantom_dir / "img"
    table = read_landmark_csv(img / "landmarks.csv")
    table.points["phantom_000.png"][2] = np.nan
    write_landmark_csv(tmp_path / "partial.csv", table)
    assert main(["ssl", "train", "--images", str(img), "--template",
                 str(img / "phantom_000.png"), "--labels", str(tmp_path / "partial.csv"),
                 "--profile", "tiny", "--steps", "1", "--out", str(tmp_path / "r")]) == 2
    assert "lacks landmark(s) P3" in capsys.readouterr().err


def test_labels_that_do_not_name_the_template(phantom_dir, tmp_path, capsys):
    img = phantom_dir / "img"
    (tmp_path / "other.csv").write_text("image,landmark,name,x,y\nzzz.png,1,A,1,1\n")
    assert main(["ssl", "train", "--images", str(img), "--template",
                 str(img / "phantom_000.png"), "--labels", str(tmp_path / "other.csv"),
                 "--profile", "tiny", "--steps", "1", "--out", str(tmp_path / "r")]) == 2
    # The full path: a bare name would not tell twins in two folders apart.
    assert f"no landmarks for image '{img / 'phantom_000.png'}'" in capsys.readouterr().err


def test_unreadable_image_in_the_folder_is_named(phantom_dir, tmp_path, capsys):
    import shutil

    img = tmp_path / "img"
    shutil.copytree(phantom_dir / "img", img)
    (img / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 10)
    assert main(["ssl", "train", "--images", str(img), "--profile", "tiny", "--steps", "1",
                 "--out", str(tmp_path / "r")]) == 2
    assert "broken.png" in capsys.readouterr().err
