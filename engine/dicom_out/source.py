"""The image an SR refers to: a DICOM radiograph's own header, or for any other image a
Secondary Capture made from its pixels with the project's patient fields, so that the SR
and the PDF have a study and a patient to be filed under."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ImageReadError
from engine.project.patient import PatientFields

MANUFACTURER = "CC2D landmark studio"
UID_ROOT = "2.25."   # UUID-derived UIDs (PS3.5 B.2): no registered root needed


def uid(*parts: str) -> str:
    """A UID that is the same for the same ``parts`` (a study filed again stays one)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()[:16]
    return UID_ROOT + str(int.from_bytes(digest, "big"))


def person_name(name: str) -> str:
    """The report's "Family, Given Middle" as a DICOM PN (Family^Given Middle)."""
    family, _, given = name.partition(",")
    return f"{family.strip()}^{given.strip()}" if given else name.strip()


def dicom_date(iso: str) -> str | None:
    return datetime.date.fromisoformat(iso).strftime("%Y%m%d") if iso else None


@dataclass(frozen=True)
class Source:
    """``dataset``: what the SR references (its header is enough); ``capture``: a
    Secondary Capture to write beside the SR when the image is not a DICOM (else None)."""

    dataset: Any
    capture: Any | None


def source_for(path: Path, pixels: Callable[[], np.ndarray], patient: PatientFields,
               spacing_mm: tuple[float, float] | None, key: str) -> Source:
    """The DICOM at ``path`` (its header), else a Secondary Capture of ``pixels()``
    (grey, [0, 1]) keyed by ``key`` (the project and the image) for stable UIDs."""
    from engine.data.dicom_patient import looks_like_dicom

    if looks_like_dicom(path):
        import pydicom
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception as exc:   # pydicom raises many kinds for a damaged header
            raise ImageReadError(f"{path}: its DICOM header cannot be read ({exc})") from None
        for tag in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID"):
            if not str(getattr(ds, tag, "")).strip():
                raise ImageReadError(f"{path} has no {tag}: an SR cannot refer to it")
        return Source(ds, None)
    capture = secondary_capture(pixels(), patient, spacing_mm, key)
    return Source(capture, capture)


def secondary_capture(pixels: np.ndarray, patient: PatientFields,
                      spacing_mm: tuple[float, float] | None, key: str) -> Any:
    import highdicom as hd
    grey = np.clip(np.rint(np.asarray(pixels, dtype=np.float64) * 65535.0), 0, 65535)
    capture = hd.sc.SCImage(
        pixel_array=grey.astype(np.uint16), photometric_interpretation="MONOCHROME2",
        bits_allocated=16, coordinate_system="PATIENT",
        study_instance_uid=uid(key, "study"), series_instance_uid=uid(key, "sc series"),
        series_number=1, sop_instance_uid=uid(key, "sc"), instance_number=1,
        manufacturer=MANUFACTURER, patient_id=patient.patient_id or None,
        patient_name=person_name(patient.name) if patient.name else None,
        patient_birth_date=dicom_date(patient.birth_date),
        study_date=dicom_date(patient.exam_date),
        pixel_spacing=spacing_mm, patient_orientation=("A", "F"))
    # Which way the patient lies on a non-DICOM image is not known: the attribute is
    # type 2 (present, may be empty), and highdicom only asks for a value to write it.
    capture.PatientOrientation = ""
    return capture
