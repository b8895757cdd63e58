"""Mapping between original-image pixels and the square working grid.

Images are resized (per axis, aspect not kept) to ``size`` × ``size``, or to a
(width, height) grid when ``size`` is a pair. Pixel
centres map exactly: ``g = (p + 0.5) * size / extent - 0.5`` and back, so a
round trip is the identity up to float rounding.
"""

from __future__ import annotations

import numpy as np


def to_grid(points: np.ndarray, width: int, height: int,
            size: int | tuple[int, int]) -> np.ndarray:
    """(…, 2) x, y in original pixels → working-grid pixels."""
    pts = np.asarray(points, dtype=np.float64)
    scale = np.broadcast_to(np.asarray(size, dtype=np.float64), (2,)) / [width, height]
    return (pts + 0.5) * scale - 0.5


def from_grid(points: np.ndarray, width: int, height: int,
              size: int | tuple[int, int]) -> np.ndarray:
    """(…, 2) x, y in working-grid pixels → original pixels."""
    pts = np.asarray(points, dtype=np.float64)
    scale = np.array([width, height]) / np.broadcast_to(np.asarray(size, dtype=np.float64), (2,))
    return (pts + 0.5) * scale - 0.5
