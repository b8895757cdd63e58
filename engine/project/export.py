"""Export a project's landmarks: long CSV and JSON (plus the Slicer and COCO modules).

Images are named by one rule in every export (ADR 0015): ``image`` is the image's key
(engine.data.image_keys over all the project's images: the file name where it is unique,
else the path from the twins' common folder), and ``folder`` its absolute folder, so a
file still resolves after it is moved and re-imports by the rule the importer reads.
The template counts as reviewed: a person placed every point of it.

Coordinates are pixels of the original image, origin at the centre of the top-left
pixel, x right, y down; millimetres are ``x_mm = x * col_mm``, ``y_mm = y * row_mm``
and are left empty where the spacing is unknown. Every file is written atomically,
so a failed export (full disk, no permission) leaves any earlier file unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.atomic import atomic_write_text
from engine.data.csv_cells import formula_safe
from engine.data.image_keys import image_keys
from engine.errors import ProjectError
from engine.output_paths import ProtectedFiles
from engine.project.db import DB_NAME, is_disk_full
from engine.project.lock import LOCK_NAME
from engine.project.model import ImageRecord, Landmark, ReviewStatus
from engine.project.store import Project

CSV_COLUMNS = (
    "image", "folder", "landmark", "name", "x_px", "y_px", "x_mm", "y_mm", "source",
    "confidence", "status",
)
JSON_FORMAT = "cc2d-landmarks"
JSON_VERSION = 1


@dataclass(frozen=True)
class ImageLandmarks:
    """An image with one entry per schema landmark (``None``: not placed), its export name
    and its review status as exported."""

    record: ImageRecord
    landmarks: list[Landmark | None]
    key: str
    status: str

    @property
    def folder(self) -> str:
        return str(self.record.path.parent)

    def mm(self, lm: Landmark) -> tuple[float, float] | None:
        """Position in mm, or ``None`` without a pixel spacing."""
        sp = self.record.spacing
        return (lm.x * sp.col_mm, lm.y * sp.row_mm) if sp is not None else None


ImageIds = Collection[int] | None


def collect(project: Project, image_ids: ImageIds = None) -> list[ImageLandmarks]:
    """The images (all, or those in ``image_ids``) with their landmarks, in the order added."""
    records = project.images()
    keys = image_names(project)
    template = project.template()
    template_id = template.id if template else None
    return [ImageLandmarks(rec, project.landmarks(rec.id), keys[rec.id],
                           ReviewStatus.REVIEWED.value if rec.id == template_id
                           else rec.status.value)
            for rec in records if image_ids is None or rec.id in image_ids]


def image_names(project: Project) -> dict[int, str]:
    """``{image id: export name}``, the same whichever images one export holds."""
    records = project.images()
    return {rec.id: key for rec, key in zip(records, image_keys([r.path for r in records]),
                                             strict=True)}


def output_folder(folder: Path) -> Path:
    """Make ``folder`` for a one-file-per-image export, with a clear error when it cannot."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(folder, exc) from None
    return folder


MAX_STEM_BYTES = 200   # + "_<id>" + ".mrk.json" stays under 255


def unique_stem(rec: ImageRecord, used: set[str]) -> str:
    """A file-system-safe stem for ``rec``'s own file in a one-file-per-image export.

    Two images may share a file name in different folders: the second gets its id added.
    A long name is shortened to ``MAX_STEM_BYTES`` so that stem, id and any export suffix
    stay within the 255 bytes a file name may have.
    """
    stem = re.sub(r'[\\/:*?"<>|]', "_", Path(rec.name).stem)
    stem = stem.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", errors="ignore")
    name = stem if stem.casefold() not in used else f"{stem}_{rec.id}"
    used.add(name.casefold())
    return name


def missing_files(project: Project, image_ids: ImageIds = None) -> list[ImageRecord]:
    """Exported images whose files are gone: their landmarks export, but say so."""
    return [item.record for item in collect(project, image_ids)
            if not item.record.path.is_file()]


def count_points(project: Project, image_ids: ImageIds = None) -> int:
    """How many placed landmarks an export of these images writes."""
    return sum(lm is not None for item in collect(project, image_ids) for lm in item.landmarks)


def project_guard(project: Project) -> ProtectedFiles:
    """The files no export of ``project`` may replace: its database, lock and images."""
    folder = Path(project.folder)
    own = [folder / n for n in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", LOCK_NAME)]
    return ProtectedFiles([*own, *(r.path for r in project.images())],
                          "one of the project's own files or images")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` atomically, turning OS errors into a clear ProjectError."""
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise write_error(path, exc) from None


def write_error(path: Path, exc: OSError) -> ProjectError:
    """User-facing error for a failed export write; nothing partial was left behind."""
    if is_disk_full(exc):
        return ProjectError(
            f"disk full while writing {path}; nothing was written there (an earlier file is "
            "unchanged). Free some disk space and export again"
        )
    if isinstance(exc, PermissionError):
        return ProjectError(f"cannot write {path}: permission denied; choose another folder")
    return ProjectError(f"cannot write {path}: {exc.strerror or exc}")


def _num(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def export_csv(project: Project, path: str | os.PathLike[str], image_ids: ImageIds = None) -> Path:
    """Write the long CSV (one row per image and landmark, see ``CSV_COLUMNS``)."""
    path = Path(path)
    project_guard(project).check(path)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    names = project.schema.names
    for item in collect(project, image_ids):
        for i, lm in enumerate(item.landmarks):
            row = [formula_safe(item.key), formula_safe(item.folder), i + 1,
                   formula_safe(names[i])]
            if lm is None:
                row += ["", "", "", "", "", ""]
            else:
                mm = item.mm(lm)
                row += [
                    _num(lm.x, 3), _num(lm.y, 3),
                    _num(mm[0] if mm else None, 4), _num(mm[1] if mm else None, 4),
                    lm.source.value, _num(lm.confidence, 4),
                ]
            writer.writerow([*row, item.status])
    write_text(path, buf.getvalue())
    return path


def _spacing_json(rec: ImageRecord) -> dict[str, Any] | None:
    sp = rec.spacing
    return {"row_mm": sp.row_mm, "col_mm": sp.col_mm, "source": sp.source} if sp else None


def export_json(project: Project, path: str | os.PathLike[str], image_ids: ImageIds = None
                ) -> Path:
    """Write the schema plus, per image, its spacing, status and landmarks (full precision)."""
    path = Path(path)
    project_guard(project).check(path)
    template = project.template()
    keys = image_names(project)
    images = []
    for item in collect(project, image_ids):
        rec = item.record
        points = []
        for i, lm in enumerate(item.landmarks):
            point: dict[str, Any] = {"index": i + 1, "name": project.schema.names[i]}
            mm = item.mm(lm) if lm is not None else None
            point.update(
                x=lm.x if lm else None, y=lm.y if lm else None,
                x_mm=mm[0] if mm else None, y_mm=mm[1] if mm else None,
                source=lm.source.value if lm else None, confidence=lm.confidence if lm else None,
            )
            points.append(point)
        images.append({
            "image": item.key, "folder": item.folder, "sha256": rec.sha256,
            "width": rec.width, "height": rec.height, "status": item.status,
            "spacing": _spacing_json(rec), "landmarks": points,
        })
    doc = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "coordinates": "pixels, origin at the centre of the top-left pixel, x right, y down",
        "schema": project.schema.to_dict(),
        "template": keys[template.id] if template else None,
        "images": images,
    }
    write_text(path, json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n")
    return path


def export(project: Project, out: str | os.PathLike[str], fmt: str,
           image_ids: ImageIds = None, analyses: Collection[str] | None = None,
           report_pdf: Callable[[int], bytes] | None = None) -> list[Path]:
    """Export in ``fmt`` (csv, json, slicer, coco, dicom-sr); returns the files written.

    ``out`` is a file for csv/json/coco and a folder for slicer and dicom-sr (files per
    image); ``image_ids`` limits it to those images (e.g. the reviewed ones);
    ``analyses``: the analysis ids a dicom-sr report holds (default: the schema's own);
    ``report_pdf``: image id → its PDF report, filed beside a dicom-sr report.
    """
    # Imported here because both modules build on this one.
    from engine.project.coco import export_coco
    from engine.project.slicer import export_slicer

    single: dict[str, Callable[[Project, Path, ImageIds], Path]] = {
        "csv": export_csv, "json": export_json, "coco": export_coco,
    }
    if fmt == "slicer":
        return export_slicer(project, Path(out), image_ids)
    if fmt == "dicom-sr":
        return _dicom_sr(project, Path(out), image_ids, analyses, report_pdf)
    if fmt not in single:
        raise ProjectError(f"unknown export format '{fmt}'; use csv, json, slicer, coco or "
                           "dicom-sr")
    return [single[fmt](project, Path(out), image_ids)]


def _dicom_sr(project: Project, folder: Path, image_ids: ImageIds,
              analyses: Collection[str] | None,
              report_pdf: Callable[[int], bytes] | None) -> list[Path]:
    from engine.analysis import analyses_for_schema, library
    from engine.analysis.point_error import load_model
    from engine.project.dicom_export import export_dicom_sr
    from engine.project.measuring import project_measuring

    schema = project.schema
    codes = [schema.label(i) for i in range(len(schema))]
    chosen = ([library().get(a) for a in analyses] if analyses is not None
              else list(analyses_for_schema(schema.id)))
    measuring = project_measuring(project, [a.bind(codes) for a in chosen], load_model())
    return export_dicom_sr(project, folder, None if image_ids is None else list(image_ids),
                           measuring, report_pdf)
