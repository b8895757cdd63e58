"""Measuring a project's images: each landmark's expected error by where it came from,
and the chosen analyses on one image's landmarks (used by the app and ``cc2d project
measurements`` alike).

A clinician's point (placed on the template, corrected, or on an image marked reviewed)
errs like one observer; a predicted point like the run, calibrated on the project's
reviewed images (how far their predictions were from the points kept) once there are any
(:mod:`engine.analysis.point_error`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.analysis import ASSUMED_MM_PER_PX, BoundAnalysis, MeasurementResult
from engine.analysis.point_error import PointErrorModel, calibrate
from engine.analysis.report import write_wide_csv
from engine.data.spacing import Spacing
from engine.project.model import Landmark, LandmarkSource, ReviewStatus

if TYPE_CHECKING:
    from engine.project.store import Project

Dragged = tuple[int, float, float]  # landmark index, x, y while it is dragged


def points_array(landmarks: Sequence[Landmark | None], dragged: Dragged | None = None
                 ) -> np.ndarray:
    """(N, 2) pixels, NaN where a landmark is not placed; ``dragged`` replaces one point."""
    pts = np.array([(lm.x, lm.y) if lm is not None else (np.nan, np.nan) for lm in landmarks],
                   dtype=float).reshape(-1, 2)
    if dragged is not None:
        index, x, y = dragged
        pts[index] = (x, y)
    return pts


def measure_image(bound: BoundAnalysis, landmarks: Sequence[Landmark | None],
                  spacing: Spacing | None, sigma_mm: np.ndarray | float,
                  dragged: Dragged | None = None) -> list[MeasurementResult]:
    """The analysis on these landmarks; lengths in mm with a spacing, else in px.
    ``sigma_mm``: each landmark's expected error (:func:`image_sigma`)."""
    return bound.measure(points_array(landmarks, dragged),
                         spacing.col_mm if spacing is not None else None, sigma_mm)


Reviewed = tuple[Sequence[Landmark | None], Sequence[Landmark | None], Spacing | None]


def predicted_sigma(model: PointErrorModel, codes: Sequence[str],
                    reviewed: Iterable[Reviewed]) -> tuple[np.ndarray, int]:
    """σ (mm) of each landmark's predictions, and how many reviewed images it was
    calibrated on: ``reviewed`` gives per image its predictions, the points kept and its
    spacing (without one, the resolution measuring assumes, so that σ turns back into the
    same pixels)."""
    predicted, kept, spacing = [], [], []
    for preds, points, sp in reviewed:
        if not any(p is not None for p in preds):
            continue
        predicted.append(points_array(preds))
        kept.append(points_array(points))
        spacing.append(sp.col_mm if sp is not None else ASSUMED_MM_PER_PX)
    return calibrate(model.predicted(codes), predicted, kept, spacing), len(predicted)


def is_clinicians(landmarks: Sequence[Landmark | None], status: ReviewStatus,
                  dragged: int | None = None) -> list[bool]:
    """Per landmark, whether a clinician placed or accepted it."""
    reviewed = status == ReviewStatus.REVIEWED
    return [reviewed or i == dragged or (lm is not None and lm.source != LandmarkSource.PREDICTED)
            for i, lm in enumerate(landmarks)]


def image_sigma(model: PointErrorModel, codes: Sequence[str],
                landmarks: Sequence[Landmark | None], status: ReviewStatus,
                predicted_mm: np.ndarray, dragged: int | None = None) -> np.ndarray:
    """σ (mm) of each landmark of one image."""
    return model.sigma(codes, is_clinicians(landmarks, status, dragged), predicted_mm)


def sigma_text(calibrated_on: int) -> tuple[str, ...]:
    """How the points' errors were estimated, sentence by sentence (each fits a report
    line), for the panel and the report."""
    predicted = (f"calibrated on this project's {calibrated_on} reviewed image(s)"
                 if calibrated_on else "a one-template run's on the ISBI 2015 training "
                 "images until images are reviewed here")
    return ("Borderline: a material chance that the class is another, each point erring "
            "by its own σ:",
            "placed, corrected or reviewed points like one clinician (the ISBI 2015 doctors' "
            "spread);",
            f"predicted ones like the run ({predicted}).")


@dataclass(frozen=True)
class Measuring:
    """The chosen analyses and the σ of predicted points, frozen: what measuring an image
    needs, usable in a worker thread."""

    analyses: tuple[BoundAnalysis, ...]
    model: PointErrorModel
    codes: tuple[str, ...]
    predicted_mm: np.ndarray
    calibrated_on: int

    def sections(self, landmarks: Sequence[Landmark | None], status: ReviewStatus,
                 spacing: Spacing | None, dragged: Dragged | None = None
                 ) -> list[tuple[BoundAnalysis, list[MeasurementResult]]]:
        sigma = image_sigma(self.model, self.codes, landmarks, status, self.predicted_mm,
                            dragged[0] if dragged else None)
        return [(b, measure_image(b, landmarks, spacing, sigma, dragged))
                for b in self.analyses]


def project_measuring(project: Project, analyses: Sequence[BoundAnalysis],
                      model: PointErrorModel) -> Measuring:
    """The analyses with the σ of ``project``'s predicted points, calibrated on its
    reviewed images."""
    reviewed = ((project.predictions(r.id), project.landmarks(r.id), r.spacing)
                for r in project.images() if r.status == ReviewStatus.REVIEWED)
    codes = tuple(project.schema.label(i) for i in range(len(project.schema)))
    predicted, n = predicted_sigma(model, codes, reviewed)
    return Measuring(tuple(analyses), model, codes, predicted, n)


def write_project_tables(project: Project, measuring: Measuring, path: Path,
                         image_ids: Sequence[int], names: dict[int, str]) -> list[Path]:
    """Per analysis of ``measuring`` a table of these images, one row each
    (``<path stem>_<analysis id>.csv``, ``@`` written ``_``); returns the files."""
    per_analysis: list[list[tuple[str, list[MeasurementResult]]]] = [
        [] for _ in measuring.analyses]
    for image_id in image_ids:
        rec = project.image(image_id)
        sections = measuring.sections(project.landmarks(image_id), rec.status, rec.spacing)
        for rows, (_, results) in zip(per_analysis, sections):
            rows.append((names[image_id], results))
    written = []
    for bound, rows in zip(measuring.analyses, per_analysis):
        out = path.with_name(f"{path.stem}_{bound.analysis.id.replace('@', '_')}.csv")
        write_wide_csv(out, [(m.id, m.name) for m in bound.computable], rows)
        written.append(out)
    return written
