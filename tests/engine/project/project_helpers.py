"""Helpers for the project-store tests: small distinct images, DICOMs, a 37-landmark schema."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.project import LandmarkDef, LandmarkSchema

N_CUSTOM = 37


def custom_schema(n: int = N_CUSTOM) -> LandmarkSchema:
    """A hand-like schema of ``n`` landmarks, some with abbreviations, colours, descriptions."""
    defs = tuple(
        LandmarkDef(
            f"Joint {i + 1} – ünïcødé, \"quoted\"" if i == 5 else f"Joint {i + 1}",
            abbreviation=f"J{i + 1}" if i % 2 == 0 else None,
            color=f"#{(i * 6151) % 0xFFFFFF:06x}" if i % 3 == 0 else None,
            description=f"Centre of joint {i + 1}, where the two bones meet – «ü»"
            if i % 4 == 0 else None,
        )
        for i in range(n)
    )
    return LandmarkSchema(name="Hand test schema", landmarks=defs, id="hand_test")


def write_png(path: Path, seed: int, size: tuple[int, int] = (40, 32)) -> Path:
    """A random grey PNG of ``size`` (width, height); the seed makes its content unique."""
    w, h = size
    img = np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(".png", img)
    assert ok
    path.write_bytes(data.tobytes())
    return path


def write_dicom(path: Path, *, pixel_data: bool = True, transfer_syntax: str | None = None,
                encapsulated: bytes | None = None, spacing: tuple[float, float] | None = None,
                **attributes: object) -> Path:
    """A small 16-bit monochrome DICOM (optionally without pixels, compressed or with spacing);
    ``attributes``: more header values by keyword (``PatientName="Doe^John"``)."""
    pydicom = pytest.importorskip("pydicom")
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = transfer_syntax or ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = 8, 10
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    if spacing is not None:
        ds.PixelSpacing = list(spacing)
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    if encapsulated is not None:
        ds.PixelData = encapsulate([encapsulated])
        ds["PixelData"].VR = "OB"
    elif pixel_data:
        ds.PixelData = np.arange(80, dtype=np.uint16).reshape(8, 10).tobytes()
    if int(pydicom.__version__.split(".")[0]) >= 3:
        ds.save_as(path, enforce_file_format=True)
    else:
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(path, write_like_original=False)
    return path



IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
