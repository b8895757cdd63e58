"""3D Slicer markups export: one ``<image>.mrk.json`` fiducial list per image.

Slicer loads a 2D PNG/JPEG as a one-slice volume with origin 0 at the centre of
the first pixel, identity direction in LPS, and the file's spacing; a landmark at
pixel (x, y) therefore sits at LPS ``(x * col_mm, y * row_mm, 0)``, which is what
we write. Where the spacing is unknown, positions are in pixels (1 unit = 1 pixel)
and the file says so in ``cc2dNote`` and each point's description. Landmarks not
placed are kept as control points with ``positionStatus: "undefined"`` so that
indices line up with the schema.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from engine.project.export import (
    ImageIds,
    ImageLandmarks,
    collect,
    output_folder,
    project_guard,
    unique_stem,
    write_text,
)
from engine.project.store import Project

SCHEMA_URL = (
    "https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/"
    "Resources/Schema/markups-schema-v1.0.3.json#"
)
PIXEL_NOTE = "pixel spacing unknown: positions are in pixels (1 unit = 1 pixel), not mm"


def markups(item: ImageLandmarks, project: Project) -> dict[str, Any]:
    """The markups document of one image."""
    schema = project.schema
    known = item.record.spacing is not None
    points = []
    for i, lm in enumerate(item.landmarks):
        description = schema.names[i] if known else f"{schema.names[i]} ({PIXEL_NOTE})"
        point: dict[str, Any] = {
            "id": str(i + 1),
            "label": schema.label(i),
            "description": description,
            "associatedNodeID": "",
            "selected": True,
            "locked": False,
            "visibility": True,
        }
        if lm is None:
            point["positionStatus"] = "undefined"
        else:
            x, y = item.mm(lm) or (lm.x, lm.y)
            point["position"] = [x, y, 0.0]
            point["positionStatus"] = "defined"
        points.append(point)
    doc: dict[str, Any] = {
        "@schema": SCHEMA_URL,
        "markups": [{
            "type": "Fiducial",
            "name": Path(item.key).stem,
            "coordinateSystem": "LPS",
            "coordinateUnits": "mm",
            "locked": False,
            "fixedNumberOfControlPoints": False,
            "labelFormat": "%N-%d",
            "lastUsedControlPointNumber": len(points),
            "controlPoints": points,
        }],
    }
    if not known:
        doc["cc2dNote"] = PIXEL_NOTE
    return doc


def export_slicer(project: Project, folder: str | os.PathLike[str], image_ids: ImageIds = None
                  ) -> list[Path]:
    """Write one ``.mrk.json`` per image into ``folder``; returns the paths written."""
    folder = output_folder(Path(folder))
    written: list[Path] = []
    used: set[str] = set()
    guard = project_guard(project)
    for item in collect(project, image_ids):
        path = folder / f"{unique_stem(item.record, used)}.mrk.json"
        guard.check(path)
        write_text(path, json.dumps(markups(item, project), ensure_ascii=False, indent=1) + "\n")
        written.append(path)
    return written
