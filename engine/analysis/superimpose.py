"""Two radiographs of one patient on one drawing: the second's points moved onto the first's
by registering on a pair of landmarks (classically at S, oriented on S–N), and the change
of every measurement between them.

The registration keeps lengths: it rotates and translates, and rescales only by the two
images' pixel sizes, so a point's millimetres are the same on both drawings. A growth or
a treatment changes the distance S–N itself; the second S–N is laid along the first,
from S, and not stretched onto it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.analysis.model import MeasurementResult
from engine.errors import CC2DError


class SuperimpositionError(CC2DError):
    """The two landmark sets cannot be registered on the landmarks asked for."""


@dataclass(frozen=True)
class Superimposition:
    """``x_first = scale · R(angle) · (x_second − origin_second) + origin_first``, in the
    first image's pixels; ``angle`` in radians, counter-clockwise in x right, y down
    coordinates means clockwise on screen."""

    origin_first: tuple[float, float]
    origin_second: tuple[float, float]
    angle: float
    scale: float

    def apply(self, points: np.ndarray) -> np.ndarray:
        """``points`` (N, 2) of the second image in the first image's pixels (NaN stays)."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        rotation = np.array([[c, -s], [s, c]])
        moved = (np.asarray(points, dtype=float) - self.origin_second) @ rotation.T
        return moved * self.scale + np.asarray(self.origin_first)


def superimpose(first: np.ndarray, second: np.ndarray, on: tuple[int, int], *,
                mm_per_px_first: float | None = None,
                mm_per_px_second: float | None = None) -> Superimposition:
    """Register ``second`` onto ``first`` (both (N, 2) pixels, same landmark order) at
    landmark ``on[0]``, its direction towards ``on[1]`` laid along the first's. Pixel
    sizes must both be known or both unknown (then pixels are taken as equal)."""
    i, j = on
    n = min(len(first), len(second))
    if not (0 <= i < n and 0 <= j < n) or i == j:
        raise SuperimpositionError(f"register on two different landmarks of the {n} given, "
                                   f"not {i + 1} and {j + 1}")
    if (mm_per_px_first is None) != (mm_per_px_second is None):
        raise SuperimpositionError("one image has a pixel size and the other not: calibrate "
                                   "the other one first, or the drawings would not match")
    a0, a1, b0, b1 = (np.asarray(p, dtype=float) for p in (first[i], first[j],
                                                           second[i], second[j]))
    if not np.all(np.isfinite([a0, a1, b0, b1])):
        raise SuperimpositionError(
            f"landmarks {i + 1} and {j + 1} must be placed on both images to register on them")
    da, db = a1 - a0, b1 - b0
    if np.hypot(*da) == 0 or np.hypot(*db) == 0:
        raise SuperimpositionError(f"landmarks {i + 1} and {j + 1} lie on one spot: they "
                                   "give no direction to register on")
    angle = math.atan2(da[1], da[0]) - math.atan2(db[1], db[0])
    scale = 1.0 if mm_per_px_first is None else mm_per_px_second / mm_per_px_first
    return Superimposition((float(a0[0]), float(a0[1])), (float(b0[0]), float(b0[1])),
                           angle, scale)


@dataclass(frozen=True)
class MeasurementChange:
    """One measurement on both images; ``change`` = second − first (None when either is
    missing or their units differ, e.g. mm on one and px on the other)."""

    id: str
    name: str
    first: float | None
    second: float | None
    change: float | None
    unit: str             # the first's unit (the second's when the first has none)
    second_unit: str


def measurement_changes(first: Sequence[MeasurementResult],
                        second: Sequence[MeasurementResult]) -> list[MeasurementChange]:
    """Every measurement of either image, in the first's order, with its change."""
    before, after = {r.id: r for r in first}, {r.id: r for r in second}
    order = [r.id for r in first] + [r.id for r in second if r.id not in before]
    changes = []
    for mid in order:
        a, b = before.get(mid), after.get(mid)
        ref = a if a is not None else b
        comparable = (a is not None and b is not None and a.unit == b.unit
                      and math.isfinite(a.value) and math.isfinite(b.value))
        changes.append(MeasurementChange(
            mid, ref.name, None if a is None else a.value, None if b is None else b.value,
            b.value - a.value if comparable else None, ref.unit,
            b.unit if b is not None else ref.unit))
    return changes
