"""Malformed landmark CSVs and predictions: a LandmarkFileError naming the line, or a miss."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from engine.data.landmarks import points_outside, read_landmark_csv
from engine.errors import CC2DError, LandmarkFileError
from engine.metrics import evaluate, format_evaluation

HEAD = "image,landmark,name,x,y\n"


def _csv(tmp_path: Path, body: str, name: str = "l.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body)
    return path


@pytest.mark.parametrize("body,message", [
    ("a.png,1,A,1,2\na.png,1,A,5,6\n", "line 3: landmark 1 of 'a.png' is given again (first on "
                                        "line 2)"),
    ("a.png,1,A,1\n", "line 2 has 4 field(s), the header 5"),
    ("a.png,1,A,1,2,9\n", "line 2 has 6 field(s), the header 5"),
    ("a.png,100000000,A,1,2\n", "landmark number 100000000 is outside 1..10000"),
    ("a.png,0,A,1,2\n", "outside 1..10000"),
    ("a.png,1,A,inf,2\n", "'inf' is not a finite number"),
    ("a.png,1,A,1,-inf\n", "'-inf' is not a finite number"),
    ("a.png,1,A,1,2\na.png,9000,B,1,2\n", "8998 landmark number(s) never appear (2, 3, 4"),
])
def test_malformed_rows_are_refused_with_their_line(tmp_path: Path, body: str,
                                                     message: str) -> None:
    with pytest.raises(LandmarkFileError) as info:
        read_landmark_csv(_csv(tmp_path, body))
    assert message in str(info.value)
    assert "l.csv" in str(info.value)


def test_trailing_empty_cells_and_blank_lines_are_fine(tmp_path: Path) -> None:
    table = read_landmark_csv(_csv(tmp_path, "a.png,1,A,1,2,,\n\nb.png,1,A,3,4\n"))
    np.testing.assert_array_equal(table.get("b.png"), [[3, 4]])


def test_points_outside_the_image() -> None:
    points = np.array([[0, 0], [-0.5, 9.5], [100000, 3], [-50, 3], [np.nan, np.nan], [4, 10]])
    assert points_outside(points, 10, 10) == [2, 3, 5]


def _tables(tmp_path: Path, pred_body: str) -> tuple:
    truth = _csv(tmp_path, "a,1,A,0,0\na,2,B,10,10\nb,1,A,0,0\nb,2,B,0,0\n", "t.csv")
    return read_landmark_csv(_csv(tmp_path, pred_body, "p.csv")), read_landmark_csv(truth)


def test_a_missing_prediction_is_a_miss(tmp_path: Path) -> None:
    # a: errors 5 and 0; b: landmark 2 has no prediction row, landmark 1 is empty.
    pred, truth = _tables(tmp_path, "a,1,A,3,4\na,2,B,10,10\nb,1,A,,\n")
    ev = evaluate(pred, truth, None)
    assert ev.n_points == 4 and ev.n_missed == 2
    assert ev.mre == pytest.approx(2.5)
    assert ev.sdr["2"] == pytest.approx(25.0)    # 1 of 4, not 1 of 2
    assert ev.sdr["4"] == pytest.approx(25.0)
    assert "2 of 4 point(s) have no (finite) prediction" in format_evaluation(ev)
    assert ev.per_landmark[1]["missed"] == 1


def test_no_truth_is_not_a_miss(tmp_path: Path) -> None:
    truth = read_landmark_csv(_csv(tmp_path, "a,1,A,0,0\na,2,B,,\n", "t.csv"))
    pred = read_landmark_csv(_csv(tmp_path, "a,1,A,0,0\na,2,B,,\n", "p.csv"))
    ev = evaluate(pred, truth, 0.1)
    assert (ev.n_points, ev.n_missed, ev.sdr["2"]) == (1, 0, 100.0)


@pytest.mark.parametrize("spacing", [0.0, -0.1, math.nan, math.inf])
def test_a_spacing_that_is_not_positive_is_refused(tmp_path: Path, spacing: float) -> None:
    pred, truth = _tables(tmp_path, "a,1,A,3,4\na,2,B,10,10\n")
    with pytest.raises(CC2DError, match="not a positive number"):
        evaluate(pred, truth, spacing)


def test_python_only_number_forms_are_not_numbers(tmp_path: Path) -> None:
    path = _csv(tmp_path, "a,1,A,2_97.904,3\n")
    with pytest.raises(LandmarkFileError, match="'2_97.904' is not a number"):
        read_landmark_csv(path)


@pytest.mark.parametrize("point,message", [
    ({"index": 1.5, "x": 1.0, "y": 2.0}, "not a whole number"),
    ({"index": 1, "x": True, "y": 2.0}, "True is not a number"),
    ({"index": 1, "x": "3", "y": 2.0}, "'3' is not a number"),
])
def test_a_json_import_takes_only_json_numbers(tmp_path: Path, point: dict,
                                               message: str) -> None:
    import json

    from engine.project import LandmarkSchema, Project, import_landmarks
    from engine.project.export import JSON_FORMAT, JSON_VERSION

    doc = {"format": JSON_FORMAT, "version": JSON_VERSION,
           "schema": {"landmarks": [{"name": "A"}]},
           "images": [{"image": "a.png", "landmarks": [point]}]}
    (tmp_path / "l.json").write_text(json.dumps(doc))
    with Project.create(tmp_path / "p", LandmarkSchema.from_names(["A"])) as project:
        with pytest.raises(LandmarkFileError, match=message):
            import_landmarks(project, tmp_path / "l.json")
        (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
        with pytest.raises(LandmarkFileError, match="nested too deeply"):
            import_landmarks(project, tmp_path / "deep.json")
