"""Analysis files are checked on load; a bad one is an AnalysisError naming the file, the
line and the field."""

import json

import numpy as np
import pytest

from engine.analysis import AnalysisError, load_analysis
from engine.errors import CC2DError

GOOD = {"format": 2, "kind": "analysis", "id": "mine", "name": "Mine", "frame": ["a", "b", "c"],
        "measurements": [
            {"id": "ANG", "kind": "angle", "points": ["a", "b", "c"],
             "classes": [{"name": "small", "meaning": "acute", "max": 90},
                         {"name": "big", "meaning": "obtuse", "min": 90}]},
            {"id": "LEN", "kind": "distance", "points": ["a", "d"]}]}


def write(tmp_path, data):
    path = tmp_path / "analysis.json"
    path.write_text(json.dumps(data, indent=2) if not isinstance(data, str) else data)
    return path


def test_shipped_isbi_loads_by_id():
    a = load_analysis("isbi2015")
    assert [m.id for m in a.reported] == ["SNA", "SNB", "ANB", "ODI", "APDI", "FHI", "FMA", "MW"]
    assert a.schema == "isbi2015_cephalometric"


def test_a_custom_schema_carries_its_own_analysis_file(tmp_path):
    a = load_analysis(write(tmp_path, GOOD)).bind(["a", "b", "c", "d"])
    pts = np.array([[0.0, 10.0], [0.0, 0.0], [10.0, 0.0], [3.0, 14.0]])
    got = {r.id: r for r in a.measure(pts, 0.5)}
    assert got["ANG"].value == pytest.approx(90.0) and got["ANG"].class_name == "small"
    assert got["LEN"].value == pytest.approx(2.5) and got["LEN"].class_name is None


def test_codes_match_ignoring_case_and_missing_ones_are_named(tmp_path):
    bound = load_analysis(write(tmp_path, GOOD)).bind(["A", "B", "C"])
    assert [m.id for m in bound.computable] == ["ANG"]
    assert [(m.id, lacking) for m, lacking in bound.not_computable] == [("LEN", ("d",))]


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
    (variant(format=1), "format 1 numbered the landmarks"),
    (variant(kind="norms"), "field 'kind'"),
    (variant(colour="red"), "unknown key(s) colour"),
    (variant(measurements=[]), "non-empty list"),
    (variant(measurements__0__kind="area"), "'area' is not one of"),
    (variant(measurements__0__points=["a", "b"]), "expected 3 landmark code(s)"),
    (variant(measurements__0__points=[1, 2, 3]), "texts like"),
    (variant(measurements__0__points=["a", "a", "b"]), "names a landmark twice"),
    (variant(measurements__1__id="ANG"), "used twice"),
    (variant(measurements__1__id="2x"), "must be letters"),
    (variant(measurements__0__lenght=3), "unknown key(s) lenght"),
    (variant(measurements__0__classes__0__min=100), "min 100.0 > max 90.0"),
    (variant(measurements__0__classes__0__max=KeyError), "needs 'min', 'max' or both"),
    (variant(measurements__0__classes__0__max="90"), "is not a number"),
    (variant(measurements__0__classes__1__name="small"), "appears twice"),
    (variant(measurements__1__norm={"mean": 3}), "a positive 'sd'"),
    (variant(measurements__1__norm={"mean": 3, "sd": 1, "n": 20}), "unknown key(s) n"),
])
def test_bad_files_are_refused_with_the_reason(tmp_path, data, message):
    with pytest.raises(AnalysisError) as err:
        load_analysis(write(tmp_path, data))
    assert message in str(err.value)
    assert isinstance(err.value, CC2DError)


def test_the_message_names_the_file_line_measurement_and_field(tmp_path):
    path = write(tmp_path, variant(measurements__1__points=["a"]))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if '"id": "LEN"' in text)
    with pytest.raises(AnalysisError) as err:
        load_analysis(path)
    assert str(err.value).startswith(
        f"{path}, line {line}, measurement 2 (LEN), field 'points': expected 2")


def test_a_norm_without_classes_implies_three(tmp_path):
    data = variant()
    data["measurements"][1].update(norm={"mean": 5.0, "sd": 1.0}, above="long", below="short")
    bound = load_analysis(write(tmp_path, data)).bind(["a", "b", "c", "d"])
    pts = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [8.0, 0.0]])
    got = {r.id: r for r in bound.measure(pts, 1.0, 0.0)}["LEN"]
    assert (got.value, got.class_name, got.class_meaning) == (8.0, "high", "long")
    assert got.normal_range == (4.0, 6.0) and got.deviation_sd == pytest.approx(3.0)


def test_sums_need_earlier_measurements_of_one_quantity(tmp_path):
    data = variant()
    data["measurements"].append({"id": "S", "kind": "sum", "terms": ["ANG", "-LATER"]})
    with pytest.raises(AnalysisError, match="not a measurement defined before it"):
        load_analysis(write(tmp_path, data))
    data["measurements"][-1]["terms"] = ["ANG", "LEN"]
    with pytest.raises(AnalysisError, match="cannot add angle and length"):
        load_analysis(write(tmp_path, data))


def test_signed_values_need_a_frame(tmp_path):
    for extra in ({"id": "T", "kind": "line_angle", "lines": [["a", "b"], ["c", "d"]],
                   "signed": True},
                  {"id": "T", "kind": "point_line", "points": ["a"], "lines": [["c", "d"]]}):
        data = variant(frame=KeyError)
        data["measurements"].append(extra)
        with pytest.raises(AnalysisError, match="needs the analysis' 'frame'"):
            load_analysis(write(tmp_path, data))


def test_unknown_analysis_lists_those_on_offer():
    with pytest.raises(AnalysisError, match="there are: .*isbi2015"):
        load_analysis("no_such_analysis")


def test_points_of_another_count_are_refused():
    bound = load_analysis("isbi2015").bind([f"L{i}" for i in range(19)])
    with pytest.raises(AnalysisError, match="bound to 19 landmarks"):
        bound.measure(np.zeros((5, 2)), 0.1)
