"""A synthetic lateral cephalogram (19 ISBI landmarks, face looking right, y down) built
from the angles and lengths each measurement should read, so expected values are known
by construction rather than taken from the code under test."""

from __future__ import annotations

import math

import numpy as np

SPACING = 0.1   # mm per pixel of the synthetic image


def at(origin: tuple[float, float], length: float, theta: float) -> tuple[float, float]:
    """``length`` px from ``origin`` at ``theta`` degrees, measured from the face's forward
    direction (+x), clockwise on screen (towards +y, down)."""
    t = math.radians(theta)
    return origin[0] + length * math.cos(t), origin[1] + length * math.sin(t)


def direction(p: tuple[float, float], q: tuple[float, float]) -> float:
    """Direction of p→q in the same convention."""
    return math.degrees(math.atan2(q[1] - p[1], q[0] - p[0]))


def skull(sna: float = 80.0, snb: float = 76.0, ab_mp: float = 75.0, pp: float = 2.0,
          facial: float = 87.0, fhi: float = 0.7, fma: float = 29.0,
          mw_mm: float = 3.0, overbite_mm: float = 0.0) -> np.ndarray:
    """(19, 2) points with SNA = sna, SNB = snb, A-B line to Me→Go = ab_mp, palatal plane
    tipped ``pp`` below FH in front, facial angle ``facial``, S-Go / N-Me = fhi,
    S-N to Go-Gn = fma and the upper incisal tip ``mw_mm`` ahead of the lower one along
    FH (and ``overbite_mm`` above it)."""
    n = (700.0, 300.0)
    a = at(n, 500, 180 - sna)               # N→S points back (180°): ∠SNA = sna
    b = at(n, 800, 180 - snb)
    me = at(n, 1150, 95)
    go = at(me, 900, direction(b, a) - ab_mp)
    gn = at(go, 560, fma)                   # S→N is 0°, so Go→Gn at fma
    # S on the line through N at 0° (angles at N and to S-N do not depend on where),
    # where |S-Go| = fhi · |N-Me|: in front of Go if that is still behind N, else behind.
    r = fhi * math.dist(n, me)
    half = math.sqrt(r * r - (n[1] - go[1]) ** 2)
    s = (go[0] + half if go[0] + half < n[0] - 100 else go[0] - half, n[1])
    po, orb = (40.0, 420.0), (600.0, 420.0)  # FH at 0°
    pog = at(n, 1100, 180 - facial)          # Or→Po points back (180°)
    pns = (250.0, 600.0)
    ans = at(pns, 450, pp)
    lit = (640.0, 900.0)
    uit = (lit[0] + mw_mm / SPACING, lit[1] - overbite_mm / SPACING)
    points = [s, n, orb, po, a, b, pog, me, gn, go, lit, uit,
              (760.0, 860.0), (740.0, 960.0), (780.0, 700.0), (720.0, 1250.0),
              pns, ans, (150.0, 520.0)]
    return np.array(points)


def mirrored(points: np.ndarray) -> np.ndarray:
    """The same skull on a flipped image (face looking left)."""
    out = points.copy()
    out[:, 0] = 1000.0 - out[:, 0]
    return out


def isbi_codes() -> list[str]:
    """The ISBI schema's landmark codes, in its order (the skull's)."""
    from engine.project import default_schema
    schema = default_schema()
    return [schema.label(i) for i in range(len(schema))]


def isbi_analysis():
    """The shipped ISBI 2015 analysis bound to the skull's 19 landmarks."""
    from engine.analysis import load_analysis
    return load_analysis("isbi2015").bind(isbi_codes())
