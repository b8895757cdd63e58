"""The measurement primitives, vectorised over stacks of landmark sets.

Every function takes ``P`` of shape ``(..., N, 2)`` (pixels, x right, y down) and 0-based
landmark indices, and returns one value per set (shape ``(...)``), so the base points
and all their perturbations (:mod:`engine.analysis.analysis`) are measured in one call.
"""

from __future__ import annotations

import numpy as np


def _vector(P: np.ndarray, start: int, end: int) -> np.ndarray:
    return P[..., end, :] - P[..., start, :]


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def _dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u[..., 0] * v[..., 0] + u[..., 1] * v[..., 1]


def _unsigned(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    # atan2(|u×v|, u·v) rather than acos: exact near 0° and 180°.
    return np.degrees(np.arctan2(np.abs(_cross(u, v)), _dot(u, v)))


def angle_at(P: np.ndarray, a: int, vertex: int, b: int) -> np.ndarray:
    """∠a-vertex-b in degrees, 0–180."""
    return _unsigned(_vector(P, vertex, a), _vector(P, vertex, b))


def handedness(P: np.ndarray, frame: tuple[int, int, int]) -> np.ndarray:
    """+1 where the frame triangle turns like the reference profile, −1 where mirrored.

    With ``frame`` = (S, N, Me) the triangle turns clockwise on screen for a face looking
    right (y down), anticlockwise for one looking left; rotation and translation keep it.
    """
    s, n, m = frame
    return np.where(_cross(_vector(P, s, n), _vector(P, s, m)) < 0, -1.0, 1.0)


def line_angle(P: np.ndarray, line1: tuple[int, int], line2: tuple[int, int],
               frame: tuple[int, int, int] | None = None) -> np.ndarray:
    """Angle between the directed lines ``line1`` and ``line2`` in degrees, 0–180; with a
    ``frame``, signed: positive when ``line2`` is turned from ``line1`` the way the frame
    turns (clockwise on screen for a face looking right), negative otherwise."""
    u, v = _vector(P, *line1), _vector(P, *line2)
    angle = _unsigned(u, v)
    if frame is None:
        return angle
    return angle * np.where(_cross(u, v) < 0, -1.0, 1.0) * handedness(P, frame)


def distance(P: np.ndarray, start: int, end: int,
             sign_along: tuple[int, int] | None = None) -> np.ndarray:
    """|start–end| in pixels; with ``sign_along`` = (c, d), negative where end − start
    points against the direction c → d."""
    d = _vector(P, start, end)
    length = np.hypot(d[..., 0], d[..., 1])
    if sign_along is None:
        return length
    return length * np.where(_dot(d, _vector(P, *sign_along)) < 0, -1.0, 1.0)


def ratio(P: np.ndarray, numerator: tuple[int, int], denominator: tuple[int, int]) -> np.ndarray:
    """|numerator| / |denominator| of two point pairs."""
    return distance(P, *numerator) / distance(P, *denominator)


def projection(P: np.ndarray, start: int, end: int, line: tuple[int, int]) -> np.ndarray:
    """The length of start → end projected on the direction of ``line``, in pixels:
    negative where it points against the line (the Wits appraisal's AO-BO)."""
    d = _vector(P, *line)
    return _dot(_vector(P, start, end), d) / np.hypot(d[..., 0], d[..., 1])


def point_line(P: np.ndarray, point: int, line: tuple[int, int],
               frame: tuple[int, int, int] | None) -> np.ndarray:
    """The distance of ``point`` from the line in pixels, signed for a face looking right
    (y down): positive in front of a line drawn downwards, above one drawn forwards
    (the side the line's direction turns to anticlockwise on screen). ``frame`` turns
    the sign for a face looking left."""
    c, _ = line
    d = _vector(P, *line)
    side = -_cross(d, _vector(P, c, point)) / np.hypot(d[..., 0], d[..., 1])
    return side if frame is None else side * handedness(P, frame)
