"""Radial error metrics: MRE ± std and successful detection rates (SDR) in millimetres.

A landmark with a ground truth but no finite prediction is a miss: it counts against
every SDR and is reported (``n_missed``); MRE ± std are over the points found.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from engine.data.image_keys import match_images
from engine.data.landmarks import LandmarkTable
from engine.errors import CC2DError, LandmarkFileError

SDR_THRESHOLDS_MM = (2.0, 2.5, 3.0, 4.0)


@dataclass(frozen=True)
class Evaluation:
    """Summary over images × landmarks, plus the same per landmark."""

    unit: str                       # "mm", or "px" when no spacing was given
    n_images: int
    n_points: int                   # points with a ground truth, misses included
    mre: float                      # over the points found
    std: float
    sdr: dict[str, float]           # threshold (as text) → percent of n_points
    per_landmark: list[dict[str, Any]] = field(default_factory=list)
    n_missed: int = 0               # ground truth present, prediction missing or not finite

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def radial_errors(
    pred: LandmarkTable, truth: LandmarkTable, spacing_mm: float | dict[str, float] | None
) -> tuple[list[str], np.ndarray]:
    """(images, errors[I, N]) distances between prediction and truth, in mm (or px).

    An error is NaN where the truth has no point, +inf where the truth has one and the
    prediction does not (a miss). ``spacing_mm`` must be positive and finite.
    """
    for value in (spacing_mm.values() if isinstance(spacing_mm, dict) else [spacing_mm]):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise CC2DError(f"pixel spacing {value!r} mm is not a positive number")
    if pred.n_landmarks != truth.n_landmarks:
        raise LandmarkFileError(
            f"predictions have {pred.n_landmarks} landmarks, the truth {truth.n_landmarks}"
        )
    # The truth's rows name the predicted images by the one rule (engine.data.image_keys).
    truth_of = {str(img): cell for cell, img in
                match_images(truth.points, list(pred.points), "the ground truth").items()}
    images, rows = [], []
    missing = []
    for image, pts in pred.points.items():
        key = truth_of.get(image)
        if key is None:
            missing.append(image)
            continue
        true = truth.points[key]
        with np.errstate(invalid="ignore"):
            err = np.hypot(*(pts - true).T)
        has_truth = np.isfinite(true).all(axis=1)
        err = np.where(has_truth, np.where(np.isfinite(err), err, np.inf), np.nan)
        if spacing_mm is not None:
            err = err * (spacing_mm[image] if isinstance(spacing_mm, dict) else spacing_mm)
        images.append(image)
        rows.append(err)
    if missing:
        raise LandmarkFileError(
            f"{len(missing)} predicted image(s) have no ground truth, e.g. {missing[:3]}"
        )
    if not rows:
        raise LandmarkFileError("no predicted image to evaluate")
    return images, np.array(rows)


def summarize(errors: np.ndarray, unit: str = "mm",
              thresholds: tuple[float, ...] = SDR_THRESHOLDS_MM) -> dict[str, Any]:
    """MRE, std and SDR (%) of a flat or 2-D error array.

    NaN (no truth) is left out; +inf (a miss) counts in ``n`` and against every SDR,
    and ``missed`` says how many; MRE and std are over the finite errors.
    """
    scored = errors[~np.isnan(errors)]
    found = scored[np.isfinite(scored)]
    missed = int(scored.size - found.size)
    if scored.size == 0:
        return {"mre": float("nan"), "std": float("nan"), "n": 0, "missed": 0,
                "sdr": {f"{t:g}": float("nan") for t in thresholds}}
    mre = float(found.mean()) if found.size else float("nan")
    std = float(found.std()) if found.size else float("nan")
    return {"mre": mre, "std": std, "n": int(scored.size), "missed": missed,
            "sdr": {f"{t:g}": float((found <= t).sum() / scored.size * 100) for t in thresholds}}


def evaluate(pred: LandmarkTable, truth: LandmarkTable,
             spacing_mm: float | dict[str, float] | None) -> Evaluation:
    """Evaluate ``pred`` against ``truth``; distances × spacing (mm/pixel) when given."""
    unit = "mm" if spacing_mm is not None else "px"
    images, errors = radial_errors(pred, truth, spacing_mm)
    overall = summarize(errors, unit)
    per = []
    for i, name in enumerate(truth.names):
        s = summarize(errors[:, i], unit)
        per.append({"landmark": i + 1, "name": name, **s})
    return Evaluation(unit, len(images), overall["n"], overall["mre"], overall["std"],
                      overall["sdr"], per, n_missed=overall["missed"])


def format_evaluation(ev: Evaluation) -> str:
    """A plain-text table: overall line, then one line per landmark."""
    thr = list(ev.sdr)
    head = f"{'landmark':<28} {'MRE ± std (' + ev.unit + ')':>18} " + " ".join(
        f"{'SDR' + t:>8}" for t in thr)
    lines = [head, "-" * len(head)]
    for row in ev.per_landmark:
        lines.append(f"{str(row['landmark']) + ' ' + row['name']:<28.28} "
                     f"{row['mre']:>9.2f} ± {row['std']:<6.2f} "
                     + " ".join(f"{row['sdr'][t]:>7.1f}%" for t in thr))
    lines.append("-" * len(head))
    lines.append(f"{'all (' + str(ev.n_images) + ' images)':<28} {ev.mre:>9.2f} ± {ev.std:<6.2f} "
                 + " ".join(f"{ev.sdr[t]:>7.1f}%" for t in thr))
    if ev.n_missed:
        lines.append(f"{ev.n_missed} of {ev.n_points} point(s) have no (finite) prediction: "
                     "counted as misses in every SDR, left out of MRE ± std")
    return "\n".join(lines)
