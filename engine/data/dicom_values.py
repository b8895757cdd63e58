"""DICOM pixels in the file's own units for the viewer, with every window the file names.

Training reads DICOM through :func:`engine.data.dicom.read_dicom` (windowed to [0, 1]); a
viewer windows itself, so it needs the modality values and the file's presets instead.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.data.dicom import (
    check_shape,
    dataset_and_frame,
    is_sequence,
    spacing_from_dataset,
    to_grey,
)
from engine.data.spacing import Spacing

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays with == is ambiguous
class DicomValues:
    """The first frame in the file's own units, for a viewer that does its own windowing.

    ``values`` is float32 ``(H, W)``: for monochrome images after the modality LUT
    (rescale slope/intercept) and before any VOI; colour images as the grey of
    :func:`read_dicom` scaled to 0..255. ``windows`` are ``(centre, width, name)``
    in the order :func:`read_dicom` prefers them (VOI LUT items, then every
    WindowCenter/WindowWidth pair), named by the file's explanation or else
    "File window 1", ...; colour images have none. ``monochrome1``: high values
    mean dark. ``unit`` is ``"HU"`` for Hounsfield units, else ``""``.
    """

    values: np.ndarray
    windows: tuple[tuple[float, float, str], ...]
    monochrome1: bool
    unit: str
    spacing: Spacing | None


def read_dicom_values(path: str | os.PathLike[str]) -> DicomValues:
    """Read the first frame of a DICOM image unwindowed (see :class:`DicomValues`)."""
    path = Path(path)
    ds, arr = dataset_and_frame(path)
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    colour = photometric == "PALETTE COLOR" or (arr.ndim == 3 and arr.shape[-1] == 3)
    if colour:
        values = np.asarray(to_grey(path, ds, arr) * 255.0, dtype=np.float32)
        windows: tuple[tuple[float, float, str], ...] = ()
    else:
        try:
            from pydicom.pixels import apply_modality_lut  # pydicom >= 3
        except ImportError:
            from pydicom.pixel_data_handlers.util import apply_modality_lut

        mono = arr.reshape(arr.shape[:2]) if arr.ndim == 3 else arr
        values = np.asarray(apply_modality_lut(mono, ds), dtype=np.float32)
        windows = (*_voi_lut_windows(ds), *_all_windows(ds))
    check_shape(path, ds, values)
    return DicomValues(
        values=np.ascontiguousarray(values),
        windows=windows,
        monochrome1=photometric == "MONOCHROME1",
        unit=_unit(ds),
        spacing=spacing_from_dataset(ds),
    )


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if is_sequence(value) else [value]


def _all_windows(ds: Dataset) -> list[tuple[float, float, str]]:
    centres, widths = _as_list(ds.get("WindowCenter")), _as_list(ds.get("WindowWidth"))
    explanations = _as_list(ds.get("WindowCenterWidthExplanation"))
    windows = []
    for i, (centre, width) in enumerate(zip(centres, widths)):
        try:
            c, w = float(centre), float(width)
        except (TypeError, ValueError):
            log.warning("ignoring unreadable window %r/%r", centre, width)
            continue
        if not (math.isfinite(c) and math.isfinite(w) and w > 0):
            log.warning("ignoring invalid window centre %r width %r", c, w)
            continue
        explanation = str(explanations[i]).strip() if i < len(explanations) else ""
        windows.append((c, w, explanation or f"File window {i + 1}"))
    return windows


def _voi_lut_windows(ds: Dataset) -> list[tuple[float, float, str]]:
    # A viewer windows linearly, so each VOI LUT is approximated by the linear
    # window spanning the LUT's input range; exact for the usual linear ramp,
    # only close for curved (e.g. sigmoid-shaped) LUTs.
    windows = []
    for item in ds.get("VOILUTSequence") or []:
        if "LUTDescriptor" not in item or "LUTData" not in item:
            continue
        entries, first = int(item.LUTDescriptor[0]) or 65536, int(item.LUTDescriptor[1])
        name = str(item.get("LUTExplanation", "") or "").strip() or "VOI LUT (linear approx.)"
        windows.append((first + (entries - 1) / 2.0, float(entries), name))
    return windows


def _unit(ds: Dataset) -> str:
    rescale_type = str(ds.get("RescaleType", "") or "").strip().upper()
    # CT images omit RescaleType: for them the rescaled values are HU by definition.
    if rescale_type == "HU" or (not rescale_type and str(ds.get("Modality", "")) == "CT"):
        return "HU"
    return ""
