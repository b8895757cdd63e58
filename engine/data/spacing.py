"""Pixel spacing (mm per pixel) and where it came from."""

from __future__ import annotations

import math
from dataclasses import dataclass

# A pixel size a radiograph can have, in mm (film scanners ~0.05, detectors 0.1-0.2):
# 1e308 or 1e-300 is a damaged tag, not a spacing, and would turn every length to inf or 0.
MIN_MM, MAX_MM = 1e-4, 10.0


def plausible_mm(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and MIN_MM <= value <= MAX_MM


@dataclass(frozen=True)
class Spacing:
    """Physical size of one pixel.

    ``row_mm`` is the distance between rows (y), ``col_mm`` between columns (x),
    the DICOM PixelSpacing order. ``source`` records the origin, e.g.
    ``"PixelSpacing"``, ``"ImagerPixelSpacing"``, ``"user"`` or ``"cli"``.
    """

    row_mm: float
    col_mm: float
    source: str

    def __post_init__(self) -> None:
        if not (plausible_mm(self.row_mm) and plausible_mm(self.col_mm)):
            raise ValueError(f"pixel spacing must be between {MIN_MM:g} and {MAX_MM:g} mm, "
                             f"got {self.row_mm}, {self.col_mm}")
