"""Patient and exam fields of an image: name, patient ID, birth date, exam date, operator.

A project stores them per image once someone enters them (:mod:`engine.project.patient_store`).
Until then a DICOM image shows those of its header, read when asked for (cheap: the header's
few attributes, no pixels), so projects made before this existed and read-only projects get
them too. Stored fields replace the header's as a whole: a name cleared to hide it stays
cleared instead of coming back from the file.

Every value, typed, read from a header or read back from project.sqlite, passes the same
check (:func:`problem`): text of at most :data:`MAX_LENGTH` characters without control
characters, dates as ISO ``YYYY-MM-DD`` or empty.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, fields, replace
from typing import Any

from engine.errors import ImageReadError, ProjectError

log = logging.getLogger(__name__)

# Field -> how the report and the dialog name it.
LABELS = {
    "name": "Patient",
    "patient_id": "Patient ID",
    "birth_date": "Birth date",
    "exam_date": "Exam date",
    "operator": "Operator",
}
DATE_FIELDS = frozenset({"birth_date", "exam_date"})
# DICOM's longest texts here (LO, one PN group) are 64 characters; twice that leaves room
# for several operators while keeping a damaged cell from filling a page.
MAX_LENGTH = 128
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class PatientFields:
    """The five fields; ``""`` where unknown. Dates are ISO ``YYYY-MM-DD``."""

    name: str = ""
    patient_id: str = ""
    birth_date: str = ""
    exam_date: str = ""
    operator: str = ""

    def to_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def is_empty(self) -> bool:
        return not any(self.to_dict().values())

    def shown(self) -> list[tuple[str, str]]:
        """(label, value) of each field that is set, in :data:`LABELS` order."""
        return [(LABELS[k], v) for k, v in self.to_dict().items() if v]


FIELDS = tuple(LABELS)


def problem(field: str, value: Any) -> str | None:
    """Why ``value`` cannot be the ``field`` of a :class:`PatientFields`; None if it can."""
    if not isinstance(value, str):
        return "not text"
    if len(value) > MAX_LENGTH:
        return f"longer than {MAX_LENGTH} characters"
    # Not Cf (format characters): names in Persian and other scripts need the zero-width
    # non-joiner.
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        return "it holds a line break, tab or other control character"
    if field in DATE_FIELDS and value:
        if not _ISO_DATE.match(value):
            return "not a date as YYYY-MM-DD"
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            return "not a date that exists"
    return None


def checked(patient: PatientFields) -> PatientFields:
    """``patient`` with surrounding spaces removed, or a ProjectError naming the field that
    cannot be stored and why."""
    values = {k: v.strip() if isinstance(v, str) else v for k, v in patient.to_dict().items()}
    for key, value in values.items():
        why = problem(key, value)
        if why is not None:
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise ProjectError(f"{LABELS[key]} {shown} cannot be stored: {why}")
    return replace(patient, **values)


def from_values(values: dict[str, Any], where: str) -> PatientFields:
    """The fields among ``values`` that pass the check; the others are left empty and
    logged (``where`` names the source). For a file's header, which one bad attribute
    must not make unreadable."""
    kept = {}
    for key in FIELDS:
        value = values.get(key, "")
        why = problem(key, value)
        if why is None:
            kept[key] = value
        else:
            log.warning("%s: ignoring the %s: %s", where, LABELS[key].lower(), why)
    return PatientFields(**kept)


def header_fields(path: str | os.PathLike[str]) -> PatientFields:
    """The fields of a DICOM image's header; empty for other images and for a file that
    cannot be read now (the image itself then fails where it is shown, with its reason)."""
    from engine.data.dicom_patient import looks_like_dicom, read_patient_tags

    if not looks_like_dicom(path):
        return PatientFields()
    try:
        values = read_patient_tags(path)
    except ImageReadError as exc:
        log.warning("no patient fields from %s: %s", path, exc)
        return PatientFields()
    return from_values(values, str(path))
