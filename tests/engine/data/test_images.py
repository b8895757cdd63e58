"""load_image / is_image_file / list_images on small synthetic files."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.data.images import (
    IMAGE_SUFFIXES,
    MAX_PIXELS,
    LoadedImage,
    is_image_file,
    list_images,
    load_image,
)
from engine.errors import ImageReadError

W, H = 37, 23
RNG_SEED = 1234


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(RNG_SEED)


def _write(path: Path, img: np.ndarray, params: list[int] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(path.suffix, img, params or [])
    assert ok
    buf.tofile(path)  # unicode-safe, unlike cv2.imwrite on Windows
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, colour_type: int, rows: bytes, plte: bytes = b"") -> bytes:
    """A hand-made 8-bit PNG (for palette images and fake headers)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    chunks = _png_chunk(b"IHDR", ihdr)
    if plte:
        chunks += _png_chunk(b"PLTE", plte)
    chunks += _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def _load(path: Path) -> np.ndarray:
    image = load_image(path)
    assert isinstance(image, LoadedImage)
    assert image.pixels.dtype == np.float32
    assert image.pixels.shape == (image.height, image.width)
    assert image.pixels.flags.c_contiguous
    assert 0.0 <= image.pixels.min() and image.pixels.max() <= 1.0
    assert image.spacing is None and image.path == path
    return image.pixels


# --- formats and bit depths ---------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif", ".tiff"])
def test_grey8_lossless_formats_exact(
    tmp_path: Path, rng: np.random.Generator, suffix: str
) -> None:
    img = rng.integers(0, 256, (H, W), dtype=np.uint8)
    pixels = _load(_write(tmp_path / f"g{suffix}", img))
    np.testing.assert_array_equal(pixels, img.astype(np.float32) / 255)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_grey16_divided_by_65535(tmp_path: Path, rng: np.random.Generator, suffix: str) -> None:
    img = rng.integers(0, 65536, (H, W), dtype=np.uint16)
    img[0, 0], img[0, 1] = 0, 65535
    pixels = _load(_write(tmp_path / f"g16{suffix}", img))
    np.testing.assert_allclose(pixels, img / 65535, rtol=0, atol=1e-7)


def test_12bit_data_in_16bit_png_is_not_stretched(tmp_path: Path, rng: np.random.Generator) -> None:
    img = rng.integers(0, 4096, (H, W), dtype=np.uint16)
    img[0, 0] = 4095
    pixels = _load(_write(tmp_path / "x12.png", img))
    assert pixels[0, 0] == pytest.approx(4095 / 65535)
    assert pixels.max() < 0.07  # same scale for every image of a data set


def test_rgb_to_grey_known_colours(tmp_path: Path) -> None:
    bgr = np.zeros((2, 3, 3), np.uint8)  # OpenCV writes BGR
    bgr[0, 0] = (0, 0, 255)  # red
    bgr[0, 1] = (0, 255, 0)  # green
    bgr[0, 2] = (255, 0, 0)  # blue
    bgr[1, :] = 255  # white
    for suffix in (".png", ".bmp", ".tif"):
        pixels = _load(_write(tmp_path / f"rgb{suffix}", bgr))
        np.testing.assert_allclose(pixels[0], [0.299, 0.587, 0.114], atol=1e-6)
        np.testing.assert_allclose(pixels[1], 1.0, atol=1e-6)


def test_rgb16(tmp_path: Path) -> None:
    bgr = np.zeros((1, 2, 3), np.uint16)
    bgr[0, 0] = (0, 0, 65535)
    bgr[0, 1] = (65535, 65535, 65535)
    pixels = _load(_write(tmp_path / "rgb16.png", bgr))
    np.testing.assert_allclose(pixels[0], [0.299, 1.0], atol=1e-6)


def test_rgba_alpha_is_dropped(tmp_path: Path, rng: np.random.Generator) -> None:
    bgr = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (H, W, 1), dtype=np.uint8)
    opaque = _load(_write(tmp_path / "rgb.png", bgr))
    with_alpha = _load(_write(tmp_path / "rgba.png", np.concatenate([bgr, alpha], axis=2)))
    np.testing.assert_allclose(with_alpha, opaque, atol=1e-6)


def test_palette_png(tmp_path: Path) -> None:
    plte = bytes([0, 0, 0, 255, 255, 255, 255, 0, 0])  # black, white, red
    rows = b"".join(b"\x00" + bytes(r) for r in ([0, 1, 2], [2, 1, 0]))  # filter byte + indices
    path = tmp_path / "pal.png"
    path.write_bytes(_png(3, 2, 3, rows, plte))
    pixels = _load(path)
    np.testing.assert_allclose(pixels, [[0.0, 1.0, 0.299], [0.299, 1.0, 0.0]], atol=1e-6)


def test_jpeg_close_to_source(tmp_path: Path) -> None:
    # JPEG is lossy: use a smooth image at high quality and compare loosely.
    y, x = np.mgrid[0:64, 0:80]
    img = (x * 3 + y).astype(np.uint8)
    pixels = _load(_write(tmp_path / "g.jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 98]))
    assert np.abs(pixels - img / 255).max() < 0.03
    colour = np.dstack([img, img, img])
    pixels_rgb = _load(_write(tmp_path / "c.jpeg", colour, [cv2.IMWRITE_JPEG_QUALITY, 98]))
    assert np.abs(pixels_rgb - img / 255).max() < 0.03


def test_unicode_and_spaces_in_path(tmp_path: Path, rng: np.random.Generator) -> None:
    img = rng.integers(0, 256, (H, W), dtype=np.uint8)
    path = _write(tmp_path / "réseau ü" / "bild 1.png", img)
    np.testing.assert_array_equal(_load(path), img / np.float32(255))
    assert list_images(path.parent) == [path]


def test_accepts_str_path(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.png", np.array([[51, 0], [0, 0]], np.uint8))
    image = load_image(str(path))
    assert image.path == path and image.pixels[0, 0] == pytest.approx(0.2)


# --- refusals -----------------------------------------------------------------


def _error(path: Path, **kwargs: int) -> str:
    with pytest.raises(ImageReadError) as info:
        load_image(path, **kwargs)
    message = str(info.value)
    assert path.name in message  # every message names the file
    return message


def test_huge_image_refused_before_decoding(tmp_path: Path) -> None:
    # Valid header declaring 30000x30000, but only a few bytes of data: if the
    # loader tried to decode, it would fail differently (or allocate 900 MB).
    path = tmp_path / "huge.png"
    path.write_bytes(_png(30000, 30000, 0, b"\x00" * 10))
    message = _error(path)
    assert "30000x30000" in message
    assert f"{MAX_PIXELS:,}" in message


def test_max_pixels_argument(tmp_path: Path) -> None:
    path = _write(tmp_path / "small.png", np.eye(100, dtype=np.uint8))
    message = _error(path, max_pixels=9_999)
    assert "100x100" in message and "9,999" in message
    assert load_image(path, max_pixels=10_000).width == 100


def test_zero_byte(tmp_path: Path) -> None:
    path = tmp_path / "zero.png"
    path.write_bytes(b"")
    assert "0 bytes" in _error(path)


def test_text_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.write_text("this is not a picture", encoding="utf-8")
    message = _error(path)
    assert "not an image" in message and "text" in message


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_truncated_png(tmp_path: Path, rng: np.random.Generator, fraction: float) -> None:
    img = rng.integers(0, 256, (H, W), dtype=np.uint8)
    data = _write(tmp_path / "full.png", img).read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: int(len(data) * fraction)])
    assert "truncated or corrupt" in _error(path)


@pytest.mark.parametrize("cut", [2, 200, "half"])
def test_truncated_jpeg(tmp_path: Path, cut: int | str) -> None:
    y, x = np.mgrid[0:64, 0:80]
    data = _write(tmp_path / "full.jpg", (x * 3 + y).astype(np.uint8)).read_bytes()
    n = len(data) // 2 if cut == "half" else len(data) - int(cut)
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[:n])
    assert "truncated" in _error(path)


def test_jpeg_with_trailing_bytes_after_eoi_loads(tmp_path: Path) -> None:
    img = np.full((8, 8), 128, np.uint8)
    img[7, 7] = 0
    path = _write(tmp_path / "trail.jpg", img)
    path.write_bytes(path.read_bytes() + b"\x00" * 64)  # padding some scanners add
    assert _load(path)[0, 0] == pytest.approx(128 / 255, abs=0.01)


def test_a_blank_image_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "blank.png", np.full((6, 5), 17, np.uint8))
    assert "blank (every pixel has the same value)" in _error(path)


def test_corrupt_png_data(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.png"
    path.write_bytes(_png(4, 4, 0, b"\x00" * 3))  # valid header, too few rows
    assert "truncated or corrupt" in _error(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert "does not exist" in _error(tmp_path / "missing.png")
    folder = tmp_path / "folder.png"
    folder.mkdir()
    assert "folder" in _error(folder)


@pytest.mark.skipif(
    sys.platform == "win32" or (hasattr(os, "geteuid") and os.geteuid() == 0),
    reason="file permissions do not stop root (or work differently on Windows)",
)
def test_permission_denied(tmp_path: Path) -> None:
    path = _write(tmp_path / "locked.png", np.zeros((2, 2), np.uint8))
    path.chmod(0)
    try:
        assert "permission denied" in _error(path)
    finally:
        path.chmod(0o644)


def test_permission_denied_message_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "locked2.png", np.zeros((2, 2), np.uint8))

    def deny(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", deny)
    assert "permission denied" in _error(path)


# --- is_image_file / list_images ----------------------------------------------


def test_is_image_file(tmp_path: Path) -> None:
    for name in ("a.png", "b.JPG", "c.jpeg", "d.bmp", "e.TIF", "f.tiff", "g.dcm"):
        assert is_image_file(tmp_path / name), name  # by suffix; need not exist
    assert ".png" in IMAGE_SUFFIXES and "" in IMAGE_SUFFIXES
    readme = tmp_path / "README"
    readme.write_text("hello", encoding="utf-8")
    assert not is_image_file(readme)
    assert not is_image_file(tmp_path / "notes.txt")
    folder = tmp_path / "dir.png"
    folder.mkdir()
    assert not is_image_file(folder)
    fake_dicom = tmp_path / "IM0001"
    fake_dicom.write_bytes(b"\0" * 128 + b"DICM" + b"\0" * 16)
    assert is_image_file(fake_dicom)


def test_list_images_natural_order_hidden_and_others_skipped(tmp_path: Path) -> None:
    img = np.zeros((2, 2), np.uint8)
    names = ["img10.png", "img2.png", "IMG1.jpg", "img3.bmp"]
    for name in names:
        _write(tmp_path / name, img)
    _write(tmp_path / ".hidden.png", img)
    _write(tmp_path / "sub" / "nested.png", img)
    (tmp_path / "labels.csv").write_text("a,b\n", encoding="utf-8")
    (tmp_path / "dir.png").mkdir()
    found = list_images(tmp_path)
    assert [p.name for p in found] == ["IMG1.jpg", "img2.png", "img3.bmp", "img10.png"]
    assert all(p.parent == tmp_path for p in found)


def test_list_images_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="does not exist"):
        list_images(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImageReadError, match="no images"):
        list_images(empty)
    (empty / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ImageReadError, match=r"no images \(1 other files\)"):
        list_images(empty)
    with pytest.raises(ImageReadError, match="not a folder"):
        list_images(empty / "notes.txt")


# --- no pydicom, no Qt ---------------------------------------------------------


def test_works_without_pydicom_and_never_imports_qt(tmp_path: Path) -> None:
    png = _write(tmp_path / "p.png", np.array([[255, 0], [0, 0]], np.uint8))
    dcm = tmp_path / "d.dcm"
    dcm.write_bytes(b"\0" * 128 + b"DICM" + b"\0" * 16)
    code = f"""
import sys
sys.modules["pydicom"] = None  # makes "import pydicom" raise ImportError
from engine.data.images import load_image
from engine.errors import ImageReadError
assert load_image({str(png)!r}).pixels.max() == 1.0
try:
    load_image({str(dcm)!r})
except ImageReadError as exc:
    assert "pip install pydicom" in str(exc), exc
else:
    raise AssertionError("DICOM loaded without pydicom")
assert not any(m.startswith(("PySide6", "PyQt", "shiboken")) for m in sys.modules)
print("ok")
"""
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_float_tiff_with_nan_or_inf_pixels_is_refused_saying_how_many(
        tmp_path: Path, rng: np.random.Generator) -> None:
    # They were set to 0 silently: black "tissue" in the viewer and in training.
    from engine.data.display import load_display

    img = rng.uniform(0, 1000, (H, W)).astype(np.float32)
    img[0, :3] = np.nan
    img[1, 0] = np.inf
    path = _write(tmp_path / "f.tif", img)
    for load in (_load, load_display):
        with pytest.raises(ImageReadError, match="holds 3 NaN and 1 infinite pixel value"):
            load(path)
    img[:2] = 5.0
    assert _load(_write(tmp_path / "ok.tif", img)).shape == (H, W)


@pytest.mark.parametrize("orientation", [1, 3, 5, 6, 8])
def test_a_tiff_orientation_tag_turns_it_as_viewers_do(tmp_path: Path, rng: np.random.Generator,
                                                        orientation: int) -> None:
    # It was refused as corrupt: OpenCV turns a TIFF by its tag, the header check did not.
    from PIL import Image

    from engine.data.display import load_display, load_thumbnail
    from engine.data.header import read_image_size
    from engine.data.images import orient

    stored = rng.integers(0, 256, (H, W), dtype=np.uint8)
    path = tmp_path / f"o{orientation}.tif"
    Image.fromarray(stored).save(path, tiffinfo={274: orientation})
    shown = orient(stored, orientation)
    np.testing.assert_allclose(_load(path) * 255, shown, atol=0.6)
    np.testing.assert_array_equal(load_display(path).values, shown)
    assert read_image_size(path) == (shown.shape[1], shown.shape[0])
    thumb = load_thumbnail(path, 32)
    assert (thumb.shape[0] > thumb.shape[1]) == (shown.shape[0] > shown.shape[1])
