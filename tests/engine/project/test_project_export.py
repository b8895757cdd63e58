"""Exports (CSV, JSON, Slicer, COCO) read back with plain parsers; landmark imports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from project_helpers import N_CUSTOM, custom_schema, write_png

from engine.data.landmarks import LandmarkTable, write_landmark_csv
from engine.errors import LandmarkFileError, ProjectError
from engine.project import (
    Landmark,
    LandmarkSource,
    Project,
    export,
    export_coco,
    export_csv,
    export_json,
    export_slicer,
    import_landmarks,
)
from engine.project.slicer import PIXEL_NOTE, SCHEMA_URL


@pytest.fixture
def labelled(project: Project) -> Project:
    """Image 1: two points, 0.1 x 0.2 mm spacing, reviewed, template. Image 2: one point."""
    a, b = (r.id for r in project.images()[:2])
    project.set_landmark(a, 0, 10.5, 20.25, "template")
    project.set_landmark(a, 5, 3.0, 4.0, "predicted", confidence=0.75)
    project.set_landmark(b, 36, 7.0, 8.0, "corrected")
    project.set_user_spacing(a, (0.2, 0.1))  # row (y) 0.2 mm, column (x) 0.1 mm
    project.set_status(a, "reviewed")
    project.set_template(a)
    return project


def test_csv_long_format(labelled: Project, tmp_path: Path) -> None:
    out = export_csv(labelled, tmp_path / "out.csv")
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == [
        "image", "folder", "landmark", "name", "x_px", "y_px", "x_mm", "y_mm", "source",
        "confidence", "status",
    ]
    assert len(rows) == 4 * N_CUSTOM
    first = rows[0]
    assert first["image"] == "img0.png" and first["landmark"] == "1"
    assert Path(first["folder"]) == labelled.images()[0].path.parent and Path(
        first["folder"]).is_absolute()
    assert float(first["x_px"]) == 10.5 and float(first["y_px"]) == 20.25
    assert float(first["x_mm"]) == pytest.approx(1.05) and float(first["y_mm"]) == 4.05
    assert first["source"] == "template" and first["confidence"] == ""
    assert first["status"] == "reviewed"
    sixth = rows[5]
    assert sixth["name"] == labelled.schema.names[5] and "," in sixth["name"]  # quoted
    assert float(sixth["confidence"]) == 0.75
    missing = rows[1]
    assert missing["x_px"] == missing["x_mm"] == missing["source"] == ""
    other = rows[2 * N_CUSTOM - 1]
    assert other["x_px"] == "7.000" and other["x_mm"] == "" and other["status"] == "unreviewed"


def test_every_export_names_images_by_one_rule_and_the_template_as_reviewed(
        project: Project, tmp_path: Path) -> None:
    # Two files called img0.png in two folders: each keeps its folder in its name, in every
    # format; the template was never marked reviewed in the store, yet exports as reviewed.
    write_png(tmp_path / "twin" / "img0.png", 99)
    project.add_images([tmp_path / "twin" / "img0.png"])
    records = project.images()
    project.set_template(records[0].id)
    project.set_landmark(records[0].id, 0, 1.0, 2.0, "template")
    assert project.image(records[0].id).status.value == "unreviewed"
    rows = list(csv.DictReader(export_csv(project, tmp_path / "o.csv").open(encoding="utf-8")))
    names = list(dict.fromkeys(r["image"] for r in rows))
    assert names[0] != names[-1] and Path(names[0]).name == Path(names[-1]).name == "img0.png"
    assert names[1:-1] == [r.name for r in records[1:-1]]
    assert {r["status"] for r in rows if r["image"] == names[0]} == {"reviewed"}
    doc = json.loads(export_json(project, tmp_path / "o.json").read_text(encoding="utf-8"))
    assert [i["image"] for i in doc["images"]] == names and doc["template"] == names[0]
    assert doc["images"][0]["status"] == "reviewed"
    coco = json.loads(export_coco(project, tmp_path / "o.coco.json").read_text(encoding="utf-8"))
    assert [i["file_name"] for i in coco["images"]] == names
    # The measurements table of the app and every re-import read the same names.
    report = import_landmarks(project, tmp_path / "o.csv")
    assert len(report.matched) == len(records)


def test_json_export(labelled: Project, tmp_path: Path) -> None:
    doc = json.loads(export_json(labelled, tmp_path / "out.json").read_text(encoding="utf-8"))
    assert doc["format"] == "cc2d-landmarks" and doc["version"] == 1
    assert doc["schema"] == custom_schema().to_dict()
    assert doc["template"] == "img0.png" and len(doc["images"]) == 4
    assert doc["images"][0]["folder"] == str(labelled.images()[0].path.parent)
    img = doc["images"][0]
    assert img["spacing"] == {"row_mm": 0.2, "col_mm": 0.1, "source": "user"}
    assert img["status"] == "reviewed" and img["width"] == 40 and len(img["sha256"]) == 64
    p = img["landmarks"][0]
    assert (p["index"], p["x"], p["y"], p["source"]) == (1, 10.5, 20.25, "template")
    assert p["x_mm"] == pytest.approx(1.05) and p["y_mm"] == pytest.approx(4.05)
    assert img["landmarks"][1]["x"] is None and doc["images"][1]["spacing"] is None


def test_slicer_markups(labelled: Project, tmp_path: Path) -> None:
    paths = export_slicer(labelled, tmp_path / "slicer")
    assert [p.name for p in paths] == [f"img{i}.mrk.json" for i in range(4)]
    doc = json.loads(paths[0].read_text(encoding="utf-8"))
    assert doc["@schema"] == SCHEMA_URL and "cc2dNote" not in doc
    (markup,) = doc["markups"]
    assert markup["type"] == "Fiducial" and markup["coordinateSystem"] == "LPS"
    assert markup["coordinateUnits"] == "mm" and len(markup["controlPoints"]) == N_CUSTOM
    cp = markup["controlPoints"][0]
    assert cp["id"] == "1" and cp["label"] == "J1" and cp["positionStatus"] == "defined"
    assert cp["position"] == pytest.approx([1.05, 4.05, 0.0])
    unset = markup["controlPoints"][1]
    assert unset["positionStatus"] == "undefined" and "position" not in unset
    assert unset["label"] == "Joint 2"  # no abbreviation: the name
    pixel_doc = json.loads(paths[1].read_text(encoding="utf-8"))
    assert pixel_doc["cc2dNote"] == PIXEL_NOTE
    cp = pixel_doc["markups"][0]["controlPoints"][36]
    assert cp["position"] == [7.0, 8.0, 0.0] and PIXEL_NOTE in cp["description"]


def test_slicer_names_stay_unique(project: Project, tmp_path: Path) -> None:
    project.add_images([write_png(tmp_path / "other" / "img0.png", seed=50)])
    names = [p.name for p in export_slicer(project, tmp_path / "s")]
    assert names[0] == "img0.mrk.json" and names[-1] == "img0_5.mrk.json"


def test_a_long_legal_file_name_exports_to_a_legal_name(project: Project, tmp_path: Path
                                                        ) -> None:
    # 246 characters is a legal name; the export used to abort on it (the Slicer file and
    # its temp file name went past the 255 bytes a file name may have).
    stem = "x" * 242
    project.add_images([write_png(tmp_path / "long" / f"{stem}.png", seed=51)])
    twin = write_png(tmp_path / "long2" / f"{stem}.png", seed=52)
    project.add_images([twin])
    names = [p.name for p in export_slicer(project, tmp_path / "s")]
    long_names = [n for n in names if n.startswith("xxx")]
    assert len(long_names) == 2 and len(set(long_names)) == 2
    assert all(len(n.encode()) <= 255 for n in names)
    accented = "é" * 125                  # 250 bytes: cut on a character boundary
    project.add_images([write_png(tmp_path / "long3" / f"{accented}.png", seed=53)])
    names = [p.name for p in export_slicer(project, tmp_path / "s2")]
    assert all(len(n.encode()) <= 255 for n in names)
    assert any(n.startswith("é" * 100) for n in names)


def test_coco_keypoints(labelled: Project, tmp_path: Path) -> None:
    doc = json.loads(export_coco(labelled, tmp_path / "coco.json").read_text(encoding="utf-8"))
    (cat,) = doc["categories"]
    assert cat["keypoints"] == list(custom_schema().names) and cat["skeleton"] == []
    assert [im["file_name"] for im in doc["images"]][0] == "img0.png"
    assert len(doc["annotations"]) == 2  # images without landmarks get no annotation
    ann = doc["annotations"][0]
    assert ann["image_id"] == doc["images"][0]["id"] and ann["category_id"] == cat["id"]
    kp = ann["keypoints"]
    assert len(kp) == 3 * N_CUSTOM and kp[:3] == [10.5, 20.25, 2] and kp[3:6] == [0, 0, 0]
    assert kp[15:18] == [3.0, 4.0, 2] and ann["num_keypoints"] == 2
    assert ann["bbox"] == [3.0, 4.0, 7.5, 16.25] and ann["area"] == 7.5 * 16.25
    assert doc["annotations"][1]["bbox"] == [7.0, 8.0, 0.0, 0.0]


def test_export_dispatch_and_unknown_format(labelled: Project, tmp_path: Path) -> None:
    assert export(labelled, tmp_path / "a.json", "coco") == [tmp_path / "a.json"]
    assert len(export(labelled, tmp_path / "s", "slicer")) == 4
    with pytest.raises(ProjectError, match="unknown export format 'xml'"):
        export(labelled, tmp_path / "a.xml", "xml")


def _long_csv(path: Path, names: list[str], images: dict[str, list]) -> Path:
    """A long CSV written by the shared writer, with an extra text column like ISBI's split."""
    table = LandmarkTable(names=tuple(names))
    for image, pts in images.items():
        table.points[image] = np.array(pts, dtype=float)
    table.text["split"] = {image: ["train"] * len(names) for image in images}
    write_landmark_csv(path, table)
    return path


def test_import_long_csv_matches_by_path_name_and_stem(project: Project, tmp_path: Path) -> None:
    names = list(custom_schema().names)
    pts = [[i, i % 30 + 0.5] for i in range(N_CUSTOM)]  # inside the 40 × 32 images
    pts[3] = [float("nan"), float("nan")]
    path = _long_csv(tmp_path / "labels.csv", names, {
        "images/img0.png": pts, "img1": pts, "not_here.png": pts, "elsewhere/img2.png": pts,
    })
    report = import_landmarks(project, path)
    assert report.matched == ["img0.png", "img1.png"]
    # A cell with a folder names only the image in that folder.
    assert report.unmatched_in_file == ["not_here.png", "elsewhere/img2.png"]
    assert report.images_without_labels == ["img2.png", "img3.png"]
    assert report.points_set == 2 * (N_CUSTOM - 1) and "not in the project" in report.summary()
    lms = project.landmarks(project.images()[1].id)
    assert lms[0] == Landmark(0.0, 0.5, LandmarkSource.CORRECTED) and lms[3] is None
    project.undo()  # one import = one undo step
    assert all(lm is None for r in project.images() for lm in project.landmarks(r.id))


def test_import_leaves_out_and_names_points_outside_their_image(
        project: Project, tmp_path: Path) -> None:
    names = list(custom_schema().names)
    rec = project.images()[0]
    pts = [[1.0, 1.0]] * N_CUSTOM
    pts[5] = [1.0, rec.height + 100.0]
    pts[6] = [-30.0, 2.0]
    report = import_landmarks(project, _long_csv(tmp_path / "l.csv", names, {rec.name: pts}))
    assert report.points_set == N_CUSTOM - 2
    label5, label6 = project.schema.label(5), project.schema.label(6)
    assert report.outside_image == [f"{rec.name}: {label5} (1, {rec.height + 100:g})",
                                    f"{rec.name}: {label6} (-30, 2)"]
    assert "2 point(s) lie outside their image and were left out" in report.summary()
    lms = project.landmarks(rec.id)
    assert lms[5] is None and lms[6] is None and lms[4] is not None


def test_import_refuses_mismatched_files(project: Project, tmp_path: Path) -> None:
    names = list(custom_schema().names)
    pts = [[1, 1]] * N_CUSTOM
    short = _long_csv(tmp_path / "short.csv", names[:19], {"img0.png": pts[:19]})
    with pytest.raises(LandmarkFileError, match="has 19 landmarks but the project schema .* 37"):
        import_landmarks(project, short)
    swapped = _long_csv(tmp_path / "swap.csv", [names[1], names[0], *names[2:]], {"img0": pts})
    with pytest.raises(LandmarkFileError, match="landmark 1 is 'Joint 2' but the project"):
        import_landmarks(project, swapped)
    nobody = _long_csv(tmp_path / "nobody.csv", names, {"x.png": pts})
    with pytest.raises(LandmarkFileError, match="none of the 1 image.* match"):
        import_landmarks(project, nobody)
    project.add_images([write_png(tmp_path / "other" / "img0.png", seed=77)])
    ambiguous = _long_csv(tmp_path / "amb.csv", names, {"img0.png": pts})
    with pytest.raises(LandmarkFileError, match="names several images .*img0.png and .*img0.png"):
        import_landmarks(project, ambiguous)
    with pytest.raises(LandmarkFileError, match="not found"):
        import_landmarks(project, tmp_path / "absent.csv")
    assert all(lm is None for r in project.images() for lm in project.landmarks(r.id))


def test_unnamed_long_csv_only_checks_the_count(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "bare.csv"
    lines = ["image,landmark,x,y,confidence"]
    lines += [f"img2.png,{k + 1},{k},{k},0.5" for k in range(N_CUSTOM)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_landmarks(project, path, source="predicted")
    lm = project.landmarks(project.images()[2].id)[10]
    assert lm == Landmark(10.0, 10.0, LandmarkSource.PREDICTED, 0.5)


def test_import_own_csv_and_json_restore_everything(labelled: Project, tmp_path: Path) -> None:
    csv_path = export_csv(labelled, tmp_path / "out.csv")
    json_path = export_json(labelled, tmp_path / "out.json")
    expected = {r.name: (labelled.landmarks(r.id), r.status) for r in labelled.images()}
    images = [r.path for r in labelled.images()]
    for i, path in enumerate((csv_path, json_path)):
        with Project.create(tmp_path / f"copy{i}", schema=custom_schema()) as copy:
            copy.add_images(images)
            import_landmarks(copy, path)
            got = {r.name: (copy.landmarks(r.id), r.status) for r in copy.images()}
            assert got == expected


def test_import_json_of_another_schema_or_version(labelled: Project, tmp_path: Path) -> None:
    doc = json.loads(export_json(labelled, tmp_path / "a.json").read_text(encoding="utf-8"))
    doc["version"] = 99
    (tmp_path / "new.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(LandmarkFileError, match="version 99; this version reads up to 1"):
        import_landmarks(labelled, tmp_path / "new.json")
    (tmp_path / "other.json").write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(LandmarkFileError, match="neither a CC2D landmark JSON export"):
        import_landmarks(labelled, tmp_path / "other.json")
    doc["version"] = 1
    del doc["images"][0]["landmarks"]
    (tmp_path / "broken.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(LandmarkFileError, match="malformed"):
        import_landmarks(labelled, tmp_path / "broken.json")
