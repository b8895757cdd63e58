"""Small valid files (PNG, JPEG, DICOM) and the forgeries the robustness tests build from them."""

from __future__ import annotations

import struct
from typing import Any

import cv2
import numpy as np


def radiograph(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """uint8 smooth random structure: compresses like a radiograph, never constant."""
    noise = np.random.default_rng(seed).random((height, width)).astype(np.float32)
    smooth = cv2.GaussianBlur(noise, (0, 0), 3)
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    return np.round(smooth * 255).astype(np.uint8)


def encoded(suffix: str, img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(suffix, img)
    assert ok
    return buf.tobytes()


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """Insert an EXIF APP1 holding only the Orientation tag, right after SOI."""
    entry = struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + entry + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def with_jpeg_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The JPEG with the frame header (SOF0) claiming another size."""
    at = jpeg.index(b"\xff\xc0") + 5  # marker (2), length (2), precision (1)
    return jpeg[:at] + struct.pack(">HH", height, width) + jpeg[at + 4:]


def dicom_bytes(pixels: np.ndarray, photometric: str = "MONOCHROME2", **attrs: Any) -> bytes:
    """A DICOM Part 10 file (explicit VR little endian) of one uint8/uint16 frame."""
    from io import BytesIO

    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("x.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    bits = pixels.dtype.itemsize * 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits, bits - 1
    ds.PixelRepresentation = 0
    for key, value in attrs.items():
        setattr(ds, key, value)
    ds.PixelData = pixels.tobytes()
    out = BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def set_dicom_text(data: bytes, tag: tuple[int, int], text: bytes) -> bytes:
    """Replace the value of a short explicit-VR text element (IS, DS, CS) by ``text``.

    pydicom refuses to write invalid values, so forged ones are patched in as bytes.
    """
    if len(text) % 2:
        text += b" "
    key = struct.pack("<HH", *tag)
    at = data.index(key)
    (length,) = struct.unpack("<H", data[at + 6:at + 8])
    return data[:at + 6] + struct.pack("<H", len(text)) + text + data[at + 8 + length:]
