"""The project's own COCO keypoints export imports back; other JSON says what it is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import LandmarkFileError
from engine.project import Project, export_coco, import_landmarks


def test_own_coco_export_imports_back(project: Project, tmp_path: Path) -> None:
    first, second = project.images()[:2]
    project.set_landmark(first.id, 0, 3.5, 4.25, "corrected")
    project.set_landmark(first.id, 2, 10.0, 11.0, "corrected")
    project.set_landmark(second.id, 1, 7.0, 8.0, "corrected")
    path = export_coco(project, tmp_path / "coco.json")
    with Project.create(tmp_path / "other", schema=project.schema) as other:
        other.add_images([r.path for r in project.images()])
        report = import_landmarks(other, path)
        by_name = {r.name: r.id for r in other.images()}
        assert report.points_set == 3
        got = other.landmarks(by_name[first.name])
        assert (got[0].x, got[0].y, got[2].x) == (3.5, 4.25, 10.0) and got[1] is None
        assert other.landmarks(by_name[second.name])[1].y == 8.0


def test_coco_with_a_wrong_keypoint_count_is_named(project: Project, tmp_path: Path) -> None:
    project.set_landmark(project.images()[0].id, 0, 1.0, 1.0, "corrected")
    doc = json.loads(export_coco(project, tmp_path / "coco.json").read_text(encoding="utf-8"))
    doc["annotations"][0]["keypoints"] = doc["annotations"][0]["keypoints"][:-3]
    (tmp_path / "coco.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(LandmarkFileError, match="annotation 1 has 36 keypoints, the category 37"):
        import_landmarks(project, tmp_path / "coco.json")


def test_other_json_says_what_it_is_not(project: Project, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"a": 1}')
    with pytest.raises(LandmarkFileError, match="neither a CC2D landmark JSON export .* nor COCO"):
        import_landmarks(project, tmp_path / "x.json")
