"""load_display / load_thumbnail / value_at / render_window on small synthetic files."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from engine.data.display import (
    AUTO,
    FULL_RANGE,
    DisplayImage,
    WindowPreset,
    load_display,
    load_thumbnail,
    render_window,
    value_at,
)
from engine.data.images import load_image
from engine.errors import ImageReadError

W, H = 37, 23


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(4321)


def _write(path: Path, img: np.ndarray, params: list[int] | None = None) -> Path:
    ok, buf = cv2.imencode(path.suffix, img, params or [])
    assert ok
    buf.tofile(path)
    return path


def _radiograph(height: int, width: int, peak: float) -> np.ndarray:
    """A smooth picture with structure: a diagonal ramp plus a bright off-centre disc."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = (xx / width + yy / height) / 2
    disc = ((xx - 0.3 * width) ** 2 + (yy - 0.6 * height) ** 2) < (0.15 * min(width, height)) ** 2
    return (0.7 * ramp + 0.3 * disc) * peak


def _display(path: Path) -> DisplayImage:
    image = load_display(path)
    assert image.values.dtype == np.float32 and image.values.flags.c_contiguous
    assert image.values.shape == (image.height, image.width)
    assert not image.values.flags.writeable
    assert image.presets and image.path == path
    return image


def _names(image: DisplayImage) -> list[str]:
    return [p.name for p in image.presets]


# --- rasters ----------------------------------------------------------------


def test_8bit_png_values_are_stored_values(tmp_path: Path, rng: np.random.Generator) -> None:
    img = rng.integers(0, 256, (H, W), dtype=np.uint8)
    image = _display(_write(tmp_path / "g.png", img))
    np.testing.assert_array_equal(image.values, img)
    assert (image.width, image.height) == (W, H)
    assert image.value_range == (0.0, 255.0)
    assert _names(image) == [FULL_RANGE, AUTO]
    assert image.presets[0] == WindowPreset(FULL_RANGE, 127.5, 255.0)
    lo, hi = np.percentile(img, [0.5, 99.5])
    assert image.presets[1].centre == pytest.approx((lo + hi) / 2)
    assert image.presets[1].width == pytest.approx(hi - lo)
    assert not image.invert and image.spacing is None and image.unit == ""


def test_16bit_png_with_12bit_data_defaults_to_auto(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    img = rng.integers(0, 4096, (H, W), dtype=np.uint16)
    image = _display(_write(tmp_path / "g16.png", img))
    np.testing.assert_array_equal(image.values, img)
    assert image.value_range == (0.0, 65535.0)
    assert _names(image) == [AUTO, FULL_RANGE]
    assert image.presets[0].width < 4096


def test_16bit_png_using_its_range_defaults_to_full_range(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    img = rng.integers(0, 65536, (H, W), dtype=np.uint16)
    image = _display(_write(tmp_path / "full16.png", img))
    np.testing.assert_array_equal(image.values, img)
    assert _names(image) == [FULL_RANGE, AUTO]


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_same_grid_and_grey_as_load_image(tmp_path: Path, suffix: str) -> None:
    img = np.round(_radiograph(H, W, 255)).astype(np.uint8)
    path = _write(tmp_path / f"g{suffix}", img)
    image = _display(path)
    full = image.presets[0]
    assert full.name == FULL_RANGE
    rendered = render_window(image.values, full.centre, full.width).astype(np.float32) / 255
    np.testing.assert_allclose(rendered, load_image(path).pixels, atol=0.6 / 255)


def test_colour_becomes_luma_in_stored_units(tmp_path: Path) -> None:
    bgr = np.zeros((2, 3, 3), np.uint8)
    bgr[0, 0] = (0, 0, 255)  # red
    bgr[0, 1] = (0, 255, 0)  # green
    bgr[0, 2] = (255, 0, 0)  # blue
    bgr[1] = 200
    path = _write(tmp_path / "c.png", bgr)
    image = _display(path)
    expected = [[0.299 * 255, 0.587 * 255, 0.114 * 255], [200, 200, 200]]
    np.testing.assert_allclose(image.values, expected, atol=0.01)
    np.testing.assert_allclose(image.values / 255, load_image(path).pixels, atol=1e-6)


# --- DICOM ------------------------------------------------------------------


def _dicom(path: Path, pixels: np.ndarray, photometric: str = "MONOCHROME2", **attrs: Any) -> Path:
    """An uncompressed DICOM Part 10 file (as tests/engine/data/test_dicom.py writes them)."""
    pydicom = pytest.importorskip("pydicom")
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # secondary capture
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = pixels.shape[:2]
    ds.SamplesPerPixel = 3 if pixels.ndim == 3 else 1
    if pixels.ndim == 3:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    bits = pixels.dtype.itemsize * 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits, bits - 1
    ds.PixelRepresentation = int(pixels.dtype.kind == "i")
    for key, value in attrs.items():
        setattr(ds, key, value)
    ds.PixelData = pixels.tobytes()
    if int(pydicom.__version__.split(".")[0]) >= 3:
        ds.save_as(path, enforce_file_format=True)
    else:
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(path, write_like_original=False)
    return path


STORED = np.array([[0, 532, 4000], [100, 200, 300]], dtype=np.uint16)


def test_dicom_windows_in_file_order_then_auto_and_full(tmp_path: Path) -> None:
    attrs = dict(
        WindowCenter=[40, 400],
        WindowWidth=[400, 2000],
        WindowCenterWidthExplanation=["SOFT TISSUE", "BONE"],
        PixelSpacing=[0.1, 0.2],
    )
    image = _display(_dicom(tmp_path / "w.dcm", STORED, **attrs))
    assert image.presets[:2] == (
        WindowPreset("SOFT TISSUE", 40.0, 400.0),
        WindowPreset("BONE", 400.0, 2000.0),
    )
    assert _names(image)[2:] == [AUTO, FULL_RANGE]
    assert image.presets[-1] == WindowPreset(FULL_RANGE, 2000.0, 4000.0)
    assert image.value_range == (0.0, 4000.0)
    assert image.spacing is not None and image.spacing.row_mm == pytest.approx(0.1)


def test_dicom_windows_without_explanation_are_numbered(tmp_path: Path) -> None:
    image = _display(
        _dicom(tmp_path / "n.dcm", STORED, WindowCenter=[40, 400], WindowWidth=[400, 2000])
    )
    assert _names(image) == ["File window 1", "File window 2", AUTO, FULL_RANGE]


def test_dicom_without_windows_defaults_to_full_range(tmp_path: Path) -> None:
    image = _display(_dicom(tmp_path / "plain.dcm", STORED))
    assert _names(image) == [FULL_RANGE, AUTO]


def test_rescale_is_applied_and_hu_reported(tmp_path: Path) -> None:
    attrs = dict(RescaleSlope=2, RescaleIntercept=-1024, RescaleType="HU")
    image = _display(_dicom(tmp_path / "ct.dcm", STORED, **attrs))
    np.testing.assert_array_equal(image.values, STORED.astype(np.float32) * 2 - 1024)
    assert image.value_range == (-1024.0, 6976.0)
    assert image.unit == "HU"
    assert value_at(image, 1, 0) == 40.0


def test_rescale_without_hu_has_no_unit(tmp_path: Path) -> None:
    image = _display(_dicom(tmp_path / "r.dcm", STORED, RescaleSlope=3, RescaleIntercept=0))
    np.testing.assert_array_equal(image.values, STORED.astype(np.float32) * 3)
    assert image.unit == ""


def test_monochrome1_inverts_display_not_values(tmp_path: Path) -> None:
    path = _dicom(tmp_path / "m1.dcm", STORED, photometric="MONOCHROME1")
    image = _display(path)
    assert image.invert
    np.testing.assert_array_equal(image.values, STORED)
    thumb = load_thumbnail(path)
    assert thumb[0, 0] == 255 and thumb[0, 2] == 0  # lowest value shown white


def test_voi_lut_is_a_window_over_its_input_range(tmp_path: Path) -> None:
    from pydicom.dataset import Dataset

    item = Dataset()
    item.LUTDescriptor = [4, 10, 8]  # 4 entries from input 10, 8-bit output
    item.add_new(0x00283006, "US", [0, 64, 128, 255])  # LUTData
    attrs = dict(VOILUTSequence=[item], WindowCenter=40, WindowWidth=400)
    image = _display(_dicom(tmp_path / "lut.dcm", STORED, **attrs))
    lut = image.presets[0]
    assert lut.centre - lut.width / 2 == pytest.approx(9.5)  # input 10 and up
    assert lut.centre + lut.width / 2 == pytest.approx(13.5)  # up to input 13
    assert image.presets[1] == WindowPreset("File window 1", 40.0, 400.0)


def test_rgb_dicom_is_luma_0_to_255(tmp_path: Path) -> None:
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]], dtype=np.uint8)
    image = _display(_dicom(tmp_path / "rgb.dcm", rgb, photometric="RGB", WindowCenter=1))
    np.testing.assert_allclose(image.values, [[76.245, 149.685, 29.07, 255.0]], atol=1e-3)
    assert _names(image) == [FULL_RANGE, AUTO]  # windows are for monochrome data


# --- thumbnails --------------------------------------------------------------


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel().astype(np.float64), b.ravel().astype(np.float64))[0, 1])


def _exif_orientation_6(jpeg: bytes) -> bytes:
    """Insert an EXIF APP1 saying "rotate 90° clockwise to display" after SOI."""
    ifd = struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack("<I", 0)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


@pytest.mark.parametrize(
    "suffix,dtype,peak",
    [(".jpg", np.uint8, 255), (".png", np.uint8, 255), (".png", np.uint16, 4095)],
)
def test_thumbnail_fits_and_looks_like_the_image(
    tmp_path: Path, suffix: str, dtype: type, peak: int
) -> None:
    img = np.round(_radiograph(600, 800, peak)).astype(dtype)  # JPEG: decoded at 1/4
    path = _write(tmp_path / f"t{suffix}", img)
    thumb = load_thumbnail(path, 160)
    assert thumb.dtype == np.uint8 and thumb.shape == (120, 160)
    image = load_display(path)
    default = image.presets[0]
    expected = cv2.resize(
        render_window(image.values, default.centre, default.width),
        (160, 120),
        interpolation=cv2.INTER_AREA,
    )
    assert _correlation(thumb, expected) > 0.98
    assert np.abs(thumb.astype(int) - expected).mean() < 3  # the same window, not just the shape


def test_thumbnail_applies_exif_orientation_like_the_full_image(tmp_path: Path) -> None:
    img = np.round(_radiograph(600, 800, 255)).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", img)
    path = tmp_path / "rotated.jpg"
    path.write_bytes(_exif_orientation_6(buf.tobytes()))
    assert load_display(path).values.shape == (800, 600)
    assert load_thumbnail(path, 160).shape == (160, 120)


def test_small_image_thumbnail_keeps_its_size(tmp_path: Path, rng: np.random.Generator) -> None:
    img = rng.integers(0, 256, (H, W), dtype=np.uint8)
    np.testing.assert_array_equal(load_thumbnail(_write(tmp_path / "s.png", img), 160), img)


# --- value_at and render_window ------------------------------------------------


def test_value_at_pixel_centres_and_outside(tmp_path: Path) -> None:
    img = np.arange(W * H, dtype=np.uint16).reshape(H, W)
    image = _display(_write(tmp_path / "v.png", img))
    assert value_at(image, 0, 0) == 0.0
    assert value_at(image, 5, 3) == float(img[3, 5])
    assert value_at(image, 5.49, 2.51) == float(img[3, 5])
    assert value_at(image, W - 1, H - 1) == float(img[-1, -1])
    assert value_at(image, -0.49, -0.49) == 0.0
    for x, y in [(-0.51, 0), (0, -0.51), (W - 0.5, 0), (0, H - 0.5), (float("nan"), 0)]:
        assert value_at(image, x, y) is None


def test_render_window_endpoints_and_invert() -> None:
    values = np.array([[-100.0, 0.0, 50.0, 100.0, 300.0]], dtype=np.float32)
    out = render_window(values, centre=50.0, width=100.0)
    assert out.dtype == np.uint8 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, [[0, 0, 128, 255, 255]])
    inverted = render_window(values, 50.0, 100.0, invert=True)
    np.testing.assert_array_equal(inverted, [[255, 255, 128, 0, 0]])  # 127.5 either way


# --- errors -------------------------------------------------------------------


def _error(path: Path) -> str:
    for load in (load_display, load_thumbnail):
        with pytest.raises(ImageReadError) as info:
            load(path)
        assert path.name in str(info.value)
    return str(info.value)


def test_truncated_jpeg(tmp_path: Path) -> None:
    ok, buf = cv2.imencode(".jpg", np.round(_radiograph(600, 800, 255)).astype(np.uint8))
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.tobytes()[: len(buf) // 2])
    assert "truncated" in _error(path)


def test_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("these are my notes, not a radiograph\n")
    assert "not an image" in _error(path)


def test_pixel_limit_is_checked_before_decoding(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.png", np.zeros((H, W), np.uint8))
    with pytest.raises(ImageReadError, match="over the limit"):
        load_display(path, max_pixels=W * H - 1)
    with pytest.raises(ImageReadError, match="over the limit"):
        load_thumbnail(path, max_pixels=W * H - 1)
