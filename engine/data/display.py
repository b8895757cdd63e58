"""Radiographs for the screen: values in the file's own units and window/level to 8 bit.

Training reads images through :func:`engine.data.images.load_image` (grey in [0, 1]);
a viewer needs the stored values instead, so that a window set on one 16-bit image or a
DICOM preset means the same on the next and the status bar shows the true pixel value.
"""

from __future__ import annotations

import numpy as np


def render_window(
    values: np.ndarray, centre: float, width: float, invert: bool = False
) -> np.ndarray:
    """Map ``values`` through a linear window to C-contiguous uint8 (0 below, 255 above)."""
    width = max(float(width), 1e-12)
    lo = float(centre) - width / 2.0
    scale = 255.0 / width
    out = (values.astype(np.float32, copy=False) - np.float32(lo)) * np.float32(scale)
    np.clip(out, 0.0, 255.0, out=out)
    if invert:
        np.subtract(255.0, out, out=out)
    return np.ascontiguousarray(np.rint(out).astype(np.uint8))
