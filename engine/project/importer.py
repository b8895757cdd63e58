"""Import landmarks into a project from a long CSV, our own CSV export, or our JSON export.

Rows name project images by the one rule of :mod:`engine.data.image_keys` (the
image's path ends with the row's ``image`` cell; a bare name must be unique), JSON
exports also by content hash. The file's landmarks must be the schema's:
same count, and the same names where the file names them. Missing coordinates
(empty/NaN) leave the project's landmark untouched. One import is one edit, so a
single undo reverts it.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.csv_cells import from_cell, json_number, number_text
from engine.data.image_keys import match_images
from engine.data.landmarks import points_outside, read_landmark_csv
from engine.errors import LandmarkFileError
from engine.json_files import JsonReadError, read_json
from engine.output_paths import special_kind
from engine.project.coco import is_coco, parse_coco
from engine.project.export import JSON_FORMAT, JSON_VERSION
from engine.project.model import (
    ImageRecord,
    ImportReport,
    Landmark,
    LandmarkSource,
    ReviewStatus,
    parse_enum,
)
from engine.project.schema import LandmarkSchema
from engine.project.store import Project

# Per file image label: {index: Landmark}, and optionally a review status.
Parsed = tuple[dict[str, dict[int, Landmark]], dict[str, str], dict[str, str]]


def import_landmarks(
    project: Project,
    path: str | os.PathLike[str],
    *,
    source: LandmarkSource | str = LandmarkSource.CORRECTED,
) -> ImportReport:
    """Import ``path`` (CSV or JSON); ``source`` applies where the file names none."""
    path = Path(path)
    default = parse_enum(LandmarkSource, source)
    if path.suffix.lower() == ".json":
        points, statuses, hashes = _parse_json(path, project.schema, default)
    else:
        points, statuses, hashes = _parse_csv(path, project.schema, default)
    records = project.images()
    matched = _match(points, records, hashes, path.name)
    report = ImportReport()
    edits: dict[int, dict[int, Landmark]] = {}
    status_edits: dict[int, str] = {}
    owner: dict[int, str] = {}
    for label, pts in points.items():
        rec = matched.get(label)
        if rec is None:
            report.unmatched_in_file.append(label)
            continue
        if rec.id in owner:
            raise LandmarkFileError(
                f"{path.name}: images '{owner[rec.id]}' and '{label}' both match project image "
                f"{rec.stored_path}; use full paths in the file"
            )
        owner[rec.id] = label
        report.matched.append(rec.name)
        pts = _inside(pts, rec, project.schema, report)
        edits[rec.id] = pts
        report.points_set += len(pts)
        if label in statuses:
            status_edits[rec.id] = statuses[label]
    if not owner:
        example = next(iter(points), "?")
        raise LandmarkFileError(
            f"none of the {len(points)} image(s) in {path.name} (e.g. '{example}') match an "
            f"image of the project ({len(records)} image(s)); add the images first"
        )
    report.images_without_labels = [r.name for r in records if r.id not in owner]
    summary = f"import {path.name}: {report.points_set} point(s) on {len(owner)} image(s)"
    report.edit_id = project.apply_edits(edits, statuses=status_edits, summary=summary).id
    return report


def _inside(pts: dict[int, Landmark], rec: ImageRecord, schema: LandmarkSchema,
            report: ImportReport) -> dict[int, Landmark]:
    """``pts`` without the points outside ``rec``'s image, each noted in ``report``."""
    if not pts:
        return pts
    order = sorted(pts)
    xy = np.array([(pts[i].x, pts[i].y) for i in order], dtype=float)
    outside = {order[j] for j in points_outside(xy, rec.width, rec.height)}
    for i in sorted(outside):
        report.outside_image.append(
            f"{rec.name}: {schema.label(i)} ({pts[i].x:g}, {pts[i].y:g})")
    return {i: lm for i, lm in pts.items() if i not in outside}


def check_names(schema: LandmarkSchema, names: Sequence[str | None], where: str) -> None:
    """Raise LandmarkFileError unless ``names`` fit the schema (``None``: unnamed, matches)."""
    if len(names) != len(schema):
        raise LandmarkFileError(
            f"{where} has {len(names)} landmarks but the project schema '{schema.name}' "
            f"has {len(schema)}; use a file made for this schema"
        )
    for i, name in enumerate(names):
        if name is not None and schema.index_of(name) != i:
            raise LandmarkFileError(
                f"{where}: landmark {i + 1} is '{name}' but the project schema calls it "
                f"'{schema.landmarks[i].name}'; the landmark order or schema differ"
            )


def _match(labels: Iterable[str], records: list[ImageRecord], hashes: Mapping[str, str],
           where: str) -> dict[str, ImageRecord]:
    """``{label: record}``: by content hash where the file gives one, else by the one rule."""
    labels = list(labels)
    by_hash = {r.sha256: r for r in records}
    out = {label: by_hash[hashes[label]] for label in labels if hashes.get(label) in by_hash}
    by_path = {r.path: r for r in records}
    rest = [label for label in labels if label not in out]
    for label, path in match_images(rest, list(by_path), where).items():
        out[label] = by_path[Path(path)]
    return out


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    kind = special_kind(path)
    if kind is not None and kind != "a folder":   # opening a pipe would block for ever
        raise LandmarkFileError(f"{path} is {kind}, not a landmark file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows = [{k: from_cell(v) if isinstance(v, str) else v for k, v in row.items()}
                    for row in reader]
            return list(reader.fieldnames or []), rows
    except FileNotFoundError:
        raise LandmarkFileError(f"landmark file not found: {path}") from None
    except OSError as exc:
        reason = exc.strerror or exc
        raise LandmarkFileError(f"cannot read landmark file {path}: {reason}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LandmarkFileError(f"cannot read landmark file {path}: {exc}") from None


def _parse_csv(path: Path, schema: LandmarkSchema, source: LandmarkSource) -> Parsed:
    header, rows = _read_rows(path)
    if "x_px" in header:
        return _parse_own_csv(path, rows, schema, source)
    table = read_landmark_csv(path)
    # read_landmark_csv names unnamed landmarks "L<n>"; those match any schema name.
    check_names(
        schema, [None if n == f"L{i + 1}" else n for i, n in enumerate(table.names)], path.name
    )
    confidence = table.values.get("confidence", {})
    points: dict[str, dict[int, Landmark]] = {}
    for label, arr in table.points.items():
        conf = confidence.get(label)
        points[label] = {
            i: Landmark(float(x), float(y), source,
                        float(conf[i]) if conf is not None and math.isfinite(conf[i]) else None)
            for i, (x, y) in enumerate(arr)
            if math.isfinite(x) and math.isfinite(y)
        }
    return points, {}, {}


def _cell_float(text: str | None, where: str) -> float | None:
    text = (text or "").strip()
    if text.lower() in ("", "nan", "na", "none"):
        return None
    try:
        value = number_text(text)
    except ValueError:
        raise LandmarkFileError(f"{where}: '{text}' is not a number") from None
    return value if math.isfinite(value) else None


def _parse_own_csv(
    path: Path, rows: list[dict[str, str]], schema: LandmarkSchema, source: LandmarkSource
) -> Parsed:
    """Our export format: ``x_px, y_px`` plus source, confidence and status columns."""
    names: dict[int, str | None] = {}
    points: dict[str, dict[int, Landmark]] = {}
    statuses: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        where = f"{path.name} line {line}"
        label = (row.get("image") or "").strip()
        try:
            index = int((row.get("landmark") or "").strip()) - 1
        except ValueError:
            bad = row.get("landmark")
            raise LandmarkFileError(f"{where}: landmark '{bad}' is not a number") from None
        if not label or index < 0:
            raise LandmarkFileError(f"{where}: needs an image and a landmark number from 1")
        names.setdefault(index, (row.get("name") or "").strip() or None)
        points.setdefault(label, {})
        if row.get("status"):
            statuses[label] = parse_enum(ReviewStatus, row["status"].strip()).value
        x = _cell_float(row.get("x_px"), where)
        y = _cell_float(row.get("y_px"), where)
        if x is None or y is None:
            continue
        src = parse_enum(LandmarkSource, row["source"].strip()) if row.get("source") else source
        points[label][index] = Landmark(x, y, src, _cell_float(row.get("confidence"), where))
    if not rows:
        raise LandmarkFileError(f"{path} holds no landmark rows")
    n = max(names) + 1
    check_names(schema, [names.get(i) for i in range(n)], path.name)
    return points, statuses, {}


def _parse_json(path: Path, schema: LandmarkSchema, source: LandmarkSource) -> Parsed:
    if not path.exists():
        raise LandmarkFileError(f"landmark file not found: {path}")
    try:
        doc = read_json(path)
    except JsonReadError as exc:
        raise LandmarkFileError(f"cannot read landmark file {path}: {exc}") from None
    if is_coco(doc):  # COCO keypoints, as our own export writes them
        names, coco_points = parse_coco(doc, path, source)
        check_names(schema, names, path.name)
        return coco_points, {}, {}
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise LandmarkFileError(
            f"{path} is neither a CC2D landmark JSON export (no format '{JSON_FORMAT}') "
            "nor COCO keypoints (images, annotations, categories)"
        )
    if not isinstance(doc.get("version"), int) or doc["version"] > JSON_VERSION:
        raise LandmarkFileError(
            f"{path} has format version {doc.get('version')!r}; this version reads up to "
            f"{JSON_VERSION}; update the app"
        )
    try:
        file_names = [lm["name"] for lm in doc["schema"]["landmarks"]]
        check_names(schema, file_names, path.name)
        points: dict[str, dict[int, Landmark]] = {}
        statuses: dict[str, str] = {}
        hashes: dict[str, str] = {}
        for img in doc["images"]:
            label = str(img["image"])
            hashes[label] = str(img.get("sha256") or "")
            if img.get("status"):
                statuses[label] = parse_enum(ReviewStatus, img["status"]).value
            points[label] = {
                int(json_number(p["index"], whole=True)) - 1: _json_point(p, source)
                for p in img["landmarks"]
                if p.get("x") is not None and p.get("y") is not None
            }
    except (KeyError, TypeError, ValueError) as exc:
        raise LandmarkFileError(f"{path} is malformed: {type(exc).__name__} {exc}") from None
    return points, statuses, hashes


def _json_point(p: Mapping[str, Any], source: LandmarkSource) -> Landmark:
    src = parse_enum(LandmarkSource, p["source"]) if p.get("source") else source
    conf = p.get("confidence")
    return Landmark(json_number(p["x"]), json_number(p["y"]), src,
                    json_number(conf) if conf is not None else None)
