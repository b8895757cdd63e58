"""Measurements of one image as the panel and the report show them: plain functions, no Qt.

The analysis itself is the engine's (``engine.analysis``, ADR 0009); here the project's
landmarks become its point array (a landmark being dragged substituted, nothing written)
and results become text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from engine.analysis import Analysis, MeasurementResult
from engine.data.spacing import Spacing
from engine.project import Landmark, LandmarkSource

# Each landmark's expected error for the borderline check, as the CLI uses: no mapping from
# a prediction's confidence to its error has been measured yet (ADR 0009).
SIGMA_MM = 2.0
SIGMA_TEXT = (f"Borderline: the value ± its error, each landmark it uses off by σ = "
              f"{SIGMA_MM:g} mm (independently), reaches another class.")
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


def measure_image(analysis: Analysis, landmarks: Sequence[Landmark | None],
                  spacing: Spacing | None, dragged: Dragged | None = None
                  ) -> list[MeasurementResult]:
    """The analysis on these landmarks; lengths in mm with a spacing, else in px."""
    return analysis.measure(points_array(landmarks, dragged),
                            spacing.col_mm if spacing is not None else None, SIGMA_MM)


def value_text(r: MeasurementResult) -> str:
    """``"81.3°"``, ``"4.2 mm"``, ``"0.68"``; ``"—"`` when a landmark it uses is missing."""
    return number_text(r.value, r.unit)


def number_text(value: float | None, unit: str, signed: bool = False) -> str:
    """A measurement's number with its unit (ratios to 2 decimals, the rest to 1); "—"
    for none; ``signed``: a change, "+1.5°" (never "-0.0" or "+0.0")."""
    if value is None or not math.isfinite(value):
        return "—"
    digits = 2 if unit == "" else 1
    sep = "" if unit in ("°", "") else " "
    if signed:
        value = round(value, digits) + 0.0
    sign = "+" if signed and value > 0 else ""
    return f"{sign}{value:.{digits}f}{sep}{unit}"


def range_text(r: MeasurementResult) -> str:
    """The normal class's range (``"79.4–83.2"``, ``"≥ 2"``); "" without a normal class."""
    if r.normal_range is None:
        return ""
    lo, hi = r.normal_range
    if lo is not None and hi is not None:
        return f"{lo:g}–{hi:g}"
    return f"≥ {lo:g}" if lo is not None else f"≤ {hi:g}"


def class_text(r: MeasurementResult) -> str:
    """The class in words (its meaning, else its name); "" when not classified."""
    return r.class_meaning or r.class_name or ""


def error_text(r: MeasurementResult) -> str:
    """``"± 1.3°"``: the value's spread for the borderline check; "" when unknown."""
    if not math.isfinite(r.error_bound) or not math.isfinite(r.value):
        return ""
    digits = 2 if r.unit == "" else 1
    sep = "" if r.unit in ("°", "") else " "
    return f"± {r.error_bound:.{digits}f}{sep}{r.unit}"


def source_text(lm: Landmark | None) -> str:
    """How a landmark was obtained: template, predicted (confidence), corrected."""
    if lm is None:
        return "not placed"
    if lm.source == LandmarkSource.PREDICTED and lm.confidence is not None:
        return f"predicted ({lm.confidence:.2f})"
    return lm.source.value



def measurement_note(landmarks: Sequence[Landmark | None], spacing: Spacing | None) -> str:
    """What limits the values shown: no spacing, landmarks not placed."""
    notes = []
    if spacing is None:
        notes.append("No pixel spacing: lengths in px, not classified (calibrate in the "
                     "View tab).")
    missing = sum(lm is None for lm in landmarks)
    if missing:
        notes.append(f"{missing} landmark(s) not placed: what uses them shows —.")
    return " ".join(notes)
