"""The PDF report as an Encapsulated PDF (PS3.3 A.45.1), filed under the image's study:
the patient and study of the SR's source, its own series, the document bytes untouched."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from engine.dicom_out.source import MANUFACTURER, uid

ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
_PATIENT_STUDY = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex",
                  "StudyInstanceUID", "StudyDate", "StudyTime", "StudyID",
                  "AccessionNumber", "ReferringPhysicianName")


def encapsulated_pdf(pdf: bytes, source: Any, title: str, key: str) -> Any:
    """A dataset holding ``pdf``, in the study of ``source`` (the SR's source image)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    if not pdf.startswith(b"%PDF"):
        raise ValueError("not a PDF document")
    now = datetime.datetime.now()
    ds = Dataset()
    for keyword in _PATIENT_STUDY:
        setattr(ds, keyword, getattr(source, keyword, ""))
    ds.SOPClassUID = ENCAPSULATED_PDF
    ds.SOPInstanceUID = uid(key, "pdf", hashlib.sha256(pdf).hexdigest())
    ds.Modality = "DOC"
    ds.SeriesInstanceUID = uid(key, "pdf series")
    ds.SeriesNumber = 91
    ds.InstanceNumber = 1
    ds.Manufacturer = MANUFACTURER
    ds.ConversionType = "WSD"          # workstation
    ds.ContentDate, ds.ContentTime = now.strftime("%Y%m%d"), now.strftime("%H%M%S")
    ds.AcquisitionDateTime = now.strftime("%Y%m%d%H%M%S")
    ds.BurnedInAnnotation = "YES"      # the report names the patient
    ds.DocumentTitle = title[:64]
    ds.ConceptNameCodeSequence = []
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocument = pdf + (b"\0" if len(pdf) % 2 else b"")   # even length
    ds.EncapsulatedDocumentLength = len(pdf)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    return ds
