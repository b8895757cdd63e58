"""Measurements of one image as the panel and the report show them: plain functions, no Qt.

The analysis itself is the engine's (``engine.analysis``, ``engine.project.measuring``,
ADR 0016); here results become text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from engine.analysis import MeasurementResult
from engine.data.spacing import Spacing
from engine.project import Landmark, LandmarkSource


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


def interval_text(r: MeasurementResult) -> str:
    """``"78.2–85.9°"``: where the value lies with 90 % probability; "" when unknown."""
    lo, hi = r.interval
    if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(r.value)):
        return ""
    digits = 2 if r.unit == "" else 1
    sep = "" if r.unit in ("°", "") else " "
    return f"{lo:.{digits}f}–{hi:.{digits}f}{sep}{r.unit}"


def norm_text(r: MeasurementResult) -> str:
    """``"82 ± 2"`` for a norm, else the normal class's range; "" without either."""
    if r.norm is not None and r.unit != "px":
        return f"{r.norm.mean:g} ± {r.norm.sd:g}"
    return range_text(r)


def deviation_text(r: MeasurementResult) -> str:
    """``"+1.4 SD"`` from the norm's mean; "" without a norm."""
    if r.deviation_sd is None or not math.isfinite(r.deviation_sd):
        return ""
    return f"{round(r.deviation_sd, 1) + 0.0:+.1f} SD"


def chance_text(r: MeasurementResult) -> str:
    """``"38 % chance of another class"``; "" when not classified."""
    if not math.isfinite(r.p_other_class):
        return ""
    return f"{100 * r.p_other_class:.0f} % chance of another class"


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
