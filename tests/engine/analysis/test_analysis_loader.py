"""Analysis files are checked on load; a bad one is an AnalysisError naming what is wrong."""

import json

import numpy as np
import pytest

from engine.analysis import AnalysisError, load_analysis, shipped_analysis_ids
from engine.errors import CC2DError

GOOD = {"format": 1, "id": "mine", "name": "Mine", "landmarks": 4, "frame": [1, 2, 3],
        "measurements": [
            {"id": "ANG", "kind": "angle", "points": [1, 2, 3],
             "classes": [{"name": "small", "meaning": "acute", "max": 90},
                         {"name": "big", "meaning": "obtuse", "min": 90}]},
            {"id": "LEN", "kind": "distance", "points": [1, 4]}]}


def write(tmp_path, data):
    path = tmp_path / "analysis.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_shipped_isbi_loads_by_id():
    assert "isbi2015" in shipped_analysis_ids()
    a = load_analysis("isbi2015")
    assert [m.id for m in a.reported] == ["SNA", "SNB", "ANB", "ODI", "APDI", "FHI", "FMA", "MW"]
    assert a.schema == "isbi2015_cephalometric" and a.n_landmarks == 19


def test_a_custom_schema_carries_its_own_analysis_file(tmp_path):
    a = load_analysis(write(tmp_path, GOOD))
    pts = np.array([[0.0, 10.0], [0.0, 0.0], [10.0, 0.0], [3.0, 14.0]])
    got = {r.id: r for r in a.measure(pts, 0.5)}
    assert got["ANG"].value == pytest.approx(90.0) and got["ANG"].class_name == "small"
    assert got["LEN"].value == pytest.approx(2.5) and got["LEN"].class_name is None


def variant(**changes):
    data = json.loads(json.dumps(GOOD))
    for path, value in changes.items():
        target = data
        *keys, last = path.split("__")
        for k in keys:
            target = target[int(k)] if k.isdigit() else target[k]
        if value is KeyError:
            del target[last if not last.isdigit() else int(last)]
        elif last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value
    return data


@pytest.mark.parametrize(("data", "message"), [
    ("{not json", "cannot read analysis file"),
    (variant(format=2), "'format' must be 1"),
    (variant(landmarks=KeyError), "'landmarks'"),
    (variant(colour="red"), "unknown key(s) colour"),
    (variant(measurements=[]), "non-empty list"),
    (variant(measurements__0__kind="area"), "kind 'area' is not one of"),
    (variant(measurements__0__points=[1, 2, 9]), "run from 1 to 4"),
    (variant(measurements__0__points=[1, 2]), "expected 3 landmark numbers"),
    (variant(measurements__0__points=[1, 1, 2]), "repeat"),
    (variant(measurements__1__id="ANG"), "used twice"),
    (variant(measurements__1__id="2x"), "must be letters"),
    (variant(measurements__0__lenght=3), "unknown key(s) lenght"),
    (variant(measurements__0__classes__0__min=100), "min 100.0 > max 90.0"),
    (variant(measurements__0__classes__0__max=KeyError), "needs 'min', 'max' or both"),
    (variant(measurements__0__classes__0__max="90"), "is not a number"),
    (variant(measurements__0__classes__1__name="small"), "appears twice"),
])
def test_bad_files_are_refused_with_the_reason(tmp_path, data, message):
    with pytest.raises(AnalysisError) as err:
        load_analysis(write(tmp_path, data))
    assert message in str(err.value)
    assert isinstance(err.value, CC2DError)


def test_sums_need_earlier_measurements_of_one_quantity(tmp_path):
    data = variant()
    data["measurements"].append({"id": "S", "kind": "sum", "terms": ["ANG", "-LATER"]})
    with pytest.raises(AnalysisError, match="not a measurement defined before it"):
        load_analysis(write(tmp_path, data))
    data["measurements"][-1]["terms"] = ["ANG", "LEN"]
    with pytest.raises(AnalysisError, match="cannot add angle and length"):
        load_analysis(write(tmp_path, data))


def test_signed_angles_need_a_frame(tmp_path):
    data = variant(frame=KeyError)
    data["measurements"].append({"id": "T", "kind": "line_angle", "lines": [[1, 2], [3, 4]],
                                 "signed": True})
    with pytest.raises(AnalysisError, match="needs the analysis' 'frame'"):
        load_analysis(write(tmp_path, data))


def test_unknown_analysis_lists_the_shipped_ones():
    with pytest.raises(AnalysisError, match="shipped: isbi2015"):
        load_analysis("no_such_analysis")


def test_too_few_points_are_refused():
    with pytest.raises(AnalysisError, match="needs 19 landmarks"):
        load_analysis("isbi2015").measure(np.zeros((5, 2)), 0.1)
