"""Mapping between original-image pixels and the square working grid.

Images are resized (per axis, aspect not kept) to ``size`` × ``size``. Pixel
centres map exactly: ``g = (p + 0.5) * size / extent - 0.5`` and back, so a
round trip is the identity up to float rounding.
"""

from __future__ import annotations

import numpy as np


def to_grid(points: np.ndarray, width: int, height: int, size: int) -> np.ndarray:
    """(…, 2) x, y in original pixels → working-grid pixels."""
    pts = np.asarray(points, dtype=np.float64)
    scale = np.array([size / width, size / height])
    return (pts + 0.5) * scale - 0.5


def from_grid(points: np.ndarray, width: int, height: int, size: int) -> np.ndarray:
    """(…, 2) x, y in working-grid pixels → original pixels."""
    pts = np.asarray(points, dtype=np.float64)
    scale = np.array([width / size, height / size])
    return (pts + 0.5) * scale - 0.5
