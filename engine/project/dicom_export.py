"""``dicom-sr`` export: per image a DICOM measurement report of its landmarks and the
chosen analyses (engine.dicom_out), for an image that is not a DICOM the Secondary Capture
it refers to, and (from the app, which draws it) the PDF report as an Encapsulated PDF:
``<image>_sr.dcm``, ``<image>_sc.dcm``, ``<image>_report.dcm`` in a folder, one study."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from engine.data.images import load_image
from engine.dicom_out.codes import MAX_CODE_VALUE
from engine.dicom_out.pdf import encapsulated_pdf
from engine.dicom_out.source import source_for
from engine.dicom_out.sr import PointOut, SectionOut, measurement_report, write_dataset
from engine.project.export import output_folder, project_guard, unique_stem
from engine.project.measuring import Measuring
from engine.project.model import ImageRecord, Landmark, LandmarkSource
from engine.project.store import Project

ReportPdf = Callable[[int], bytes]   # image id → its PDF report (drawn by the app)


def point_codes(labels: Sequence[str]) -> list[str]:
    """Each landmark's code in the SR: its label where that fits a code value (16
    characters) and is unique, else ``L<number>`` (the name stays in the meaning)."""
    fits = [len(label) <= MAX_CODE_VALUE and labels.count(label) == 1 for label in labels]
    return [label if ok else f"L{k + 1}" for k, (label, ok) in enumerate(zip(labels, fits))]


def export_dicom_sr(project: Project, folder: Path, image_ids: Sequence[int] | None,
                    measuring: Measuring, report_pdf: ReportPdf | None = None,
                    progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Write the SR (and SC) of each image with landmarks (``image_ids``: those, else
    all), and with ``report_pdf`` (image id → the PDF report's bytes) the report as an
    Encapsulated PDF in the same study; returns the files written. No file replaces one
    of the project's own or its images."""
    folder = output_folder(folder)
    guard = project_guard(project)
    schema = project.schema
    codes = point_codes([schema.label(i) for i in range(len(schema))])
    ids = list(image_ids) if image_ids is not None else [r.id for r in project.images()]
    written: list[Path] = []
    used: set[str] = set()
    for k, image_id in enumerate(ids):
        rec = project.image(image_id)
        landmarks = project.landmarks(image_id)
        if any(lm is not None for lm in landmarks):
            stem = unique_stem(rec, used)
            for suffix in ("_sc.dcm", "_sr.dcm", "_report.dcm"):
                guard.check(folder / f"{stem}{suffix}")
            written += _one(project, rec, landmarks, measuring, codes, folder, stem,
                            report_pdf)
        if progress is not None:
            progress(k + 1, len(ids))
    return written


def _one(project: Project, rec: ImageRecord, landmarks: list[Landmark | None],
         measuring: Measuring, codes: list[str], folder: Path, stem: str,
         report_pdf: ReportPdf | None) -> list[Path]:
    schema = project.schema
    points = [PointOut(codes[i], schema.landmarks[i].name, lm.x, lm.y, lm.source.value,
                       lm.confidence if lm.source == LandmarkSource.PREDICTED else None)
              for i, lm in enumerate(landmarks) if lm is not None]
    sections = [SectionOut(b.analysis.id, b.analysis.name, results)
                for b, results in measuring.sections(landmarks, rec.status, rec.spacing)]
    key = f"{project.folder.resolve()}\x1f{rec.id}\x1f{rec.path}"
    spacing = (rec.spacing.row_mm, rec.spacing.col_mm) if rec.spacing else None
    source = source_for(rec.path, lambda: load_image(rec.path).pixels,
                        project.patient(rec.id), spacing, key)
    out = []
    if source.capture is not None:
        out.append(write_dataset(folder / f"{stem}_sc.dcm", source.capture))
    out.append(write_dataset(folder / f"{stem}_sr.dcm",
                             measurement_report(source.dataset, points, sections, key)))
    if report_pdf is not None:
        document = encapsulated_pdf(report_pdf(rec.id), source.dataset,
                                    f"Cephalometric report {rec.name}", key)
        out.append(write_dataset(folder / f"{stem}_report.dcm", document))
    return out
