"""DICOM reading: LUTs, windowing, inversion, colour, frames, spacing, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")

from pydicom.dataset import Dataset, FileDataset, FileMetaDataset  # noqa: E402
from pydicom.encaps import encapsulate  # noqa: E402
from pydicom.uid import (  # noqa: E402
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLosslessSV1,
    generate_uid,
)

from engine.data.dicom import read_dicom, read_dicom_size, spacing_from_dataset  # noqa: E402
from engine.data.images import is_image_file, load_image  # noqa: E402
from engine.data.spacing import Spacing  # noqa: E402
from engine.errors import ImageReadError  # noqa: E402

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
PYDICOM_3 = int(pydicom.__version__.split(".")[0]) >= 3


def _save(ds: FileDataset, path: Path) -> None:
    if PYDICOM_3:
        ds.save_as(path, enforce_file_format=True)
    else:  # pydicom 2.x
        ds.is_little_endian = True
        ds.is_implicit_VR = False
        ds.save_as(path, write_like_original=False)


def write_dicom(
    path: Path,
    frames: np.ndarray,
    *,
    photometric: str = "MONOCHROME2",
    transfer_syntax: str = ExplicitVRLittleEndian,
    encapsulated: bytes | None = None,
    pixel_data: bool = True,
    **attrs: Any,
) -> Path:
    """Write ``frames`` ((F,) H, W (, 3)) as a DICOM Part 10 file; extra attributes via kwargs."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SECONDARY_CAPTURE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = transfer_syntax
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = SECONDARY_CAPTURE
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    samples = 3 if photometric in ("RGB", "YBR_FULL") else 1
    shape = frames.shape[:-1] if samples == 3 else frames.shape
    if len(shape) == 3:
        ds.NumberOfFrames = shape[0]
    ds.Rows, ds.Columns = shape[-2:]
    ds.SamplesPerPixel = samples
    if samples == 3:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    bits = frames.dtype.itemsize * 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits, bits - 1
    ds.PixelRepresentation = int(frames.dtype.kind == "i")
    for key, value in attrs.items():
        setattr(ds, key, value)
    if encapsulated is not None:
        ds.PixelData = encapsulate([encapsulated])
        ds["PixelData"].VR = "OB"
    elif pixel_data:
        ds.PixelData = frames.tobytes()
    _save(ds, path)
    return path


# Stored -> modality (x2 - 1024) -> window 40/400 (LINEAR): stored 532 is HU 40,
# the window centre, which maps to (40 - 39.5) / 399 + 0.5.
STORED = np.array([[0, 532, 4000], [100, 200, 300]], dtype=np.uint16)
CENTRE_VALUE = 0.5 / 399 + 0.5
RESCALE_WINDOW = dict(RescaleSlope=2, RescaleIntercept=-1024, WindowCenter=40, WindowWidth=400)


def test_16bit_monochrome2_rescale_and_window(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "ct.dcm", STORED, **RESCALE_WINDOW)
    pixels, spacing = read_dicom(path)
    assert pixels.dtype == np.float32 and pixels.shape == (2, 3)
    assert pixels[0, 0] == 0.0  # HU -1024, below the window
    assert pixels[0, 1] == pytest.approx(CENTRE_VALUE, abs=1e-6)
    assert pixels[0, 2] == 1.0  # HU 6976, above the window
    # HU -824, -624, -424 are all below the window: the rescale was applied.
    assert np.all(pixels[1] == 0.0)
    assert spacing is None


def test_first_of_several_windows_is_used(tmp_path: Path) -> None:
    attrs = dict(RESCALE_WINDOW, WindowCenter=[40, 400], WindowWidth=[400, 2000])
    pixels, _ = read_dicom(write_dicom(tmp_path / "w.dcm", STORED, **attrs))
    assert pixels[0, 1] == pytest.approx(CENTRE_VALUE, abs=1e-6)


def test_sigmoid_window(tmp_path: Path) -> None:
    attrs = dict(RESCALE_WINDOW, VOILUTFunction="SIGMOID")
    pixels, _ = read_dicom(write_dicom(tmp_path / "s.dcm", STORED, **attrs))
    assert pixels[0, 1] == pytest.approx(0.5, abs=1e-6)  # exactly at the centre


def test_no_window_is_min_max_after_rescale(tmp_path: Path) -> None:
    stored = np.array([[0, 100, 200]], dtype=np.uint16)
    pixels, _ = read_dicom(write_dicom(tmp_path / "mm.dcm", stored, RescaleSlope=3))
    np.testing.assert_allclose(pixels, [[0.0, 0.5, 1.0]], atol=1e-6)


def test_signed_pixels(tmp_path: Path) -> None:
    stored = np.array([[-1000, 0, 1000]], dtype=np.int16)
    pixels, _ = read_dicom(write_dicom(tmp_path / "signed.dcm", stored))
    np.testing.assert_allclose(pixels, [[0.0, 0.5, 1.0]], atol=1e-6)


def test_monochrome1_is_inverted(tmp_path: Path) -> None:
    stored = np.array([[0, 100, 4000]], dtype=np.uint16)
    pixels, _ = read_dicom(write_dicom(tmp_path / "m1.dcm", stored, photometric="MONOCHROME1"))
    assert pixels[0, 2] == 0.0  # the brightest stored value displays dark
    assert pixels[0, 0] == 1.0
    assert pixels[0, 1] == pytest.approx(1 - 100 / 4000, abs=1e-6)


@pytest.mark.parametrize("spelling", ["monochrome1", " Monochrome1 "])
def test_monochrome1_in_another_spelling_reads_as_monochrome1(tmp_path: Path, spelling) -> None:
    # pydicom's decoders refused a lower-case value, reported as "may be truncated".
    stored = np.array([[0, 100, 4000]], dtype=np.uint16)
    standard, _ = read_dicom(write_dicom(tmp_path / "m1.dcm", stored, photometric="MONOCHROME1"))
    pixels, _ = read_dicom(write_dicom(tmp_path / "m1l.dcm", stored, photometric=spelling))
    np.testing.assert_array_equal(pixels, standard)


def test_monochrome1_with_window_inverts_after_windowing(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "m1w.dcm", STORED, photometric="MONOCHROME1", **RESCALE_WINDOW)
    pixels, _ = read_dicom(path)
    assert pixels[0, 0] == 1.0 and pixels[0, 2] == 0.0
    assert pixels[0, 1] == pytest.approx(1 - CENTRE_VALUE, abs=1e-6)


def test_voi_lut_sequence(tmp_path: Path) -> None:
    item = Dataset()
    item.LUTDescriptor = [4, 0, 8]  # 4 entries, first input value 0, 8-bit output
    item.add_new(0x00283006, "US", [0, 64, 128, 255])  # LUTData
    stored = np.array([[0, 1, 3, 9]], dtype=np.uint16)
    path = write_dicom(tmp_path / "lut.dcm", stored, VOILUTSequence=[item])
    pixels, _ = read_dicom(path)
    # Values past the LUT's last entry take that entry.
    np.testing.assert_allclose(pixels, [[0.0, 64 / 255, 1.0, 1.0]], atol=1e-6)


def test_8bit_rgb(tmp_path: Path) -> None:
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]], dtype=np.uint8)
    pixels, _ = read_dicom(write_dicom(tmp_path / "rgb.dcm", rgb, photometric="RGB"))
    np.testing.assert_allclose(pixels, [[0.299, 0.587, 0.114, 1.0]], atol=1e-6)


def test_palette_colour(tmp_path: Path) -> None:
    # 3-entry, 16-bit palette: index 0 black, 1 red, 2 white.
    red, green, blue = [0, 65535, 65535], [0, 0, 65535], [0, 0, 65535]
    attrs: dict[str, Any] = {}
    for name, table in (("Red", red), ("Green", green), ("Blue", blue)):
        attrs[f"{name}PaletteColorLookupTableDescriptor"] = [3, 0, 16]
        attrs[f"{name}PaletteColorLookupTableData"] = np.array(table, "<u2").tobytes()
    indices = np.array([[0, 1, 2]], dtype=np.uint8)
    path = write_dicom(tmp_path / "pal.dcm", indices, photometric="PALETTE COLOR", **attrs)
    pixels, _ = read_dicom(path)
    np.testing.assert_allclose(pixels, [[0.0, 0.299, 1.0]], atol=1e-6)


def test_ybr_full_uses_luma(tmp_path: Path) -> None:
    ybr = np.array([[[100, 128, 128], [200, 128, 128]]], dtype=np.uint8)  # neutral greys
    pixels, _ = read_dicom(write_dicom(tmp_path / "ybr.dcm", ybr, photometric="YBR_FULL"))
    np.testing.assert_allclose(pixels, [[100 / 255, 200 / 255]], atol=1.5 / 255)


def test_multiframe_takes_first_frame(tmp_path: Path) -> None:
    frames = np.stack([np.array([[0, 50, 100]]), np.full((1, 3), 7), np.full((1, 3), 9)])
    path = write_dicom(tmp_path / "mf.dcm", frames.astype(np.uint16))
    pixels, _ = read_dicom(path)
    np.testing.assert_allclose(pixels, [[0.0, 0.5, 1.0]], atol=1e-6)


# --- spacing ----------------------------------------------------------------


@pytest.mark.parametrize(
    "attrs,expected",
    [
        (dict(PixelSpacing=[0.1, 0.2]), Spacing(0.1, 0.2, "PixelSpacing")),
        (dict(ImagerPixelSpacing=[0.15, 0.15]), Spacing(0.15, 0.15, "ImagerPixelSpacing")),
        (
            dict(PixelSpacing=[0.1, 0.2], ImagerPixelSpacing=[0.3, 0.3]),
            Spacing(0.1, 0.2, "PixelSpacing"),
        ),
        (
            dict(PixelSpacing=[0, 0], ImagerPixelSpacing=[0.3, 0.3]),
            Spacing(0.3, 0.3, "ImagerPixelSpacing"),
        ),
        ({}, None),
        (dict(PixelSpacing=[0, 0]), None),
        # A damaged tag is no spacing: lengths would be inf or 0 mm.
        (dict(PixelSpacing=[1e308, 1e308]), None),
        (dict(PixelSpacing=[1e-300, 1e-300], ImagerPixelSpacing=[0.2, 0.2]),
         Spacing(0.2, 0.2, "ImagerPixelSpacing")),
    ],
)
def test_spacing(tmp_path: Path, attrs: dict[str, Any], expected: Spacing | None) -> None:
    path = write_dicom(tmp_path / "sp.dcm", STORED, **attrs)
    image = load_image(path)
    assert image.spacing == expected
    assert image.width == 3 and image.height == 2


def test_spacing_from_enhanced_functional_groups() -> None:
    measures = Dataset()
    measures.PixelSpacing = [0.25, 0.5]
    shared = Dataset()
    shared.PixelMeasuresSequence = [measures]
    ds = Dataset()
    ds.SharedFunctionalGroupsSequence = [shared]
    ds.ImagerPixelSpacing = [0.3, 0.3]
    assert spacing_from_dataset(ds) == Spacing(0.25, 0.5, "PixelSpacing")


# --- files without extension / preamble ---------------------------------------


def test_extensionless_dicom_is_found_and_loaded(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "IM0001", STORED, **RESCALE_WINDOW)
    assert is_image_file(path)
    assert is_image_file(write_dicom(tmp_path / "1.2.840.113619.2.1", STORED))
    image = load_image(path)
    assert image.pixels[0, 1] == pytest.approx(CENTRE_VALUE, abs=1e-6)
    assert read_dicom_size(path) == (3, 2)


@pytest.mark.skipif(not PYDICOM_3, reason="dcmwrite keyword arguments of pydicom 3")
def test_dicom_without_preamble_named_dcm(tmp_path: Path) -> None:
    full = pydicom.dcmread(write_dicom(tmp_path / "full.dcm", STORED, PixelSpacing=[0.1, 0.1]))
    bare = Dataset()
    bare.update(full)  # no file meta, no preamble: an old-style raw dataset
    path = tmp_path / "bare.dcm"
    pydicom.dcmwrite(path, bare, implicit_vr=True, little_endian=True)
    assert path.read_bytes()[128:132] != b"DICM"
    image = load_image(path)
    np.testing.assert_allclose(image.pixels, read_dicom(tmp_path / "full.dcm")[0])
    assert image.spacing == Spacing(0.1, 0.1, "PixelSpacing")


# --- errors -----------------------------------------------------------------


def _load_error(path: Path) -> str:
    with pytest.raises(ImageReadError) as info:
        load_image(path)
    message = str(info.value)
    assert path.name in message
    return message


def test_no_pixel_data(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "nopix.dcm", STORED, pixel_data=False)
    assert "without pixel data" in _load_error(path)


def test_truncated_pixel_data(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "short.dcm", STORED)
    ds = pydicom.dcmread(path)
    ds.PixelData = ds.PixelData[:4]
    ds.save_as(path)
    assert "truncated" in _load_error(path)


@pytest.mark.parametrize("syntax", [JPEGLosslessSV1, JPEG2000Lossless])
def test_compressed_with_bogus_data(tmp_path: Path, syntax: str) -> None:
    path = write_dicom(
        tmp_path / "comp.dcm", STORED, transfer_syntax=syntax, encapsulated=b"\xff\xd8 not jpeg"
    )
    message = _load_error(path)
    # Either "no decoder installed" or "decoding failed", depending on what is
    # installed; both must name the syntax and a package that decodes it.
    assert "compressed" in message
    assert str(syntax) in message
    assert "pip install pylibjpeg" in message
    assert "openjpeg" in message if syntax == JPEG2000Lossless else "libjpeg" in message


def test_random_bytes_named_dcm(tmp_path: Path) -> None:
    path = tmp_path / "noise.dcm"
    path.write_bytes(np.random.default_rng(1).bytes(600))
    assert "not a DICOM" in _load_error(path)


def test_dicom_without_image_attributes(tmp_path: Path) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"  # basic text SR
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("sr", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    path = tmp_path / "report.dcm"
    _save(ds, path)
    assert "without an image" in _load_error(path)
