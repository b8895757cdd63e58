"""Damaged and forged images: a clear ImageReadError naming the file, or the right pixels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from bad_files import (
    dicom_bytes,
    encoded,
    radiograph,
    set_dicom_text,
    with_exif_orientation,
    with_jpeg_size,
)

from engine.data.display import load_display, load_thumbnail
from engine.data.header import read_image_size
from engine.data.images import load_image
from engine.errors import ImageReadError

LOADERS = (load_image, load_display, load_thumbnail)


def _refused(path: Path, *words: str) -> None:
    for loader in LOADERS:
        with pytest.raises(ImageReadError) as info:
            loader(path)
        assert str(path) in str(info.value)
        for word in words:
            assert word in str(info.value)


def test_jpeg_damaged_in_the_middle_is_refused(tmp_path: Path) -> None:
    data = bytearray(encoded(".jpg", radiograph(256, 256)))
    mid = len(data) // 2
    data[mid:mid + 20] = b"\x55" * 20   # libjpeg only warns and decodes on
    path = tmp_path / "mid.jpg"
    path.write_bytes(bytes(data))
    _refused(path, "damaged JPEG", "Corrupt JPEG data")


def test_jpeg_claiming_a_huge_size_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.jpg"
    path.write_bytes(with_jpeg_size(encoded(".jpg", radiograph()), 12000, 12000))
    with pytest.raises(ImageReadError, match="damaged JPEG"):
        load_image(path)


def test_a_decoder_warning_is_not_printed_as_a_bare_line(tmp_path: Path, capfd) -> None:
    data = bytearray(encoded(".jpg", radiograph(256, 256)))
    data[len(data) // 2:len(data) // 2 + 20] = b"\x55" * 20
    path = tmp_path / "mid.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageReadError):
        load_image(path)
    assert "Corrupt JPEG" not in capfd.readouterr().err   # it is in the error, with the file


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_as_viewers_do(tmp_path: Path, orientation: int) -> None:
    stored = radiograph(48, 64)
    path = tmp_path / f"o{orientation}.jpg"
    path.write_bytes(with_exif_orientation(encoded(".jpg", stored), orientation))
    # OpenCV's IMREAD_GRAYSCALE applies EXIF orientation like image viewers do.
    shown = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_GRAYSCALE)
    image = load_image(path)
    assert image.orientation == orientation
    assert (image.width, image.height) == (shown.shape[1], shown.shape[0])
    assert read_image_size(path) == (shown.shape[1], shown.shape[0])
    np.testing.assert_array_equal(np.round(image.pixels * 255).astype(np.uint8), shown)
    display = load_display(path)
    assert display.orientation == orientation
    np.testing.assert_array_equal(display.values, shown.astype(np.float32))


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_reduced_thumbnail_turns_like_the_full_image(tmp_path: Path, orientation: int) -> None:
    stored = radiograph(600, 800)   # big enough for a reduced (1/4) JPEG decode
    path = tmp_path / "t.jpg"
    path.write_bytes(with_exif_orientation(encoded(".jpg", stored), orientation))
    full = load_display(path).values
    thumb = load_thumbnail(path, 160).astype(np.float32)
    expected = cv2.resize(full, (thumb.shape[1], thumb.shape[0]), interpolation=cv2.INTER_AREA)
    assert full.shape[0] > full.shape[1] if orientation in (6, 8) else full.shape[0] < full.shape[1]
    assert np.corrcoef(thumb.ravel(), expected.ravel())[0, 1] > 0.95


pydicom = pytest.importorskip("pydicom")


def test_dicom_with_a_non_numeric_number_of_frames(tmp_path: Path) -> None:
    data = dicom_bytes(radiograph(), NumberOfFrames=1)
    path = tmp_path / "frames.dcm"
    path.write_bytes(set_dicom_text(data, (0x0028, 0x0008), b"ab"))
    _refused(path, "NumberOfFrames", "'ab'")


def test_palette_colour_dicom_without_its_lookup_table(tmp_path: Path) -> None:
    path = tmp_path / "palette.dcm"
    path.write_bytes(dicom_bytes(radiograph(), photometric="PALETTE COLOR"))
    _refused(path, "PALETTE COLOR", "lookup table")


@pytest.mark.parametrize("tag,value", [((0x0028, 0x1052), b"NaN"), ((0x0028, 0x1053), b"inf"),
                                       ((0x0028, 0x1053), b"0"), ((0x0028, 0x1052), b"x1")])
def test_dicom_rescale_that_is_not_a_number(tmp_path: Path, tag: tuple[int, int],
                                            value: bytes) -> None:
    data = dicom_bytes(radiograph().astype(np.uint16), RescaleIntercept=0, RescaleSlope=1)
    path = tmp_path / "rescale.dcm"
    path.write_bytes(set_dicom_text(data, tag, value))
    _refused(path, "Rescale")


def test_dicom_with_non_numeric_rows_is_named(tmp_path: Path) -> None:
    data = dicom_bytes(radiograph().astype(np.uint16))
    path = tmp_path / "rows.dcm"
    # Rows is US (binary); a forged header can still hold any 2 bytes, so damage the VR.
    at = data.index(b"\x28\x00\x10\x00")
    path.write_bytes(data[:at + 4] + b"IS\x02\x00ab" + data[at + 10:])
    _refused(path)
