"""COCO keypoints export: one category whose keypoints are the schema's landmarks.

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

from engine.project.export import ImageIds, collect, write_text
from engine.project.store import Project

CATEGORY_ID = 1


def coco_document(project: Project, image_ids: ImageIds = None) -> dict[str, Any]:
    """The COCO keypoints dictionary for the project (or the images in ``image_ids``)."""
    images, annotations = [], []
    for item in collect(project, image_ids):
        rec = item.record
        images.append({
            "id": rec.id, "file_name": rec.stored_path, "width": rec.width, "height": rec.height,
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
    doc = coco_document(project, image_ids)
    write_text(path, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    return path
