import numpy as np
import pytest

from engine.data.landmarks import (
    LandmarkTable,
    read_landmark_csv,
    write_landmark_csv,
)
from engine.errors import LandmarkFileError


def test_round_trip_with_extra_columns_and_missing(tmp_path):
    t = LandmarkTable(names=("A", "B, with comma", "Ç"))
    t.points["img 1.png"] = np.array([[1.25, 2.5], [np.nan, np.nan], [3.0, 4.0]])
    t.points["x.dcm"] = np.array([[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]])
    t.values["confidence"] = {"img 1.png": np.array([0.5, np.nan, 1.0]),
                              "x.dcm": np.array([0.1, 0.2, 0.3])}
    t.text["stage"] = {"img 1.png": ["ssl"] * 3, "x.dcm": ["tpl"] * 3}
    write_landmark_csv(tmp_path / "l.csv", t)
    r = read_landmark_csv(tmp_path / "l.csv")
    assert r.names == t.names
    for k in t.points:
        np.testing.assert_allclose(r.points[k], t.points[k], equal_nan=True)
        np.testing.assert_allclose(r.values["confidence"][k], t.values["confidence"][k],
                                   equal_nan=True)
    assert r.text["stage"]["x.dcm"] == ["tpl"] * 3
    assert not r.complete("img 1.png") and r.complete("x.dcm")


def test_reads_extra_columns_like_isbi(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("image,split,landmark,name,x,y,senior_x\n"
                 "001.jpg,train,2,Nasion,3,4,5\n001.jpg,train,1,Sella,1,2,3\n")
    t = read_landmark_csv(p)
    assert t.names == ("Sella", "Nasion")
    np.testing.assert_allclose(t.get("images/001.jpg"), [[1, 2], [3, 4]])
    assert t.text["split"]["001.jpg"] == ["train", "train"]


@pytest.mark.parametrize("content,message", [
    ("image,x,y\na,1,2\n", "lacks column"),
    ("image,landmark,x,y\na,one,1,2\n", "not an integer"),
    ("image,landmark,x,y\na,1,abc,2\n", "not a number"),
    ("image,landmark,x,y\na,2,1,2\n", "never appear"),
    ("image,landmark,name,x,y\na,1,S,1,2\nb,1,N,1,2\n", "called"),
    ("", "no landmark rows"),
])
def test_bad_files_say_what_is_wrong(tmp_path, content, message):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(LandmarkFileError, match=message):
        read_landmark_csv(p)


def test_missing_file(tmp_path):
    with pytest.raises(LandmarkFileError, match="not found"):
        read_landmark_csv(tmp_path / "nope.csv")


def test_table_rows_name_images_by_the_one_rule():
    table = LandmarkTable(("A",), {"a/125.jpg": np.zeros((1, 2)), "7": np.ones((1, 2))})
    assert table.key_of("/data/a/125.jpg") == "a/125.jpg"
    assert table.key_of("/data/7.png") == "7"        # a bare stem names by stem
    with pytest.raises(LandmarkFileError, match="no landmarks for image"):
        table.key_of("/data/b/125.jpg")             # its folder is not 'a'
    twins = LandmarkTable(("A",), {"img001.png": np.zeros((1, 2)),
                                   "x/img001.png": np.ones((1, 2))})
    with pytest.raises(LandmarkFileError, match="'img001.png' and 'x/img001.png'"):
        twins.get("/d/x/img001.png")


def test_the_project_export_reads_back_as_a_landmark_table(tmp_path):
    from engine.data.landmarks import read_landmark_csv

    path = tmp_path / "export.csv"
    path.write_text(
        "image,landmark,name,x_px,y_px,x_mm,y_mm,source,confidence,status\n"
        "../img/a.png,1,Sella,10.500,20.250,1.05,2.025,template,,reviewed\n"
        "../img/a.png,2,Nasion,,,,,,,reviewed\n", encoding="utf-8")
    table = read_landmark_csv(path)
    assert table.names == ("Sella", "Nasion")
    points = table.points["../img/a.png"]
    assert points[0].tolist() == [10.5, 20.25] and np.isnan(points[1]).all()
