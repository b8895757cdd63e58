"""Who and when a DICOM file shows: patient name and ID, birth date, exam date, operator,
read from the header only (the pixel data is never parsed).

The values come as the file spells them, turned into readable text: a person name
``Doe^John^Q`` becomes ``"Doe, John Q"``, a date ``19800102`` becomes ``"1980-01-02"``.
Whether a value is acceptable (length, characters) is the project's to judge
(:mod:`engine.project.patient`); here an unreadable attribute is only left empty. pydicom is
imported lazily through :func:`engine.data.dicom.read_tags` (the GPU machines lack it).
"""

from __future__ import annotations

import datetime
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.data.header import has_dicom_magic

log = logging.getLogger(__name__)

# The exam date: the study's, else the acquisition's, else the content's (when the image
# was made); writers fill different ones.
EXAM_DATE_TAGS = ("StudyDate", "AcquisitionDate", "ContentDate")
PATIENT_TAGS = ("PatientName", "PatientID", "PatientBirthDate", *EXAM_DATE_TAGS,
                "OperatorsName")
_DICOM_SUFFIXES = (".dcm", ".dicom")
# DA is YYYYMMDD; ACR-NEMA files (and some writers still) use YYYY.MM.DD.
_DATE = re.compile(r"^(\d{4})[.-]?(\d{2})[.-]?(\d{2})$")


def looks_like_dicom(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a regular file that is a DICOM (the Part 10 marker, or a
    ``.dcm`` name as old preamble-less files have): only those have a patient header."""
    path = Path(path)
    # is_file first: opening a named pipe to look for the marker would block.
    return path.is_file() and (has_dicom_magic(path) or path.suffix.lower() in _DICOM_SUFFIXES)


def read_patient_tags(path: str | os.PathLike[str]) -> dict[str, str]:
    """``name``, ``patient_id``, ``birth_date``, ``exam_date``, ``operator`` of a DICOM file,
    ``""`` where absent or unreadable. Raises ImageReadError when the file cannot be read."""
    from engine.data.dicom import read_tags

    ds = read_tags(path, PATIENT_TAGS)
    exam = ""
    for keyword in EXAM_DATE_TAGS:
        exam = date_text(_value(path, ds, keyword))
        if exam:
            break
    return {
        "name": person_name_text(_value(path, ds, "PatientName")),
        "patient_id": _plain(_value(path, ds, "PatientID")),
        "birth_date": date_text(_value(path, ds, "PatientBirthDate")),
        "exam_date": exam,
        "operator": person_name_text(_value(path, ds, "OperatorsName")),
    }


def _value(path: str | os.PathLike[str], ds: Any, keyword: str) -> Any:
    try:
        return ds.get(keyword)
    except Exception as exc:  # pydicom converts lazily and raises anything on damaged bytes
        log.warning("%s: ignoring the unreadable DICOM attribute %s (%s)", path, keyword, exc)
        return None


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if _is_multi(value):
        return "; ".join(s for s in (_plain(v) for v in value) if s)
    return str(value).strip()


def person_name_text(value: Any) -> str:
    """A DICOM person name (PN) as people write it: ``"Family, Given Middle"`` (prefix and
    suffix kept: ``"Doe, Dr John, Jr"``); the alphabetic form, else the ideographic one, else
    the phonetic one. Several names (OperatorsName may hold more) are joined by ``"; "``."""
    if value is None:
        return ""
    if _is_multi(value):
        return "; ".join(s for s in (person_name_text(v) for v in value) if s)
    for group in str(value).split("="):   # alphabetic=ideographic=phonetic
        parts = [p.strip() for p in group.split("^")] + [""] * 5
        family, given, middle, prefix, suffix = parts[:5]
        first = " ".join(p for p in (prefix, given, middle) if p)
        text = ", ".join(p for p in (family, first, suffix) if p)
        if text:
            return text
    return ""


def date_text(value: Any) -> str:
    """A DICOM date (DA) as ISO ``YYYY-MM-DD``; ``""`` when absent or not a real date."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):   # pydicom's datetime_conversion gives DA dates
        return value.isoformat()[:10]
    match = _DATE.match(str(value).strip())
    if match is None:
        return ""
    try:
        return datetime.date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:   # 20240231: the digits of a date that does not exist
        return ""


def _is_multi(value: Any) -> bool:
    # pydicom's MultiValue is a Sequence; its PersonName iterates over characters, so a
    # test for __iter__ would take one name for many.
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))
