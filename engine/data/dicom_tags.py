"""Checks of DICOM attribute values that the pixel decoding trusts.

A damaged or forged header (``NumberOfFrames`` = ``"ab"``, ``RescaleIntercept`` = NaN)
must be named as such, not surface as a bare ``ValueError`` or all-NaN pixels.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ImageReadError

if TYPE_CHECKING:
    from pydicom.dataset import Dataset


def int_tag(path: Path, ds: Dataset, keyword: str, default: int) -> int:
    """An integer attribute, ``default`` when absent; a value that is no integer names the tag."""
    value = ds.get(keyword)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ImageReadError(
            f"{path}: the DICOM tag {keyword} is {str(value)[:40]!r}, not a whole number; "
            "the file is damaged, re-export it"
        ) from None


def check_rescale(path: Path, ds: Dataset) -> None:
    """Refuse a RescaleSlope/RescaleIntercept that is not a finite number (slope not 0)."""
    # pydicom keeps an unparsable DS as text and NaN as NaN; either would turn every
    # pixel into NaN or garbage, so the tag is named instead.
    for keyword in ("RescaleSlope", "RescaleIntercept"):
        value = ds.get(keyword)
        if value is None or value == "":
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or (keyword == "RescaleSlope" and number == 0):
            raise ImageReadError(
                f"{path}: the DICOM tag {keyword} is {str(value)[:40]!r}, not a usable "
                "number; the file is damaged, re-export it"
            )
