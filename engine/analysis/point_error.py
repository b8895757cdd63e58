"""Each landmark's expected error (σ along each axis, mm), by where the point came from.

- A clinician's point (placed on the template, corrected, or accepted on review) errs like
  one observer: σ from the spread between the ISBI 2015 senior and junior doctors.
- A predicted point errs like the run that predicted it: before any image is reviewed,
  σ of a one-template run measured on the ISBI training images; once images are
  reviewed, calibrated on them (how far the run's predictions were from the points the
  clinician kept), shrunk towards that prior while they are few.

Both tables are keyed by landmark code and measured by ``benchmarks/point_error_isbi.py``
(``resources/point_error/isbi2015.json``); a code they do not hold gets the table's
median, the file saying so. Every value read from it is checked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.analysis.model import AnalysisError
from engine.json_files import JsonReadError, read_json

PRIOR_WEIGHT = 3.0   # the prior counts as this many reviewed images
MAX_SIGMA_MM = 100.0


@dataclass(frozen=True)
class PointErrorModel:
    """σ per axis (mm) by landmark code, of one observer and of a predicted point."""

    observer_mm: dict[str, float]
    predicted_mm: dict[str, float]

    def observer(self, codes: Sequence[str]) -> np.ndarray:
        return _lookup(self.observer_mm, codes)

    def predicted(self, codes: Sequence[str]) -> np.ndarray:
        return _lookup(self.predicted_mm, codes)

    def sigma(self, codes: Sequence[str], clinician: Sequence[bool],
              calibrated_mm: np.ndarray | None = None) -> np.ndarray:
        """σ per landmark: the observer's for a clinician's point, else the calibrated
        one (when given) or the prior."""
        predicted = self.predicted(codes) if calibrated_mm is None else calibrated_mm
        return np.where(np.asarray(clinician, bool), self.observer(codes), predicted)


def calibrate(prior_mm: np.ndarray, predicted: Sequence[np.ndarray],
              kept: Sequence[np.ndarray], spacing_mm: Sequence[float]) -> np.ndarray:
    """σ per landmark of a run's predictions from reviewed images: each image's predicted
    (N, 2) and kept (N, 2) points in pixels and its mm per pixel; NaN where a point is
    missing. The mean square error per axis is pooled with ``prior_mm`` weighted as
    ``PRIOR_WEIGHT`` images."""
    prior = np.asarray(prior_mm, float)
    if not predicted:
        return prior
    sq = np.stack([((np.asarray(p) - np.asarray(k)) * s) ** 2
                   for p, k, s in zip(predicted, kept, spacing_mm)])   # (images, N, 2)
    per_axis = 0.5 * (sq[..., 0] + sq[..., 1])     # (images, N); NaN where a point is missing
    n = np.sum(np.isfinite(per_axis), axis=0)
    total = np.nansum(per_axis, axis=0)
    return np.sqrt((total + PRIOR_WEIGHT * prior ** 2) / (n + PRIOR_WEIGHT))


def shipped_model_path() -> Path:
    return Path(__file__).resolve().parents[2] / "resources" / "point_error" / "isbi2015.json"


def load_model(path: Path | None = None) -> PointErrorModel:
    """The σ tables of a file written by ``benchmarks/point_error_isbi.py``."""
    path = path or shipped_model_path()
    try:
        data = read_json(path)
    except JsonReadError as exc:
        raise AnalysisError(f"cannot read point error file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise AnalysisError(f"{path}: expected a JSON object")
    tables = []
    for key in ("observer_sigma_mm", "predicted_sigma_mm"):
        table = data.get(key)
        if not isinstance(table, dict) or not table:
            raise AnalysisError(f"{path}: '{key}' must map landmark codes to σ in mm")
        for code, value in table.items():
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not math.isfinite(value) or not 0 < value <= MAX_SIGMA_MM):
                raise AnalysisError(f"{path}: {key} '{code}' must be a σ in mm in "
                                    f"(0, {MAX_SIGMA_MM:g}], got {value!r}")
        tables.append({str(c): float(v) for c, v in table.items()})
    return PointErrorModel(*tables)


def _lookup(table: dict[str, float], codes: Sequence[str]) -> np.ndarray:
    median = float(np.median(list(table.values())))
    folded = {c.casefold(): v for c, v in table.items()}
    return np.array([table.get(c, folded.get(c.casefold(), median)) for c in codes])
