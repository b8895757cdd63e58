"""Image size from the file header alone, without decoding any pixels.

The loader checks the size before decoding so that a huge (or maliciously
declared) image is refused in microseconds instead of exhausting memory, and
the project view can show sizes of hundreds of images without loading them.

The format is sniffed from the first bytes, never from the suffix: a PNG
saved as ``.jpg`` is common in exported data sets and must still load.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from engine.errors import CC2DError, ImageReadError
from engine.output_paths import special_kind

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DICOM_MAGIC = b"DICM"
DICOM_MAGIC_OFFSET = 128

# SOFn markers carry the frame size; C4 (DHT), C8 (JPG extension) and CC (DAC)
# share the 0xC0-0xCF range but are not frames.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field: TEM, RST0-7, SOI, EOI.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xDA)})
_JPEG_SOS = 0xDA

_SUPPORTED = "PNG, JPEG, BMP, TIFF or DICOM"


@dataclass(frozen=True)
class ImageHeader:
    """What the header says about an image.

    ``format`` is one of ``"png"``, ``"jpeg"``, ``"bmp"``, ``"tiff"``, ``"dicom"``.
    ``bit_depth`` is the declared bits per sample where the header states it
    cheaply (PNG, JPEG), else ``None``. ``scan_offset`` is, for JPEG, the byte
    offset of the first SOS marker; the loader looks for the end-of-image marker
    after it to detect truncation (an earlier FFD9 may belong to an EXIF
    thumbnail). ``orientation`` is the EXIF orientation (1..8, 1 = as stored) of a
    JPEG; ``width`` and ``height`` are the size as displayed, after it (ADR 0002).
    """

    format: str
    width: int
    height: int
    bit_depth: int | None = None
    scan_offset: int | None = None
    orientation: int = 1

    @property
    def stored_size(self) -> tuple[int, int]:
        """``(width, height)`` of the pixels as stored, before the EXIF orientation."""
        swapped = self.orientation in (5, 6, 7, 8)  # these turn the image by 90°
        return (self.height, self.width) if swapped else (self.width, self.height)


# A 150-megapixel 16-bit radiograph is 300 MB uncompressed; a bigger file is no image here.
MAX_FILE_BYTES = 1 << 30


def read_image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Return ``(width, height)`` of an image by parsing only its header.

    Raises :class:`ImageReadError` for missing, empty, truncated or unknown files.
    """
    header = read_header(path)
    return header.width, header.height


def read_header(path: str | os.PathLike[str]) -> ImageHeader:
    """Sniff the format of ``path`` and parse its header (see :class:`ImageHeader`).
    Only regular files of at most MAX_FILE_BYTES are opened: a named pipe would block,
    a device (``/dev/zero`` named ``.dcm``) or a huge sparse file would be read for ever."""
    path = Path(path)
    kind = special_kind(path)
    if kind is not None:
        raise ImageReadError(f"{path} is {kind}, not an image file")
    try:
        size = path.stat().st_size
    except OSError:
        size = 0   # missing or unreadable: opening it below says which
    if size > MAX_FILE_BYTES:
        raise ImageReadError(f"{path} is {size / 2**30:.1f} GiB, over the limit of "
                             f"{MAX_FILE_BYTES / 2**30:.0f} GiB for one image file")
    with reading(path):
        with path.open("rb") as f:
            head = f.read(DICOM_MAGIC_OFFSET + 4)
            if not head:
                raise ImageReadError(f"{path} is empty (0 bytes); re-export or re-copy the image")
            header = _parse(path, f, head)
    if header.width <= 0 or header.height <= 0:
        raise ImageReadError(
            f"{path} declares an invalid size {header.width}x{header.height}; the file is corrupt"
        )
    return header


def has_dicom_magic(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is a readable file with ``DICM`` at byte 128 (DICOM Part 10)."""
    try:
        with open(path, "rb") as f:
            f.seek(DICOM_MAGIC_OFFSET)
            return f.read(4) == DICOM_MAGIC
    except OSError:
        return False


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn every failure while reading image ``path`` into an ImageReadError naming it.

    Parsers and decoders raise anything on damaged bytes (ValueError, struct.error,
    IndexError, ...); at this boundary a batch needs one kind it can skip and report.
    """
    try:
        yield
    except CC2DError:
        raise
    except OSError as exc:
        raise open_error(path, exc) from exc
    except MemoryError:
        raise ImageReadError(f"{path}: not enough memory to decode this image") from None
    except Exception as exc:
        raise ImageReadError(
            f"{path} is damaged or not a supported image ({type(exc).__name__}: {exc}); "
            "re-export or re-copy it"
        ) from exc


def open_error(path: Path, exc: OSError) -> ImageReadError:
    """Translate an OS error on ``path`` into a user-facing :class:`ImageReadError`."""
    if isinstance(exc, FileNotFoundError):
        return ImageReadError(f"{path} does not exist; check the path or whether it was moved")
    if isinstance(exc, IsADirectoryError) or path.is_dir():
        return ImageReadError(f"{path} is a folder, not an image file")
    if isinstance(exc, PermissionError):
        return ImageReadError(f"{path} cannot be read: permission denied")
    return ImageReadError(f"{path} cannot be read: {exc.strerror or exc}")


def _parse(path: Path, f: BinaryIO, head: bytes) -> ImageHeader:
    # DICOM first: its 128-byte preamble may legitimately hold a TIFF header
    # (dual-personality files), and the DICOM view is the authoritative one.
    if head[DICOM_MAGIC_OFFSET : DICOM_MAGIC_OFFSET + 4] == DICOM_MAGIC:
        return _dicom(path)
    if head.startswith(PNG_SIGNATURE[:4]):
        return _png(path, head)
    if head.startswith(b"\xff\xd8"):
        return _jpeg(path, f)
    if head.startswith(b"BM"):
        return _bmp(path, head)
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return _tiff(path, f, head)
    if path.suffix.lower() in (".dcm", ".dicom") and _text_snippet(head) is None:
        # Old DICOM files without the Part 10 preamble; pydicom decides.
        return _dicom(path)
    raise ImageReadError(_unknown_format_message(path, head))


def _text_snippet(head: bytes) -> str | None:
    """The start of the file as one line if it is printable text, else ``None``."""
    text = None
    for cut in range(64, 60, -1):  # the cut may split a multi-byte UTF-8 character
        try:
            text = head[:cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    if not text or not all(c.isprintable() or c in "\r\n\t" for c in text):
        return None
    return " ".join(text.split())[:40]


def _unknown_format_message(path: Path, head: bytes) -> str:
    if head.startswith(b"version https://git-lfs"):
        return (
            f"{path} is a Git LFS pointer, not the image itself; "
            "run `git lfs pull` in the data repository"
        )
    snippet = _text_snippet(head)
    if snippet is not None:
        return f"{path} is not an image (starts with text: {snippet!r}); expected {_SUPPORTED}"
    return f"{path} is not an image in a supported format ({_SUPPORTED}); starts with {head[:8]!r}"


def _truncated(path: Path, fmt: str) -> ImageReadError:
    return ImageReadError(
        f"{path} looks like {fmt} but its header is truncated; the file is incomplete"
    )


def _png(path: Path, head: bytes) -> ImageHeader:
    # Signature (8) + IHDR length (4) + "IHDR" (4) + width, height (4 each) + bit depth (1).
    if len(head) < 25 or not head.startswith(PNG_SIGNATURE):
        raise _truncated(path, "PNG")
    if head[12:16] != b"IHDR":
        raise ImageReadError(f"{path} is a corrupt PNG: the first chunk is not IHDR")
    width, height = struct.unpack(">II", head[16:24])
    return ImageHeader("png", width, height, bit_depth=head[24])


def _jpeg(path: Path, f: BinaryIO) -> ImageHeader:
    # Walk the marker segments from SOI; APPn segments (EXIF, ICC) can be large,
    # so seek over them rather than reading the whole file.
    f.seek(2)
    size: tuple[int, int, int] | None = None
    orientation = 1
    while True:
        byte = f.read(1)
        if not byte:
            raise _truncated(path, "JPEG")
        if byte != b"\xff":
            raise ImageReadError(
                f"{path} is a corrupt JPEG: expected a marker at byte {f.tell() - 1}"
            )
        marker = 0xFF
        while marker == 0xFF:  # any number of 0xFF fill bytes may precede a marker
            b = f.read(1)
            if not b:
                raise _truncated(path, "JPEG")
            marker = b[0]
        if marker in _JPEG_STANDALONE:
            continue
        if marker == _JPEG_SOS:
            if size is None:
                raise ImageReadError(
                    f"{path} is a corrupt JPEG: image data before the frame header"
                )
            height, width, precision = size
            if orientation in (5, 6, 7, 8):
                width, height = height, width
            return ImageHeader("jpeg", width, height, bit_depth=precision,
                               scan_offset=f.tell() - 2, orientation=orientation)
        raw = f.read(2)
        if len(raw) < 2:
            raise _truncated(path, "JPEG")
        (length,) = struct.unpack(">H", raw)
        if length < 2:
            raise ImageReadError(f"{path} is a corrupt JPEG: bad segment length {length}")
        if marker in _JPEG_SOF and size is None:
            seg = f.read(5)
            if len(seg) < 5:
                raise _truncated(path, "JPEG")
            precision, height, width = struct.unpack(">BHH", seg)
            if height == 0:
                # Height 0 means "defined later by a DNL marker"; decoders rarely
                # support it and we cannot size-check it, so refuse clearly.
                raise ImageReadError(
                    f"{path} is a JPEG whose height is defined late (DNL marker); unsupported"
                )
            size = (height, width, precision)
            f.seek(length - 7, os.SEEK_CUR)
        elif marker == 0xE1 and orientation == 1:  # APP1: EXIF
            orientation = exif_orientation(f.read(length - 2))
        else:
            f.seek(length - 2, os.SEEK_CUR)


def exif_orientation(app1: bytes) -> int:
    """The Orientation tag (0x0112) of IFD0 in an APP1 payload; 1 when absent or invalid.

    Viewers ignore an orientation they cannot read, and so do we.
    """
    if not app1.startswith(b"Exif\x00\x00") or len(app1) < 14:
        return 1
    tiff = app1[6:]
    endian = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if endian is None:
        return 1
    (ifd,) = struct.unpack(endian + "I", tiff[4:8])
    if ifd + 2 > len(tiff):
        return 1
    (count,) = struct.unpack(endian + "H", tiff[ifd : ifd + 2])
    for i in range(count):
        entry = tiff[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
        if len(entry) < 12:
            return 1
        tag, typ = struct.unpack(endian + "HH", entry[:4])
        if tag == 0x0112 and typ == 3:  # SHORT
            (value,) = struct.unpack(endian + "H", entry[8:10])
            return value if 1 <= value <= 8 else 1
    return 1


def _bmp(path: Path, head: bytes) -> ImageHeader:
    # BITMAPFILEHEADER (14 bytes) then a DIB header whose first field is its size.
    if len(head) < 26:
        raise _truncated(path, "BMP")
    (dib_size,) = struct.unpack("<I", head[14:18])
    if dib_size == 12:  # OS/2 BITMAPCOREHEADER: 16-bit unsigned sizes
        width, height = struct.unpack("<HH", head[18:22])
    elif dib_size >= 40:
        width, height = struct.unpack("<ii", head[18:26])
        height = abs(height)  # negative height = top-down rows, same size
    else:
        raise ImageReadError(f"{path} is a corrupt BMP: unknown DIB header size {dib_size}")
    return ImageHeader("bmp", width, height)


def _tiff(path: Path, f: BinaryIO, head: bytes) -> ImageHeader:
    endian = "<" if head[:2] == b"II" else ">"
    big = head[2:4] in (b"+\x00", b"\x00+")  # BigTIFF: 64-bit offsets and counts
    if big:
        if len(head) < 16:
            raise _truncated(path, "TIFF")
        (ifd,) = struct.unpack(endian + "Q", head[8:16])
        count_fmt, entry_size, value_fmt = "Q", 20, "Q"
    else:
        if len(head) < 8:
            raise _truncated(path, "TIFF")
        (ifd,) = struct.unpack(endian + "I", head[4:8])
        count_fmt, entry_size, value_fmt = "H", 12, "I"
    f.seek(ifd)
    raw = f.read(struct.calcsize(count_fmt))
    if len(raw) < struct.calcsize(count_fmt):
        raise _truncated(path, "TIFF")
    (n_entries,) = struct.unpack(endian + count_fmt, raw)
    entries = f.read(n_entries * entry_size)
    if len(entries) < n_entries * entry_size:
        raise _truncated(path, "TIFF")
    values: dict[int, int] = {}
    for i in range(n_entries):
        entry = entries[i * entry_size : (i + 1) * entry_size]
        tag, typ = struct.unpack(endian + "HH", entry[:4])
        if tag not in (256, 257, 274):  # ImageWidth, ImageLength, Orientation
            continue
        value_field = entry[4 + struct.calcsize(value_fmt) :]
        # Values are left-justified in the value field, so a SHORT sits in the
        # first two bytes regardless of byte order.
        if typ == 3:  # SHORT
            (values[tag],) = struct.unpack(endian + "H", value_field[:2])
        elif typ == 4:  # LONG
            (values[tag],) = struct.unpack(endian + "I", value_field[:4])
        elif typ == 16:  # LONG8 (BigTIFF)
            (values[tag],) = struct.unpack(endian + "Q", value_field[:8])
        elif tag != 274:
            raise ImageReadError(f"{path} is a corrupt TIFF: size tag {tag} has type {typ}")
    if 256 not in values or 257 not in values:
        raise ImageReadError(f"{path} is a corrupt TIFF: the first image has no width/height tags")
    # OpenCV turns a TIFF by its Orientation tag, as viewers do: the header says so, and
    # the image is turned like a JPEG by its EXIF orientation (an unreadable value: as stored).
    orientation = values.get(274, 1)
    if orientation not in range(1, 9):
        orientation = 1
    width, height = values[256], values[257]
    if orientation in (5, 6, 7, 8):
        width, height = height, width   # the header gives the size as displayed
    return ImageHeader("tiff", width, height, orientation=orientation)


def _dicom(path: Path) -> ImageHeader:
    from engine.data.dicom import read_dicom_size  # keeps pydicom optional

    width, height = read_dicom_size(path)
    return ImageHeader("dicom", width, height)
