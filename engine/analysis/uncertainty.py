"""How sure a measurement's class is, given how far off each landmark may be.

Each landmark a measurement uses is moved by independent Gaussian errors (σ per axis, its
own: :mod:`engine.analysis.point_error` says where σ comes from), ``SAMPLES`` times; the
measurement on every sampled set gives the value's 90 % interval and the share of
samples whose class differs from the measured value's class. A class is flagged
borderline when that probability reaches ``FLAG_PROBABILITY``. The random draws are
seeded, so the same points always give the same interval and flag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from engine.analysis.bound import BoundAnalysis
    from engine.analysis.model import Measurement

SAMPLES = 400
# Flagged when the class is nearly as likely to be another as this one. Chosen on the ISBI
# training split (benchmarks/analysis_isbi.py): the lowest of 0.25, 0.3, …, 0.5 at which
# the doctors' mean points, with a clinician's σ, get at most 1.5 flags per image (the
# senior and the junior doctor's classes differ from their mean's in 0.8-0.9 of the 8 ISBI
# measurements per image).
FLAG_PROBABILITY = 0.45
INTERVAL = (5.0, 95.0)   # percentiles: a 90 % interval
_SEED = 20150


def value_spread(bound: BoundAnalysis, pts: np.ndarray, values: dict[str, np.ndarray],
                 sigma_px: np.ndarray, spacing_mm: float | None
                 ) -> dict[str, tuple[float, float, float]]:
    """Per computable reported measurement: (interval low, high, P(other class)), in the
    result's unit (lengths in mm with a spacing); ``values``: the measurements of ``pts``
    (``bound.evaluate(pts)``)."""
    rng = np.random.default_rng(_SEED)
    noise = rng.standard_normal((SAMPLES,) + pts.shape) * sigma_px[None, :, None]
    samples = bound.evaluate(pts[None] + noise)
    out = {}
    for m in bound.computable:
        value, drawn = float(values[m.id]), samples[m.id]
        if m.quantity == "angle":   # a signed angle may wrap at ±180°: keep draws near it
            drawn = value + (drawn - value + 180.0) % 360.0 - 180.0
        if m.quantity == "length" and spacing_mm:
            value, drawn = value * spacing_mm, drawn * spacing_mm
        if not np.isfinite(value):
            out[m.id] = (float("nan"), float("nan"), float("nan"))
            continue
        lo, hi = np.percentile(drawn, INTERVAL)
        out[m.id] = (float(lo), float(hi), _p_other(m, value, drawn))
    return out


def _p_other(m: Measurement, value: float, drawn: np.ndarray) -> float:
    """The share of ``drawn`` values in another class than ``value`` (0 unclassified)."""
    if not m.classes:
        return 0.0
    index = np.full(drawn.shape, -1)
    for k in reversed(range(len(m.classes))):   # the first class that holds wins
        c = m.classes[k]
        holds = np.ones(drawn.shape, bool)
        if c.min is not None:
            holds &= drawn >= c.min
        if c.max is not None:
            holds &= drawn <= c.max
        index[holds] = k
    here = m.classify(value)
    here_k = -1 if here is None else m.classes.index(here)
    return float(np.mean(index != here_k))
