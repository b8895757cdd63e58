"""Pixel spacing (mm per pixel) and where it came from."""

from __future__ import annotations

from dataclasses import dataclass


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
        if not (self.row_mm > 0 and self.col_mm > 0):
            raise ValueError(f"pixel spacing must be positive, got {self.row_mm}, {self.col_mm}")
