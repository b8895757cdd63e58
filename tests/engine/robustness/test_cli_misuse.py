"""CLI misuse: numbers, paths and devices are refused before any work, with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli.main import main
from engine.data.landmarks import read_landmark_csv, write_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset


@pytest.fixture(scope="module")
def phantoms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("misuse") / "img"
    write_phantom_dataset(folder, 3, PhantomSpec(n_landmarks=3, width=60, height=50), seed=1)
    return folder


def _run_args(phantoms: Path, out: Path, *extra: str, labels: Path | None = None) -> list[str]:
    return ["run", "--images", str(phantoms), "--template", str(phantoms / "phantom_000.png"),
            "--labels", str(labels or phantoms / "landmarks.csv"), "--out", str(out),
            "--profile", "tiny", "--device", "cpu", *extra]


@pytest.mark.parametrize("extra,message", [
    (["--ssl-steps", "0"], "argument --ssl-steps: 0 is below the minimum of 1"),
    (["--tpl-steps", "-5"], "argument --tpl-steps: -5 is below the minimum of 1"),
    (["--refine-steps", "-1"], "below the minimum of 0"),
    (["--ssl-time", "nan"], "must be a positive finite number"),
    (["--ssl-time", "-3"], "must be a positive finite number"),
    (["--tpl-steps", "1e3"], "'1e3' is not a whole number"),
    (["--cycle-candidates", "100000"], "100000 is above the maximum of 64"),
    (["--tpl-steps", "99999999999"], "above the maximum of 10000000"),
    (["--pseudo-keep", "1.5"], "1.5 is outside 0.01..1"),
    (["--pseudo-keep", "1e-320"], "is outside 0.01..1"),
])
def test_bad_step_counts_and_times(phantoms: Path, tmp_path: Path, capsys, extra: list[str],
                                   message: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(_run_args(phantoms, tmp_path / "r", *extra))
    assert info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("spacing", ["0", "-0.1", "nan", "inf", "x", "1e-320", "1e308"])
def test_evaluate_refuses_a_spacing_that_is_not_positive(tmp_path: Path, capsys,
                                                          spacing: str) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("image,landmark,x,y\na,1,1,1\n")
    with pytest.raises(SystemExit) as info:
        main(["evaluate", "--pred", str(csv), "--truth", str(csv), "--spacing", spacing])
    assert info.value.code == 2 and "argument --spacing" in capsys.readouterr().err


def test_predict_out_naming_a_folder_is_refused_before_inference(tmp_path: Path, capsys) -> None:
    # The run does not even exist: the output is checked first, before any loading.
    assert main(["predict", "--run", str(tmp_path / "none"), "--images", str(tmp_path),
                 "--out", str(tmp_path)]) == 2
    assert f"--out {tmp_path} is a folder" in capsys.readouterr().err


def test_run_out_naming_a_file_is_refused(phantoms: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "file"
    out.write_text("x")
    assert main(_run_args(phantoms, out)) == 2
    assert f"--out {out} is a file" in capsys.readouterr().err


def test_out_below_a_file_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "f").write_text("x")
    csv = tmp_path / "t.csv"
    csv.write_text("image,landmark,x,y\na,1,1,1\n")
    assert main(["evaluate", "--pred", str(csv), "--truth", str(csv),
                 "--json", str(tmp_path / "f" / "e.json")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("device", ["gpu", "cuda:99", "tpu:0"])
def test_unknown_or_absent_device(phantoms: Path, tmp_path: Path, capsys, device: str) -> None:
    argv = _run_args(phantoms, tmp_path / "r")
    argv[argv.index("cpu")] = device
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and ("device" in err or "GPU" in err)


@pytest.mark.parametrize("x", ["100000", "-50"])
def test_template_landmark_outside_the_image(phantoms: Path, tmp_path: Path, capsys,
                                             x: str) -> None:
    table = read_landmark_csv(phantoms / "landmarks.csv")
    table.points["phantom_000.png"][1, 0] = float(x)
    labels = tmp_path / "labels.csv"
    write_landmark_csv(labels, table)
    assert main(_run_args(phantoms, tmp_path / "r", labels=labels)) == 2
    err = capsys.readouterr().err
    assert "1 landmark(s) of the template phantom_000.png lie outside the image (60x50" in err
    assert f"P2 at ({x}," in err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("option,value", [("--sigma", "-1"), ("--sigma", "nan"),
                                          ("--spacing", "inf"), ("--spacing", "1e-300")])
def test_analyze_refuses_absurd_numbers(tmp_path: Path, capsys, option: str, value: str) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("image,landmark,x,y\na,1,1,1\n")
    with pytest.raises(SystemExit) as info:
        main(["analyze", "--pred", str(csv), "--out", str(tmp_path / "o.csv"), option, value])
    assert info.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_evaluate_refuses_files_that_name_the_landmarks_differently(tmp_path: Path,
                                                                     capsys) -> None:
    # The same numbers, other points: the score compared Sella with Nasion, exit 0.
    truth, pred, unnamed = tmp_path / "t.csv", tmp_path / "p.csv", tmp_path / "u.csv"
    truth.write_text("image,landmark,name,x,y\na,1,Sella,1,1\na,2,Nasion,5,5\n")
    pred.write_text("image,landmark,name,x,y\na,1,nasion,5,5\na,2,sella ,1,1\n")
    unnamed.write_text("image,landmark,x,y\na,1,1,1\na,2,5,5\n")
    assert main(["evaluate", "--pred", str(pred), "--truth", str(truth)]) == 2
    err = capsys.readouterr().err
    assert "name 2 landmark number(s) differently" in err and "1: 'nasion' against 'Sella'" in err
    assert main(["evaluate", "--pred", str(pred), "--truth", str(truth), "--ignore-names"]) == 0
    # Case and spaces aside the names agree; a file without names fits any.
    same = tmp_path / "s.csv"
    same.write_text("image,landmark,name,x,y\na,1, sella,1,1\na,2,NASION,5,5\n")
    for other in (same, unnamed):
        assert main(["evaluate", "--pred", str(other), "--truth", str(truth)]) == 0
