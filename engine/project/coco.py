"""COCO keypoints export and import: one category whose keypoints are the schema's landmarks.

Each image with at least one placed landmark gets one annotation with
``keypoints = [x1, y1, v1, ..., xN, yN, vN]`` (``v = 2`` placed, ``0`` not placed
with x = y = 0), ``num_keypoints``, and ``bbox``/``area`` of the placed points.
COCO keypoint coordinates are pixel indices (integer = pixel centre), which is our
convention, so values are written unchanged. ``file_name`` is the image path as
stored in the project (relative to the project folder, or absolute).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from engine.errors import LandmarkFileError
from engine.project.export import ImageIds, collect, project_guard, write_text
from engine.project.model import Landmark, LandmarkSource
from engine.project.store import Project

CATEGORY_ID = 1


def coco_document(project: Project, image_ids: ImageIds = None) -> dict[str, Any]:
    """The COCO keypoints dictionary for the project (or the images in ``image_ids``)."""
    images, annotations = [], []
    for item in collect(project, image_ids):
        rec = item.record
        images.append({
            "id": rec.id, "file_name": item.key, "width": rec.width, "height": rec.height,
        })
        placed = [lm for lm in item.landmarks if lm is not None]
        if not placed:
            continue
        keypoints: list[float] = []
        for lm in item.landmarks:
            keypoints += [lm.x, lm.y, 2] if lm is not None else [0, 0, 0]
        xs, ys = [lm.x for lm in placed], [lm.y for lm in placed]
        w, h = max(xs) - min(xs), max(ys) - min(ys)
        annotations.append({
            "id": len(annotations) + 1,
            "image_id": rec.id,
            "category_id": CATEGORY_ID,
            "keypoints": keypoints,
            "num_keypoints": len(placed),
            "bbox": [min(xs), min(ys), w, h],
            "area": w * h,
            "iscrowd": 0,
        })
    return {
        "info": {"description": f"CC2D landmark studio export ({project.schema.name})"},
        "images": images,
        "annotations": annotations,
        "categories": [{
            "id": CATEGORY_ID,
            "name": project.schema.id,
            "supercategory": "anatomy",
            "keypoints": list(project.schema.names),
            "skeleton": [],
        }],
    }


def export_coco(project: Project, path: str | os.PathLike[str], image_ids: ImageIds = None
                ) -> Path:
    """Write the COCO keypoints JSON to ``path``."""
    path = Path(path)
    project_guard(project).check(path)
    doc = coco_document(project, image_ids)
    write_text(path, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    return path


def is_coco(doc: Any) -> bool:
    """Whether a parsed JSON document looks like COCO keypoints (ours or another tool's)."""
    return isinstance(doc, dict) and {"images", "annotations", "categories"} <= set(doc)


def parse_coco(doc: dict[str, Any], path: Path, source: LandmarkSource
               ) -> tuple[list[str], dict[str, dict[int, Landmark]]]:
    """(keypoint names, {file_name: {index: Landmark}}) of a COCO keypoints document.

    Points with visibility 0 are not placed. Malformed content is a LandmarkFileError.
    """
    try:
        categories = [c for c in doc["categories"] if c.get("keypoints")]
        if len(categories) != 1:
            raise LandmarkFileError(
                f"{path} has {len(categories)} keypoint categories; import needs exactly one")
        names = [str(n) for n in categories[0]["keypoints"]]
        files = {img["id"]: str(img["file_name"]) for img in doc["images"]}
        points: dict[str, dict[int, Landmark]] = {name: {} for name in files.values()}
        for ann in doc["annotations"]:
            values = [float(v) for v in ann["keypoints"]]
            if len(values) != 3 * len(names):
                raise LandmarkFileError(
                    f"{path}: annotation {ann.get('id')} has {len(values) // 3} keypoints, "
                    f"the category {len(names)}")
            placed = points.setdefault(files[ann["image_id"]], {})
            for i in range(len(names)):
                x, y, v = values[3 * i:3 * i + 3]
                if v > 0:
                    placed[i] = Landmark(x, y, source, None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LandmarkFileError(
            f"{path} is malformed COCO keypoints: {type(exc).__name__} {exc}") from None
    return names, points
