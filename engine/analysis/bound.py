"""An analysis bound to a schema's landmark codes: which measurements it can compute,
which codes the others miss, and the measurements on one image's points.

Derived points (midpoints) are appended to the point array as extra columns, so every
primitive works on indices and on stacks of sampled point sets alike
(:mod:`engine.analysis.uncertainty`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.analysis import geometry
from engine.analysis.analysis import Analysis
from engine.analysis.model import AnalysisError, Measurement, MeasurementResult, Segment
from engine.analysis.uncertainty import FLAG_PROBABILITY, value_spread

# Without a spacing, σ in mm is turned into pixels at this resolution, a usual detector
# pitch of cephalostats (the ISBI originals' 0.1 mm); results then say so.
ASSUMED_MM_PER_PX = 0.1
UNITS = {"angle": "°"}


@dataclass(frozen=True)
class BoundAnalysis:
    """``analysis`` on landmarks with ``codes``; ``index``: code or derived point →
    column of the extended point array; ``missing``: measurement id → codes the schema
    lacks (only for measurements it cannot compute)."""

    analysis: Analysis
    codes: tuple[str, ...]
    index: dict[str, int]
    missing: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, analysis: Analysis, codes: Sequence[str]) -> BoundAnalysis:
        index = _match_codes(analysis, list(codes))
        for k, name in enumerate(analysis.derived):
            index[name] = len(codes) + k
        missing = {}
        for m in analysis.measurements:
            lacking = tuple(c for c in analysis.needs(m) if c not in index)
            if lacking:
                missing[m.id] = lacking
        return cls(analysis, tuple(codes), index, missing)

    @property
    def computable(self) -> tuple[Measurement, ...]:
        """The reported measurements the schema has every point for."""
        return tuple(m for m in self.analysis.reported if m.id not in self.missing)

    @property
    def not_computable(self) -> tuple[tuple[Measurement, tuple[str, ...]], ...]:
        """The reported measurements it cannot compute, with the codes each misses."""
        return tuple((m, self.missing[m.id]) for m in self.analysis.reported
                     if m.id in self.missing)

    @property
    def missing_codes(self) -> set[str]:
        """Every code some reported measurement needs and the schema lacks."""
        return {c for _, cs in self.not_computable for c in cs}

    def uses(self, m: Measurement) -> tuple[int, ...]:
        """0-based landmark indices behind ``m`` (derived points resolved)."""
        derived = self.analysis.derived
        codes = [c for r in self.analysis.refs(m) for c in derived.get(r, (r,))]
        return tuple(sorted({self.index[c] for c in codes}))

    def extended(self, P: np.ndarray) -> np.ndarray:
        """``P`` (..., N, 2) with the derived points appended."""
        if not self.analysis.derived:
            return P
        mids = [0.5 * (P[..., self.index[a], :] + P[..., self.index[b], :])
                for a, b in self.analysis.derived.values()]
        return np.concatenate([P, np.stack(mids, axis=-2)], axis=-2)

    def evaluate(self, P: np.ndarray) -> dict[str, np.ndarray]:
        """Every computable measurement's value on a stack of point sets ``(..., N, 2)``;
        lengths in pixels, ratios as fractions (or per cent)."""
        X = self.extended(P)
        ix = self.index
        frame_codes = self.analysis.frame or ()
        # Signed measurements need the frame; without it they are among the missing ones.
        frame = tuple(ix[c] for c in frame_codes) if frame_codes and all(
            c in ix for c in frame_codes) else None
        values: dict[str, np.ndarray] = {}
        for m in self.analysis.measurements:
            if m.id in self.missing:
                continue
            p = [ix[c] for c in m.points]
            lines = [(ix[a], ix[b]) for a, b in m.lines]
            if m.kind == "angle":
                v = geometry.angle_at(X, *p)
            elif m.kind == "line_angle":
                v = geometry.line_angle(X, lines[0], lines[1], frame if m.signed else None)
            elif m.kind == "distance":
                along = (ix[m.sign_along[0]], ix[m.sign_along[1]]) if m.sign_along else None
                v = geometry.distance(X, p[0], p[1], along)
            elif m.kind == "projection":
                v = geometry.projection(X, p[0], p[1], lines[0])
            elif m.kind == "point_line":
                v = geometry.point_line(X, p[0], lines[0], frame)
            elif m.kind == "ratio":
                v = geometry.ratio(X, lines[0], lines[1]) * (100.0 if m.percent else 1.0)
            else:
                v = sum(sign * values[t] for t, sign in m.terms)
            values[m.id] = v
        return values

    def segments(self, m: Measurement, points: np.ndarray) -> tuple[Segment, ...]:
        """What to draw for ``m``: its lines as pixel segments."""
        if m.kind == "sum":
            return tuple(s for t, _ in m.terms
                         for s in self.segments(self.analysis.by_id(t), points))
        X = self.extended(points)
        at = {r: _xy(X[i]) for r, i in self.index.items()}
        if m.kind == "angle":
            a, vertex, b = m.points
            return ((at[vertex], at[a]), (at[vertex], at[b]))
        if m.kind == "distance":
            return ((at[m.points[0]], at[m.points[1]]),)
        if m.kind in ("projection", "point_line"):
            c, d = (at[r] for r in m.lines[0])
            # the line, and each point's perpendicular onto it
            return ((c, d),) + tuple((at[r], _foot(at[r], c, d)) for r in m.points)
        return tuple((at[a], at[b]) for a, b in m.lines)

    def measure(self, points: np.ndarray, spacing_mm: float | None,
                sigma_mm: np.ndarray | float = 2.0) -> list[MeasurementResult]:
        """The computable reported measurements on one image.

        ``points``: (N, 2) pixels (NaN = missing). ``spacing_mm``: mm per pixel, or None
        (lengths then stay in pixels, unclassified). ``sigma_mm``: each landmark's
        expected error along each axis (one value for all, or N values).
        """
        pts = np.asarray(points, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) != len(self.codes):
            raise AnalysisError(
                f"analysis '{self.analysis.id}' is bound to {len(self.codes)} landmarks; "
                f"got points of shape {pts.shape}")
        if spacing_mm is not None and not spacing_mm > 0:
            raise AnalysisError(f"pixel spacing must be positive, got {spacing_mm}")
        sigma = np.broadcast_to(np.asarray(sigma_mm, dtype=float), (len(pts),))
        sigma_px = sigma / (spacing_mm or ASSUMED_MM_PER_PX)
        values = self.evaluate(pts)
        spreads = value_spread(self, pts, values, sigma_px, spacing_mm)
        return [self._result(m, float(values[m.id]), spreads[m.id], pts, spacing_mm)
                for m in self.computable]

    def _result(self, m: Measurement, value: float, spread: tuple[float, float, float],
                pts: np.ndarray, spacing_mm: float | None) -> MeasurementResult:
        lo, hi, p_other = spread
        notes = []
        unit = "%" if m.percent else UNITS.get(m.quantity, "mm" if spacing_mm else "px")
        if m.quantity == "ratio" and not m.percent:
            unit = ""
        if m.quantity == "length" and spacing_mm:
            value = value * spacing_mm
        if spacing_mm is None:
            notes.append(f"no pixel spacing: σ taken at an assumed {ASSUMED_MM_PER_PX} mm/px")
        classified = bool(m.classes) and np.isfinite(value)
        if m.quantity == "length" and spacing_mm is None and m.classes:
            classified = False
            notes.append("no pixel spacing: length in pixels, not classified")
        if not np.isfinite(value):
            notes.append("a landmark it uses is missing")
        cls = m.classify(value) if classified else None
        deviation = None
        if m.norm is not None and np.isfinite(value) and (m.quantity != "length" or spacing_mm):
            deviation = (value - m.norm.mean) / m.norm.sd
        return MeasurementResult(
            id=m.id, name=m.name, value=value, unit=unit,
            class_name=cls.name if cls else None, class_meaning=cls.meaning if cls else None,
            normal_range=m.normal_range,
            borderline=bool(classified and p_other >= FLAG_PROBABILITY),
            uses=self.uses(m), lines=self.segments(m, pts), interval=(lo, hi),
            p_other_class=p_other if classified else float("nan"), norm=m.norm,
            deviation_sd=deviation, description=m.description, note="; ".join(notes))


def _match_codes(analysis: Analysis, codes: list[str]) -> dict[str, int]:
    """Each code the analysis names → its index among ``codes``: exact, else the one code
    that equals it ignoring case."""
    wanted = {c for m in analysis.measurements for c in analysis.needs(m)}
    folded: dict[str, list[int]] = {}
    for i, c in enumerate(codes):
        folded.setdefault(c.casefold(), []).append(i)
    index = {}
    for c in wanted:
        if c in codes:
            index[c] = codes.index(c)
        elif len(folded.get(c.casefold(), [])) == 1:
            index[c] = folded[c.casefold()][0]
    return index


def _foot(p: tuple[float, float], c: tuple[float, float], d: tuple[float, float]
          ) -> tuple[float, float]:
    """The foot of the perpendicular from ``p`` onto the line c–d."""
    dx, dy = d[0] - c[0], d[1] - c[1]
    t = ((p[0] - c[0]) * dx + (p[1] - c[1]) * dy) / ((dx * dx + dy * dy) or 1.0)
    return c[0] + t * dx, c[1] + t * dy


def _xy(p: np.ndarray) -> tuple[float, float]:
    return float(p[0]), float(p[1])
