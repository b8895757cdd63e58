"""Load any supported image as grey float32 in [0, 1], refusing bad files clearly.

PNG, JPEG, BMP and TIFF are decoded with OpenCV; DICOM goes to
:mod:`engine.data.dicom` (pydicom is only imported when a DICOM is read).
Every failure is an :class:`~engine.errors.ImageReadError` naming the file.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.data.header import ImageHeader, has_dicom_magic, open_error, read_header, reading
from engine.data.spacing import Spacing
from engine.errors import ImageReadError
from engine.output_paths import special_kind

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm", "")  # "" = DICOM
MAX_PIXELS = 150_000_000  # refuse before decoding; float32 of this is 600 MB

_FORMAT_NAMES = {"png": "PNG", "jpeg": "JPEG", "bmp": "BMP", "tiff": "TIFF"}


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays with == is ambiguous
class LoadedImage:
    """A decoded image.

    ``pixels`` is float32 ``(height, width)``, grey, in [0, 1]. ``width`` and
    ``height`` are the original size in pixels. ``spacing`` is ``None`` when
    the file does not record it (all non-DICOM formats). ``orientation`` is the
    EXIF orientation already applied to ``pixels`` (1 = none; ADR 0002).
    """

    pixels: np.ndarray
    width: int
    height: int
    spacing: Spacing | None
    path: Path
    orientation: int = 1


def load_image(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Read ``path`` as a grey float32 image in [0, 1].

    The size is read from the header first and images with more than
    ``max_pixels`` pixels are refused before any decoding. Raises
    :class:`ImageReadError` for missing, unreadable, empty, truncated, corrupt,
    oversized or unsupported files, for pixels that are not all finite, and for blank
    images (one value everywhere).
    """
    path = Path(path)
    header = read_checked_header(path, max_pixels)
    spacing: Spacing | None = None
    with reading(path):
        if header.format == "dicom":
            from engine.data.dicom import read_dicom

            pixels, spacing = read_dicom(path)
        else:
            pixels = _to_unit_grey(path, decode_raster(path, header), header)
        if not np.isfinite(pixels).all():
            raise ImageReadError(f"{path} decodes to values that are not numbers; it is damaged")
        if pixels.size and pixels.min() == pixels.max():
            # Blank: no structure to match or learn; usually a failed export or scan.
            raise ImageReadError(f"{path} is blank (every pixel has the same value); "
                                 "re-export it from the source")
    return LoadedImage(pixels=pixels, width=header.width, height=header.height,
                       spacing=spacing, path=path, orientation=header.orientation)


def read_checked_header(path: Path, max_pixels: int) -> ImageHeader:
    """The header of ``path``; images over ``max_pixels`` are refused before any decoding."""
    header = read_header(path)
    n_pixels = header.width * header.height
    if n_pixels > max_pixels:
        raise ImageReadError(
            f"{path} is {header.width}x{header.height} pixels ({n_pixels / 1e6:.1f} megapixels), "
            f"over the limit of {max_pixels:,} pixels ({max_pixels / 1e6:.1f} megapixels); "
            "downscale it before loading"
        )
    return header


def is_image_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` looks like a loadable image.

    True for a known suffix (case-insensitive, see ``IMAGE_SUFFIXES``) without
    touching the file, or for any other name (extension-less, or DICOM exports
    such as ``1.2.840.113619.2.1``) when the file has the DICOM magic ``DICM``
    at byte 128. Folders are never images.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix and suffix in IMAGE_SUFFIXES:
        return not path.is_dir()
    return path.is_file() and has_dicom_magic(path)


def list_images(folder: str | os.PathLike[str]) -> list[Path]:
    """Images directly inside ``folder`` (not recursive), hidden files skipped.

    Sorted naturally and case-insensitively (``img2`` before ``img10``) so the
    order matches what a file browser shows. Raises :class:`ImageReadError`
    when the folder is missing, unreadable or holds no images.
    """
    folder = Path(folder)
    return _images_of(folder, _listing(folder))


@dataclass(frozen=True)
class FolderScan:
    """One listing of a folder: its images, the entries named like images that are not
    regular files (a dangling or looping link, a named pipe, a device) with why, and why
    there are no images when there are none."""

    images: list[Path]
    unusable: list[tuple[Path, str]]
    problem: str | None


def scan_folder(folder: str | os.PathLike[str]) -> FolderScan:
    """:func:`list_images`, plus what it leaves out, so a batch lists every file it skips;
    raises ImageReadError only for a folder that is missing or cannot be listed."""
    folder = Path(folder)
    entries = _listing(folder)
    unusable = _unusable(entries)
    try:
        return FolderScan(_images_of(folder, entries), unusable, None)
    except ImageReadError as exc:
        return FolderScan([], unusable, str(exc))


def _listing(folder: Path) -> list[Path]:
    if not folder.exists():
        raise ImageReadError(f"image folder {folder} does not exist")
    if not folder.is_dir():
        raise ImageReadError(f"{folder} is a file, not a folder of images")
    try:
        return [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError as exc:
        raise ImageReadError(f"cannot list image folder {folder}: {exc.strerror or exc}") from exc


def _images_of(folder: Path, entries: list[Path]) -> list[Path]:
    images = [p for p in entries if p.is_file() and is_image_file(p)]
    if not images:
        others = sum(1 for p in entries if p.is_file())
        raise ImageReadError(
            f"image folder {folder} contains no images ({others} other files); "
            "supported: PNG, JPEG, BMP, TIFF, DICOM"
        )
    return sorted(images, key=_natural_key)


def _unusable(entries: list[Path]) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    for p in sorted(entries, key=_natural_key):
        if not is_image_file(p) or p.is_file() or p.is_dir():
            continue
        if p.is_symlink():
            try:
                p.stat()
                reason = f"a link to {special_kind(p) or 'something that is not a file'}"
            except OSError as exc:
                reason = ("a link that loops" if exc.errno == errno.ELOOP
                          else f"a link to {os.readlink(p)}, which does not exist")
        else:
            reason = special_kind(p) or "not a regular file"
        out.append((p, f"{reason}, not an image file"))
    return out


def _natural_key(path: Path) -> tuple[list[str | int], str]:
    # Split "img10.png" into ["img", 10, ".png"]; text and numbers alternate at
    # fixed positions (re.split with a group), so comparisons never mix types.
    parts: list[str | int] = [
        int(tok) if i % 2 else tok.lower() for i, tok in enumerate(re.split(r"(\d+)", path.name))
    ]
    return parts, path.name


def decode_raster(
    path: Path, header: ImageHeader, flags: int = cv2.IMREAD_UNCHANGED, reduction: int = 1
) -> np.ndarray:
    """Decode a non-DICOM image with OpenCV ``flags``, unconverted, checked against ``header``.

    ``reduction`` is the factor an ``IMREAD_REDUCED_*`` flag shrinks each side by; the
    flags must not apply the EXIF orientation (``IMREAD_UNCHANGED`` does not): it is
    applied here, the same way for every caller. A JPEG decoder warning (corrupt data
    that libjpeg decodes to grey or noise) is an error naming the file.
    """
    fmt = _FORMAT_NAMES.get(header.format, header.format)
    try:
        # np.fromfile + imdecode instead of cv2.imread: imread cannot open
        # non-ASCII paths on Windows and does not tell "missing" from "corrupt".
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise open_error(path, exc) from exc
    if header.format == "jpeg" and not _jpeg_has_end(data, header.scan_offset or 0):
        # libjpeg fills a truncated scan with grey and only warns; older OpenCV
        # versions return that half-grey image, which would silently train.
        raise ImageReadError(
            f"{path} is a truncated JPEG (no end-of-image marker); re-export or re-copy it"
        )
    try:
        if header.format == "jpeg":
            img = _decode_jpeg(path, data, flags)
        else:
            img = cv2.imdecode(data, flags)
    except cv2.error as exc:
        raise ImageReadError(f"{path} could not be decoded as {fmt}: {exc}") from exc
    if img is None:
        raise ImageReadError(
            f"{path} could not be decoded as {fmt}; the file is truncated or corrupt"
        )
    # OpenCV itself turns a TIFF by its Orientation tag under IMREAD_UNCHANGED (it leaves a
    # JPEG's EXIF alone, and IGNORE_ORIENTATION cannot be added to UNCHANGED's -1).
    turned = header.format == "tiff" and flags == cv2.IMREAD_UNCHANGED
    width, height = (header.width, header.height) if turned else header.stored_size
    expected = (-(-height // reduction), -(-width // reduction))  # ceil
    if img.shape[:2] != expected:
        raise ImageReadError(
            f"{path}: decoded size {img.shape[1]}x{img.shape[0]} differs from the header's "
            f"{width}x{height}; the file is corrupt"
        )
    return img if turned else orient(img, header.orientation)


def orient(img: np.ndarray, orientation: int) -> np.ndarray:
    """``img`` (stored rows first) turned as EXIF ``orientation`` says to display it."""
    turned = {
        2: lambda a: a[:, ::-1],                     # mirrored
        3: lambda a: a[::-1, ::-1],                  # 180°
        4: lambda a: a[::-1],                        # upside down
        5: lambda a: a.swapaxes(0, 1),               # transposed
        6: lambda a: a.swapaxes(0, 1)[:, ::-1],      # 90° clockwise
        7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],   # transversed
        8: lambda a: a.swapaxes(0, 1)[::-1],         # 90° counter-clockwise
    }.get(orientation)
    return img if turned is None else np.ascontiguousarray(turned(img))


# libjpeg reports damage it decodes past (as grey or noise) only as a warning on
# stderr; capturing fd 2 is the one way to see it through OpenCV. One decode at a time
# holds the capture, and whatever else reached stderr meanwhile is passed on.
_STDERR_LOCK = threading.Lock()
_JPEG_DAMAGE = ("Corrupt JPEG data", "Premature end of JPEG file", "Invalid JPEG file")
_JPEG_HARMLESS = "extraneous bytes before marker"  # junk between segments; pixels intact


def _decode_jpeg(path: Path, data: np.ndarray, flags: int) -> np.ndarray | None:
    with _STDERR_LOCK, tempfile.TemporaryFile() as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            img = cv2.imdecode(data, flags)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode("utf-8", errors="replace")
    lines = text.splitlines()
    warnings = [line for line in lines if line.startswith(_JPEG_DAMAGE)]
    damage = [line for line in warnings if _JPEG_HARMLESS not in line]
    others = [line for line in lines if line not in warnings]
    if others:
        os.write(2, ("\n".join(others) + "\n").encode())
    for line in warnings:
        if line not in damage:
            log.warning("%s: the JPEG decoder says: %s", path, line)
    if damage:
        raise ImageReadError(
            f"{path} is a damaged JPEG (the decoder says: {damage[0]}); re-export or re-copy it"
        )
    return img


def _jpeg_has_end(data: np.ndarray, scan_offset: int) -> bool:
    # Entropy-coded data escapes 0xFF as FF00, so FFD9 after the first scan can
    # only be EOI. An EOI before the scan belongs to an embedded EXIF thumbnail.
    return data[scan_offset:].tobytes().find(b"\xff\xd9") != -1


def native_grey(path: Path, img: np.ndarray) -> np.ndarray:
    """Grey float32 in the stored units from whatever ``IMREAD_UNCHANGED`` returned."""
    grey = img.astype(np.float32)
    if grey.ndim == 3:
        channels = grey.shape[2]
        if channels in (1, 2):  # grey, or grey + alpha
            grey = grey[..., 0]
        elif channels == 3:  # OpenCV order is BGR; palette images arrive expanded
            grey = cv2.cvtColor(grey, cv2.COLOR_BGR2GRAY)
        elif channels == 4:  # alpha is dropped, not composited: X-rays have no transparency
            grey = cv2.cvtColor(grey, cv2.COLOR_BGRA2GRAY)
        else:
            raise ImageReadError(f"{path} has {channels} channels; expected grey, RGB or RGBA")
    return grey


def refuse_non_finite(path: Path, values: np.ndarray) -> None:
    """A float image with NaN or infinite pixels is refused, saying how many: set to 0
    they would look like real black tissue to the viewer and to training."""
    if values.dtype.kind != "f" or np.isfinite(values).all():
        return
    nan, inf = int(np.isnan(values).sum()), int(np.isinf(values).sum())
    raise ImageReadError(
        f"{path} holds {nan} NaN and {inf} infinite pixel value(s) of {values.size} (missing "
        "data in a float image?); fill or mask them in the source program and export again")


def _to_unit_grey(path: Path, img: np.ndarray, header: ImageHeader) -> np.ndarray:
    """Grey float32 in [0, 1] from whatever IMREAD_UNCHANGED returned.

    Integers are divided by the maximum of their container (255, 65535), not
    stretched to the values present: a 12-bit X-ray stored in 16-bit PNG stays
    at about 1/16 brightness, but every image of a data set is scaled the same
    way, so intensities stay comparable between images and between training
    and inference. JPEG is the one
    exception: its header declares the precision, so 12-bit JPEG uses 4095.
    """
    dtype = img.dtype
    grey = native_grey(path, img)
    if dtype == np.uint8:
        grey /= 255.0
    elif dtype == np.uint16:
        bits = header.bit_depth if header.format == "jpeg" and header.bit_depth else 16
        grey /= float(2**bits - 1)
    else:
        # Float or signed TIFFs have no natural maximum. Data already in [0, 1]
        # is kept as is; anything else is stretched to its own range.
        refuse_non_finite(path, grey)
        lo, hi = float(grey.min()), float(grey.max())
        if lo < 0.0 or hi > 1.0:
            grey = (grey - lo) / (hi - lo) if hi > lo else np.zeros_like(grey)
    return np.ascontiguousarray(np.clip(grey, 0.0, 1.0), dtype=np.float32)
