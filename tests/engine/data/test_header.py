"""Header-only size parsing: every format, both TIFF byte orders, clear errors."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.data.header import has_dicom_magic, read_header, read_image_size
from engine.errors import ImageReadError

W, H = 37, 23  # non-square and odd so a width/height swap cannot pass


def _encode(path: Path, img: np.ndarray, ext: str | None = None) -> Path:
    ok, buf = cv2.imencode(ext or path.suffix, img)
    assert ok
    buf.tofile(path)
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _fake_png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")


@pytest.fixture
def grey() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (H, W), dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".tif"])
def test_sizes_of_opencv_written_files(tmp_path: Path, grey: np.ndarray, suffix: str) -> None:
    path = _encode(tmp_path / f"img{suffix}", grey)
    assert read_image_size(path) == (W, H)


def test_colour_and_16bit(tmp_path: Path) -> None:
    rgb = np.zeros((H, W, 3), np.uint8)
    g16 = np.zeros((H, W), np.uint16)
    assert read_image_size(_encode(tmp_path / "c.png", rgb)) == (W, H)
    assert read_image_size(_encode(tmp_path / "c.bmp", rgb)) == (W, H)
    assert read_image_size(_encode(tmp_path / "c.jpg", rgb)) == (W, H)
    assert read_header(_encode(tmp_path / "g.png", g16)).bit_depth == 16
    assert read_image_size(_encode(tmp_path / "g.tif", g16)) == (W, H)


def test_format_sniffed_from_content_not_suffix(tmp_path: Path, grey: np.ndarray) -> None:
    path = _encode(tmp_path / "really_png.jpg", grey, ".png")
    header = read_header(path)
    assert header.format == "png"
    assert (header.width, header.height) == (W, H)


def test_jpeg_with_exif_segment_containing_marker_bytes(tmp_path: Path, grey: np.ndarray) -> None:
    ok, buf = cv2.imencode(".jpg", grey)
    data = buf.tobytes()
    # A large APP1 whose payload contains fake SOF0 and EOI bytes (like an EXIF
    # thumbnail): the parser must skip it by its length, not scan for markers.
    payload = b"Exif\x00\x00" + b"\xff\xc0\x00\x11\x08\x00\x05\x00\x07" + b"\xff\xd9" * 30000
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    path = tmp_path / "exif.jpg"
    path.write_bytes(data[:2] + app1 + b"\xff\xff" + data[2:])  # plus fill bytes
    header = read_header(path)
    assert (header.width, header.height) == (W, H)
    assert header.bit_depth == 8
    assert header.scan_offset is not None and header.scan_offset > len(app1)
    assert path.read_bytes()[header.scan_offset : header.scan_offset + 2] == b"\xff\xda"


def _tiff(endian: str, width: int, height: int, *, short: bool, big: bool = False) -> bytes:
    """A minimal TIFF whose first IFD holds only the size tags (plus a decoy tag)."""
    bo = b"II" if endian == "<" else b"MM"
    typ = 3 if short else 4  # SHORT or LONG
    if big:
        head = bo + struct.pack(endian + "HHHQ", 43, 8, 0, 16)
        entries = [(254, 4, 1, 0), (256, typ, 1, width), (257, typ, 1, height)]
        body = struct.pack(endian + "Q", len(entries))
        for tag, t, count, value in entries:
            f = "H" if t == 3 else "I"
            value_field = struct.pack(endian + f, value).ljust(8, b"\0")
            body += struct.pack(endian + "HHQ", tag, t, count) + value_field
        return head + body + struct.pack(endian + "Q", 0)
    head = bo + struct.pack(endian + "HI", 42, 8)
    entries = [(254, 4, 1, 0), (256, typ, 1, width), (257, typ, 1, height)]
    body = struct.pack(endian + "H", len(entries))
    for tag, t, count, value in entries:
        f = "H" if t == 3 else "I"
        # Values are left-justified in the 4-byte field in both byte orders.
        value_field = struct.pack(endian + f, value).ljust(4, b"\0")
        body += struct.pack(endian + "HHI", tag, t, count) + value_field
    return head + body + struct.pack(endian + "I", 0)


@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("short", [True, False])
@pytest.mark.parametrize("big", [False, True])
def test_tiff_byte_orders_and_types(tmp_path: Path, endian: str, short: bool, big: bool) -> None:
    path = tmp_path / "t.tif"
    path.write_bytes(_tiff(endian, 1234, 567, short=short, big=big))
    assert read_image_size(path) == (1234, 567)


def test_bmp_top_down_and_os2(tmp_path: Path) -> None:
    # BITMAPINFOHEADER with negative height (top-down rows).
    info = struct.pack("<IiiHHI", 40, 300, -200, 1, 24, 0) + b"\0" * 20
    top_down = tmp_path / "td.bmp"
    top_down.write_bytes(b"BM" + struct.pack("<IHHI", 14 + 40, 0, 0, 54) + info)
    assert read_image_size(top_down) == (300, 200)
    core = struct.pack("<IHHHH", 12, 640, 480, 1, 24)
    os2 = tmp_path / "os2.bmp"
    os2.write_bytes(b"BM" + struct.pack("<IHHI", 26, 0, 0, 26) + core + b"\0" * 10)
    assert read_image_size(os2) == (640, 480)


def test_huge_declared_png_is_read_without_decoding(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(_fake_png_header(30000, 30000))
    assert read_image_size(path) == (30000, 30000)


def test_dicom_header(tmp_path: Path) -> None:
    pydicom = pytest.importorskip("pydicom")
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("x", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.Rows, ds.Columns = 512, 384
    path = tmp_path / "noext"
    if int(pydicom.__version__.split(".")[0]) >= 3:
        ds.save_as(path, enforce_file_format=True)
    else:  # pydicom 2.x
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(path, write_like_original=False)
    assert has_dicom_magic(path)
    header = read_header(path)
    assert (header.format, header.width, header.height) == ("dicom", 384, 512)


def test_has_dicom_magic_false_for_other_files(tmp_path: Path, grey: np.ndarray) -> None:
    assert not has_dicom_magic(_encode(tmp_path / "a.png", grey))
    assert not has_dicom_magic(tmp_path / "missing")
    assert not has_dicom_magic(tmp_path)


# --- errors -----------------------------------------------------------------


def _error(path: Path) -> str:
    with pytest.raises(ImageReadError) as info:
        read_image_size(path)
    message = str(info.value)
    assert path.name in message  # every message names the file
    return message


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    assert "empty (0 bytes)" in _error(path)


def test_text_file_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.write_text("patient,x,y\n1,2,3\n", encoding="utf-8")
    message = _error(path)
    assert "not an image" in message
    assert "starts with text" in message and "patient,x,y" in message


def test_text_file_named_dcm_is_not_parsed_as_dicom(tmp_path: Path) -> None:
    path = tmp_path / "notes.dcm"
    path.write_text("Bonjour, réseau ü " * 10, encoding="utf-8")
    assert "starts with text" in _error(path)


def test_git_lfs_pointer(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n", encoding="utf-8"
    )
    assert "git lfs pull" in _error(path)


def test_unknown_binary(tmp_path: Path) -> None:
    path = tmp_path / "blob.png"
    path.write_bytes(bytes(range(256)) * 2)
    assert "not an image in a supported format" in _error(path)


@pytest.mark.parametrize("suffix,cut", [(".png", 20), (".jpg", 10), (".bmp", 20), (".tif", 6)])
def test_truncated_headers(tmp_path: Path, grey: np.ndarray, suffix: str, cut: int) -> None:
    full = _encode(tmp_path / f"full{suffix}", grey)
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(full.read_bytes()[:cut])
    assert "truncated" in _error(path)


def test_tiff_ifd_past_end_of_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.tif"
    path.write_bytes(b"II*\x00" + struct.pack("<I", 10_000))
    assert "truncated" in _error(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert "does not exist" in _error(tmp_path / "nope.png")
    folder = tmp_path / "dir.png"
    folder.mkdir()
    assert "is a folder" in _error(folder)
