"""The project store on the real ISBI 2015 data (skipped when the data is absent)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from engine.project import Project, export_coco, export_csv, export_slicer, import_landmarks

ISBI = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "isbi2015"
pytestmark = pytest.mark.skipif(
    not (ISBI / "landmarks.csv").is_file(),
    reason=f"ISBI 2015 data not found at {ISBI} (../shared/data/isbi2015 from the repo root)",
)
IMAGES = ("001.jpg", "002.jpg", "125.jpg", "151.jpg", "300.jpg")
SPACING_MM = 0.2  # the stored copies are downsampled 2x from 0.1 mm/pixel


def _truth() -> dict[tuple[str, int], tuple[str, float, float]]:
    with open(ISBI / "landmarks.csv", newline="", encoding="utf-8") as f:
        return {
            (r["image"], int(r["landmark"])): (r["name"], float(r["x"]), float(r["y"]))
            for r in csv.DictReader(f) if r["image"] in IMAGES
        }


def test_isbi_images_referenced_labels_imported_and_exported(tmp_path: Path) -> None:
    truth = _truth()
    with Project.create(tmp_path / "ceph") as proj:
        report = proj.add_images([ISBI / "images" / name for name in IMAGES])
        assert len(report.added) == len(IMAGES) and not report.failed
        assert all(r.stored_path == str(ISBI / "images" / r.name) for r in report.added)
        assert all((r.width, r.height) == (968, 1200) for r in report.added)
        assert not list((tmp_path / "ceph").rglob("*.jpg"))  # referenced, never copied
        imported = import_landmarks(proj, ISBI / "landmarks.csv")
        assert sorted(imported.matched) == sorted(IMAGES) and imported.points_set == 5 * 19
        assert len(imported.unmatched_in_file) == 300 - len(IMAGES)
        for rec in proj.images():
            proj.set_user_spacing(rec.id, (SPACING_MM, SPACING_MM))
            if rec.name == "125.jpg":
                proj.set_template(rec.id)
        rows = list(csv.DictReader(export_csv(proj, tmp_path / "out.csv").open(encoding="utf-8")))
        coco = json.loads(export_coco(proj, tmp_path / "coco.json").read_text(encoding="utf-8"))
        slicer = export_slicer(proj, tmp_path / "slicer")
    assert len(rows) == 5 * 19
    for row in rows:
        name, x, y = truth[(Path(row["image"]).name, int(row["landmark"]))]
        assert row["name"] == name
        assert float(row["x_px"]) == pytest.approx(x, abs=5e-4)
        assert float(row["y_mm"]) == pytest.approx(y * SPACING_MM, abs=1e-4)
    assert [a["num_keypoints"] for a in coco["annotations"]] == [19] * 5
    sella = json.loads(slicer[2].read_text(encoding="utf-8"))["markups"][0]["controlPoints"][0]
    _, x, y = truth[("125.jpg", 1)]
    assert sella["label"] == "S"
    assert sella["position"] == pytest.approx([x * SPACING_MM, y * SPACING_MM, 0.0])


def test_isbi_holds_byte_identical_images(tmp_path: Path) -> None:
    # Test images 173 and 283 are byte-for-byte copies of training images 144 and 038:
    # the project keeps one of each (and evaluations should know about the overlap).
    with Project.create(tmp_path / "dups") as proj:
        names = ("144.jpg", "173.jpg", "038.jpg", "283.jpg")
        report = proj.add_images([ISBI / "images" / n for n in names])
    assert [r.name for r in report.added] == ["144.jpg", "038.jpg"]
    assert [(d.path.name, d.reason) for d in report.duplicates] == [
        ("173.jpg", "same content as 144.jpg"), ("283.jpg", "same content as 038.jpg"),
    ]
