"""An analysis (a set of measurements from one file) measured on one image's landmarks.

Borderline classes: each landmark a measurement uses is moved by ±σ along x and along y
(σ: its expected error in pixels); half the spread of the two moves along an axis is the
value's change per σ on that axis. Landmark errors are independent, so the value's
spread is the root sum of squares of those changes over the landmarks (first-order
error propagation); the class is borderline when value ± that spread reaches another
class. (Adding the changes instead, all landmarks erring the worst way at once, flagged
82 % of the ISBI test1 classes; see ADR 0009.) The base points and all moves are
measured in one vectorised batch (under 10 ms per image: ``test_speed.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.analysis import geometry
from engine.analysis.model import AnalysisError, Measurement, MeasurementResult, Segment

# Without a spacing, σ in mm is turned into pixels at this resolution, a usual detector
# pitch of cephalostats (the ISBI originals' 0.1 mm); results then say so.
ASSUMED_MM_PER_PX = 0.1
UNITS = {"angle": "°", "ratio": ""}


@dataclass(frozen=True)
class Analysis:
    """Measurements defined over the landmarks of a schema (``n_landmarks`` of them).

    ``frame`` (0-based S, N, Me-like triple) orients signed angles so that a face looking
    left measures like one looking right.
    """

    id: str
    name: str
    n_landmarks: int
    measurements: tuple[Measurement, ...]
    frame: tuple[int, int, int] | None = None
    schema: str | None = None
    description: str = ""
    source: str = ""

    def by_id(self, measurement_id: str) -> Measurement:
        for m in self.measurements:
            if m.id == measurement_id:
                return m
        raise KeyError(measurement_id)

    @property
    def reported(self) -> tuple[Measurement, ...]:
        return tuple(m for m in self.measurements if not m.hidden)

    def uses(self, m: Measurement) -> tuple[int, ...]:
        """0-based landmarks behind ``m`` (through its terms for a sum)."""
        # The frame and a sign_along line only orient the value; they are not drawn.
        if m.kind != "sum":
            return tuple(sorted(set(m.points) | {i for line in m.lines for i in line}))
        return tuple(sorted({i for t, _ in m.terms for i in self.uses(self.by_id(t))}))

    def segments(self, m: Measurement, points: np.ndarray) -> tuple[Segment, ...]:
        """What to draw for ``m``: its lines as pixel segments."""
        if m.kind == "sum":
            return tuple(s for t, _ in m.terms for s in self.segments(self.by_id(t), points))
        if m.kind == "angle":
            a, vertex, b = m.points
            pairs = ((vertex, a), (vertex, b))
        elif m.kind == "distance":
            pairs = (tuple(m.points),)
        else:
            pairs = m.lines
        return tuple((_xy(points[i]), _xy(points[j])) for i, j in pairs)

    def evaluate(self, P: np.ndarray) -> dict[str, np.ndarray]:
        """Every measurement's value on a stack of point sets ``(..., N, 2)``; lengths in
        pixels."""
        values: dict[str, np.ndarray] = {}
        for m in self.measurements:
            if m.kind == "angle":
                v = geometry.angle_at(P, *m.points)
            elif m.kind == "line_angle":
                v = geometry.line_angle(P, m.lines[0], m.lines[1],
                                        self.frame if m.signed else None)
            elif m.kind == "distance":
                v = geometry.distance(P, m.points[0], m.points[1], m.sign_along)
            elif m.kind == "ratio":
                v = geometry.ratio(P, m.lines[0], m.lines[1])
            else:
                v = sum(sign * values[t] for t, sign in m.terms)
            values[m.id] = v
        return values

    def measure(self, points: np.ndarray, spacing_mm: float | None,
                sigma_mm: np.ndarray | float = 2.0) -> list[MeasurementResult]:
        """The reported measurements on one image.

        ``points``: (N, 2) pixels (NaN = missing). ``spacing_mm``: mm per pixel, or None
        (lengths then stay in pixels, unclassified). ``sigma_mm``: each landmark's
        expected error (one value for all, or N values) for the borderline check.
        """
        pts = np.asarray(points, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < self.n_landmarks:
            raise AnalysisError(
                f"analysis '{self.id}' needs {self.n_landmarks} landmarks as an (N, 2) "
                f"array; got shape {pts.shape}")
        if spacing_mm is not None and not spacing_mm > 0:
            raise AnalysisError(f"pixel spacing must be positive, got {spacing_mm}")
        sigma = np.broadcast_to(np.asarray(sigma_mm, dtype=float), (len(pts),))
        sigma_px = sigma / (spacing_mm or ASSUMED_MM_PER_PX)
        used = sorted({i for m in self.reported for i in self.uses(m)})
        batch = _moved(pts, used, sigma_px)
        values = self.evaluate(batch)
        row = {i: 1 + 4 * k for k, i in enumerate(used)}
        return [self._result(m, values[m.id], row, pts, spacing_mm) for m in self.reported]

    def _result(self, m: Measurement, v: np.ndarray, row: dict[int, int], pts: np.ndarray,
                spacing_mm: float | None) -> MeasurementResult:
        uses = self.uses(m)
        squares = 0.0
        for i in uses:
            dx, dy = v[row[i]] - v[row[i] + 1], v[row[i] + 2] - v[row[i] + 3]
            if m.quantity == "angle":   # a signed angle may wrap at ±180°
                dx, dy = (dx + 180) % 360 - 180, (dy + 180) % 360 - 180
            squares += 0.25 * float(dx * dx + dy * dy)
        bound = float(np.sqrt(squares))
        value = float(v[0])
        notes = []
        unit = UNITS.get(m.quantity, "mm" if spacing_mm else "px")
        if m.quantity == "length" and spacing_mm:
            value, bound = value * spacing_mm, bound * spacing_mm
        if spacing_mm is None:
            notes.append(f"no pixel spacing: σ taken at an assumed {ASSUMED_MM_PER_PX} mm/px")
        classified = bool(m.classes) and np.isfinite(value)
        if m.quantity == "length" and spacing_mm is None and m.classes:
            classified = False
            notes.append("no pixel spacing: length in pixels, not classified")
        if not np.isfinite(value):
            notes.append("a landmark it uses is missing")
        cls = m.classify(value) if classified else None
        borderline = classified and _crosses(m, value, bound)
        return MeasurementResult(
            id=m.id, name=m.name, value=value, unit=unit,
            class_name=cls.name if cls else None, class_meaning=cls.meaning if cls else None,
            normal_range=m.normal_range, borderline=bool(borderline), uses=uses,
            lines=self.segments(m, pts), error_bound=bound if np.isfinite(bound) else np.nan,
            note="; ".join(notes))


def _moved(pts: np.ndarray, used: list[int], sigma_px: np.ndarray) -> np.ndarray:
    """The points, then per used landmark four copies moved by +σ x, −σ x, +σ y, −σ y."""
    batch = np.repeat(pts[None], 1 + 4 * len(used), axis=0)
    for k, i in enumerate(used):
        s = sigma_px[i]
        for j, (axis, step) in enumerate(((0, s), (0, -s), (1, s), (1, -s))):
            batch[1 + 4 * k + j, i, axis] += step
    return batch


def _crosses(m: Measurement, value: float, bound: float) -> bool:
    """Whether some value within ``value ± bound`` has another class than ``value``."""
    here = m.classify(value)
    lo, hi = value - bound, value + bound
    probes = [lo, hi] + [b + e for b in m.bounds() if lo <= b <= hi
                         for e in (-1e-9, 0.0, 1e-9) if lo <= b + e <= hi]
    return any(m.classify(p) != here for p in probes)


def _xy(p: np.ndarray) -> tuple[float, float]:
    return float(p[0]), float(p[1])
