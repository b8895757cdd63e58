"""DICOM reading: pixels as grey float32 in [0, 1] plus pixel spacing.

pydicom is imported inside the functions, never at module level: the GPU
benchmark machines have no pydicom, and PNG/JPEG loading must work there.
Both pydicom 2.4 and 3.x are supported; where their APIs differ the 3.x path
is tried first.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.data.dicom_tags import check_rescale, int_tag
from engine.data.spacing import Spacing, plausible_mm
from engine.errors import ImageReadError

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

log = logging.getLogger(__name__)

# ITU-R BT.601 luma, the same weights as OpenCV's BGR2GRAY and as the Y of
# YBR_FULL, so a colour DICOM and the same image as PNG give the same grey.
_LUMA = np.array([0.299, 0.587, 0.114])

# Which pip packages decode which compressed transfer syntaxes (by UID prefix).
_DECODER_HINTS = {
    "1.2.840.10008.1.2.4.5": "pylibjpeg pylibjpeg-libjpeg (or python-gdcm)",  # JPEG lossy/lossless
    "1.2.840.10008.1.2.4.7": "pylibjpeg pylibjpeg-libjpeg (or python-gdcm)",  # JPEG lossless
    "1.2.840.10008.1.2.4.8": "pylibjpeg pylibjpeg-libjpeg (or pyjpegls, python-gdcm)",  # JPEG-LS
    "1.2.840.10008.1.2.4.9": "pylibjpeg pylibjpeg-openjpeg (or python-gdcm)",  # JPEG 2000
    "1.2.840.10008.1.2.4.20": "pylibjpeg pylibjpeg-openjpeg",  # HTJ2K
    "1.2.840.10008.1.2.5": "pylibjpeg pylibjpeg-rle",  # RLE
}


def read_dicom_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Return ``(width, height)`` from the DICOM header, without reading pixel data."""
    path = Path(path)
    ds = _read_dataset(path, stop_before_pixels=True)
    rows, cols = int_tag(path, ds, "Rows", 0), int_tag(path, ds, "Columns", 0)
    if not rows or not cols:
        from engine.data.header import has_dicom_magic

        if not has_dicom_magic(path):
            # force=True parses almost any bytes into some dataset; without the
            # DICM marker and without image attributes it was never a DICOM.
            raise ImageReadError(
                f"{path} is not a DICOM file (no DICM marker at byte 128, no image attributes)"
            )
        raise ImageReadError(
            f"{path} is a DICOM file without an image (no Rows/Columns); "
            "it may be a report, presentation state or DICOMDIR"
        )
    return cols, rows


def read_dicom(path: str | os.PathLike[str]) -> tuple[np.ndarray, Spacing | None]:
    """Read the first frame of a DICOM image as grey float32 ``(H, W)`` in [0, 1].

    Monochrome: modality LUT (rescale slope/intercept), then the VOI LUT or the
    first window (centre/width) if present, otherwise min-max; MONOCHROME1 is
    inverted so that bright always means dense. Colour (RGB, YBR, palette) is
    converted to grey. Also returns the pixel spacing (see
    :func:`spacing_from_dataset`).
    """
    path = Path(path)
    ds, arr = dataset_and_frame(path)
    pixels = to_grey(path, ds, arr)
    check_shape(path, ds, pixels)
    return np.ascontiguousarray(pixels, dtype=np.float32), spacing_from_dataset(ds)


def spacing_from_dataset(ds: Dataset) -> Spacing | None:
    """Pixel spacing of a dataset, or ``None`` when it is not recorded.

    PixelSpacing (patient plane) is preferred over ImagerPixelSpacing (detector
    plane, not corrected for magnification); ``Spacing.source`` says which one
    was used so the user can judge distances measured with it.
    """
    candidates: list[tuple[str, Any]] = [
        ("PixelSpacing", ds.get("PixelSpacing")),
        ("ImagerPixelSpacing", ds.get("ImagerPixelSpacing")),
    ]
    # Enhanced multi-frame objects keep it in the shared functional groups.
    try:
        measures = ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
        candidates.insert(1, ("PixelSpacing", measures.get("PixelSpacing")))
    except (AttributeError, IndexError, KeyError):
        pass
    for source, value in candidates:
        if value is None or value == "":
            continue
        try:
            values = [float(v) for v in (value if is_sequence(value) else [value])]
        except (TypeError, ValueError):
            log.warning("ignoring unreadable %s %r", source, value)
            continue
        if len(values) == 1:  # VM 1 violates the standard but means square pixels
            values = values * 2
        if len(values) == 2 and all(plausible_mm(v) for v in values):
            return Spacing(row_mm=values[0], col_mm=values[1], source=source)
        log.warning("ignoring invalid %s %r", source, value)
    return None


def dataset_and_frame(path: Path) -> tuple[Dataset, np.ndarray]:
    ds = _read_dataset(path, stop_before_pixels=False)
    if "PixelData" not in ds:
        raise ImageReadError(
            f"{path} is a DICOM file without pixel data; "
            "it may be a report, presentation state or DICOMDIR"
        )
    check_rescale(path, ds)
    return ds, _first_frame(path, ds)


def check_shape(path: Path, ds: Dataset, pixels: np.ndarray) -> None:
    rows, cols = int_tag(path, ds, "Rows", 0), int_tag(path, ds, "Columns", 0)
    if pixels.shape != (rows, cols):
        raise ImageReadError(
            f"{path}: decoded pixel data has shape {pixels.shape}, the header says {rows}x{cols}"
        )


def is_sequence(value: Any) -> bool:
    return not isinstance(value, (str, bytes)) and hasattr(value, "__iter__")


def _import_pydicom(path: Path) -> Any:
    try:
        import pydicom
    except ImportError as exc:
        raise ImageReadError(
            f"{path} is a DICOM file, but reading DICOM needs the pydicom package: "
            "pip install pydicom"
        ) from exc
    return pydicom


def read_tags(path: str | os.PathLike[str], keywords: Sequence[str]) -> Dataset:
    """Only the attributes ``keywords`` of a DICOM file (and its character set): the
    others and the pixel data are skipped unparsed, so this costs a header's read."""
    path = Path(path)
    datadict = _import_pydicom(path).datadict
    tags = [tag for tag in (datadict.tag_for_keyword(k) for k in keywords) if tag is not None]
    return _read_dataset(path, stop_before_pixels=True, specific_tags=tags)


def _read_dataset(path: Path, *, stop_before_pixels: bool,
                  specific_tags: Sequence[int] | None = None) -> Dataset:
    pydicom = _import_pydicom(path)
    try:
        # force=True also accepts old files without the 128-byte preamble; the
        # callers check that the result actually describes an image.
        return pydicom.dcmread(path, stop_before_pixels=stop_before_pixels, force=True,
                               specific_tags=specific_tags)
    except OSError as exc:
        from engine.data.header import open_error

        raise open_error(path, exc) from exc
    except Exception as exc:  # InvalidDicomError, struct.error, EOFError, ... on arbitrary bytes
        raise ImageReadError(f"{path} is not a readable DICOM file: {exc}") from exc


def _transfer_syntax(ds: Dataset) -> Any:
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    meta = getattr(ds, "file_meta", None)
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    if uid is None:
        # No file meta (preamble-less file): pydicom needs a syntax to decode
        # with, and such files are uncompressed; use the encoding the parser found.
        encoding = getattr(ds, "original_encoding", None)  # pydicom >= 3
        implicit = encoding[0] if encoding else getattr(ds, "is_implicit_VR", True)
        uid = ExplicitVRLittleEndian if implicit is False else ImplicitVRLittleEndian
        if meta is None:
            ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = uid
    return UID(str(uid))


def _decoder_available(ts: Any) -> bool:
    """Whether some installed plugin can decode transfer syntax ``ts``."""
    try:
        from pydicom.pixels import get_decoder  # pydicom >= 3
    except ImportError:
        from pydicom import config  # pydicom 2.x handler modules

        return any(
            h.supports_transfer_syntax(ts) and h.is_available() for h in config.pixel_data_handlers
        )
    try:
        return bool(get_decoder(ts).is_available)
    except NotImplementedError:
        return False


def _decoder_hint(ts: Any) -> str:
    for prefix, hint in _DECODER_HINTS.items():
        if str(ts).startswith(prefix):
            return hint
    return "pylibjpeg with its plugins (or python-gdcm)"


def _first_frame(path: Path, ds: Dataset) -> np.ndarray:
    ts = _transfer_syntax(ds)
    if ts.is_compressed and not _decoder_available(ts):
        raise ImageReadError(
            f"{path} uses the compressed transfer syntax {ts.name} ({ts}) and no decoder "
            f"for it is installed; install one with: pip install {_decoder_hint(ts)}"
        )
    n_frames = int_tag(path, ds, "NumberOfFrames", 1)
    if n_frames < 1:
        raise ImageReadError(f"{path}: the DICOM tag NumberOfFrames is {n_frames}; it is damaged")
    photometric = ds.get("PhotometricInterpretation")
    if photometric is not None and str(photometric) != str(photometric).strip().upper():
        # Some writers use lower case or padding; the value means the same, but pydicom's
        # decoders accept only the standard spelling (and refused "monochrome1").
        ds.PhotometricInterpretation = str(photometric).strip().upper()
    try:
        try:
            from pydicom.pixels import pixel_array  # pydicom >= 3 decodes one frame only
        except ImportError:
            arr = ds.pixel_array  # pydicom 2.x decodes all frames
            return arr[0] if n_frames > 1 else arr
        return pixel_array(ds, index=0)
    except Exception as exc:  # decoders raise anything from ValueError to RuntimeError
        if ts.is_compressed:
            raise ImageReadError(
                f"{path}: decoding the compressed pixel data ({ts.name}, {ts}) failed: {exc}. "
                f"The file may be corrupt, or another decoder may read it: "
                f"pip install {_decoder_hint(ts)}"
            ) from exc
        raise ImageReadError(
            f"{path}: cannot read the DICOM pixel data ({exc}); the file may be truncated, "
            "or a tag that describes its pixels is wrong"
        ) from exc


def to_grey(path: Path, ds: Dataset, arr: np.ndarray) -> np.ndarray:
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    if photometric in ("MONOCHROME1", "MONOCHROME2"):
        grey = _monochrome(ds, arr)
        return 1.0 - grey if photometric == "MONOCHROME1" else grey
    if photometric == "PALETTE COLOR":
        try:
            from pydicom.pixels import apply_color_lut  # pydicom >= 3
        except ImportError:
            from pydicom.pixel_data_handlers.util import apply_color_lut

        try:
            rgb = apply_color_lut(arr, ds)
        except (ValueError, KeyError, AttributeError, IndexError) as exc:
            raise ImageReadError(
                f"{path} is a PALETTE COLOR image whose colour lookup table is missing or "
                f"damaged ({exc}); re-export it as MONOCHROME2 or RGB"
            ) from None
        return _luma(rgb.astype(np.float64) / np.iinfo(rgb.dtype).max)
    if arr.ndim == 3 and arr.shape[-1] == 3:
        data = arr.astype(np.float64) / float(2 ** int(ds.get("BitsStored", 8)) - 1)
        if photometric.startswith("YBR_FULL") and not _converts_to_rgb(ds):
            return np.clip(data[..., 0], 0.0, 1.0)  # Y of YBR_FULL is already the luma
        return np.clip(_luma(data), 0.0, 1.0)
    # Unknown photometric with one sample: show it as monochrome rather than fail.
    return _monochrome(ds, arr.reshape(arr.shape[:2]) if arr.ndim == 3 else arr)


def _converts_to_rgb(ds: Dataset) -> bool:
    """Whether ``pixel_array`` already returned YBR data as RGB.

    pydicom 3 converts YBR_FULL(_422) to RGB by default; pydicom 2.x leaves
    uncompressed and RLE data in YBR, while its JPEG decoders return RGB.
    """
    try:
        import pydicom.pixels.decoders  # noqa: F401  (exists only in pydicom >= 3)
    except ImportError:
        ts = _transfer_syntax(ds)
        return bool(ts.is_compressed) and not str(ts).startswith("1.2.840.10008.1.2.5")
    return True


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ _LUMA


def _monochrome(ds: Dataset, arr: np.ndarray) -> np.ndarray:
    try:
        from pydicom.pixels import apply_modality_lut, apply_voi_lut  # pydicom >= 3
    except ImportError:
        from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut

    values = np.asarray(apply_modality_lut(arr, ds), dtype=np.float64)
    voi_lut = ds.get("VOILUTSequence")
    if voi_lut and "LUTDescriptor" in voi_lut[0] and "LUTData" in voi_lut[0]:
        # The LUT output range is fixed by its descriptor (bits per entry).
        bits = int(voi_lut[0].LUTDescriptor[2])
        # The LUT is indexed by integer input values; rescaled data may be float.
        indices = np.round(values).astype(np.int64)
        out = apply_voi_lut(indices, ds, index=0, prefer_lut=True)
        return np.clip(np.asarray(out, dtype=np.float64) / float(2**bits - 1), 0.0, 1.0)
    window = _first_window(ds)
    if window is not None:
        return _apply_window(values, *window, str(ds.get("VOILUTFunction", "LINEAR")))
    return _min_max(values)


def _first_window(ds: Dataset) -> tuple[float, float] | None:
    centre, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    if centre is None or width is None or centre == "" or width == "":
        return None
    try:
        c = float(centre[0] if is_sequence(centre) else centre)
        w = float(width[0] if is_sequence(width) else width)
    except (TypeError, ValueError, IndexError):
        log.warning("ignoring unreadable window %r/%r", centre, width)
        return None
    if not (math.isfinite(c) and math.isfinite(w) and w > 0):
        log.warning("ignoring invalid window centre %r width %r", c, w)
        return None
    return c, w


def _apply_window(values: np.ndarray, centre: float, width: float, function: str) -> np.ndarray:
    """DICOM PS3.3 C.11.2.1.2 windowing straight to [0, 1].

    Done here instead of with pydicom's apply_windowing because that maps onto
    the stored-value range, whose bounds depend on rescale, signedness and the
    pydicom version; mapping to [0, 1] directly leaves nothing to guess.
    """
    function = function.strip().upper()
    if function == "SIGMOID":
        return 1.0 / (1.0 + np.exp(-4.0 * (values - centre) / width))
    if function == "LINEAR_EXACT":
        return np.clip((values - centre) / width + 0.5, 0.0, 1.0)
    if width <= 1.0:  # LINEAR with width 1 is a threshold at centre - 0.5
        return (values > centre - 0.5).astype(np.float64)
    return np.clip((values - (centre - 0.5)) / (width - 1.0) + 0.5, 0.0, 1.0)


def _min_max(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:  # a constant image carries no contrast; show it black
        return np.zeros_like(values)
    return (values - lo) / (hi - lo)
