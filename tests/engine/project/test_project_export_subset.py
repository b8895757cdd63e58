"""Exports of some images (reviewed only, the current one) and annotated PNGs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from project_helpers import N_CUSTOM

from engine.data.display import load_display, render_window
from engine.errors import ProjectError
from engine.project import Project
from engine.project.annotated import draw_landmarks, export_annotated
from engine.project.export import count_points, export


@pytest.fixture
def two_done(project: Project) -> tuple[Project, int, int]:
    a, b = (r.id for r in project.images()[:2])
    project.set_landmark(a, 0, 10.0, 12.0, "template")
    project.set_landmark(a, 1, 20.0, 8.0, "template")
    project.set_landmark(b, 2, 5.0, 6.0, "predicted", confidence=0.4)
    project.set_status(b, "reviewed")
    return project, a, b


@pytest.mark.parametrize("fmt", ["csv", "json", "coco", "slicer"])
def test_every_format_exports_only_the_chosen_images(two_done, tmp_path: Path, fmt: str):
    project, _a, b = two_done
    out = tmp_path / ("slicer" if fmt == "slicer" else f"out.{fmt}")
    paths = export(project, out, fmt, image_ids={b})
    assert len(paths) == 1
    text = paths[0].read_text(encoding="utf-8")
    if fmt == "csv":
        rows = list(csv.DictReader(text.splitlines()))
        assert len(rows) == N_CUSTOM and {r["image"] for r in rows} == {"img1.png"}
    elif fmt == "json":
        assert [i["image"] for i in json.loads(text)["images"]] == ["img1.png"]
    elif fmt == "coco":
        doc = json.loads(text)
        assert [i["id"] for i in doc["images"]] == [b]
        assert [a["num_keypoints"] for a in doc["annotations"]] == [1]
    else:
        assert paths[0].name == "img1.mrk.json"
    assert count_points(project, {b}) == 1
    assert count_points(project) == 3


def test_annotated_png_draws_at_the_landmarks(two_done, tmp_path: Path):
    project, a, b = two_done
    paths = export_annotated(project, tmp_path / "png", image_ids=[a, b])
    assert [p.name for p in paths] == ["img0_landmarks.png", "img1_landmarks.png"]
    drawn = cv2.imread(str(paths[0]), cv2.IMREAD_COLOR)
    rec = project.image(a)
    assert drawn.shape == (rec.height, rec.width, 3)
    image = load_display(rec.path)
    preset = image.presets[0]
    plain = render_window(image.values, preset.centre, preset.width, image.invert)
    changed = (drawn.astype(int) != plain[..., None]).any(axis=2)
    for x, y in ((10, 12), (20, 8)):  # each landmark's own pixel carries the marker
        assert changed[y, x]
    assert not changed[-3:, :5].any()  # far from both points and labels: untouched


def test_draw_landmarks_leaves_unplaced_out(project: Project):
    grey = np.full((50, 60), 128, np.uint8)
    out = draw_landmarks(grey, [None] * len(project.schema), project.schema)
    assert out.shape == (50, 60, 3) and (out == 128).all()


def test_annotated_export_reports_a_vanished_image(two_done, tmp_path: Path):
    project, a, b = two_done
    project.image(b).path.unlink()
    with pytest.raises(ProjectError, match="1 annotated image.*img1"):
        export_annotated(project, tmp_path / "png", image_ids=[a, b])
    assert (tmp_path / "png" / "img0_landmarks.png").is_file()


def test_export_names_the_images_whose_files_are_gone(two_done, tmp_path: Path):
    from engine.project.export import missing_files

    project, a, b = two_done
    assert missing_files(project) == []
    project.image(b).path.unlink()
    assert [r.id for r in missing_files(project)] == [b]
    assert missing_files(project, {a}) == []
