"""QIDO-RS: studies by patient, date, modality and description, each read like user
input (the server's attributes are checked, not trusted)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.pacs.connection import Connection, PacsError, call

RADIOGRAPH_MODALITIES = ("DX", "CR", "PX")
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_DATE = re.compile(r"^\d{8}$")
MAX_RESULTS = 500


@dataclass(frozen=True)
class StudyFound:
    uid: str
    patient_name: str
    patient_id: str
    date: str            # YYYYMMDD or ""
    description: str
    modalities: tuple[str, ...]
    n_instances: int | None


def search_studies(conn: Connection, patient: str = "", patient_id: str = "",
                   date_from: str = "", date_to: str = "", modality: str = "",
                   description: str = "") -> list[StudyFound]:
    """Studies matching every given filter (patient names and descriptions match any
    part, ignoring case as the server does); dates as YYYYMMDD."""
    filters: dict[str, str] = {}
    if patient:
        filters["PatientName"] = f"*{patient}*"
    if patient_id:
        filters["PatientID"] = patient_id
    for d in (date_from, date_to):
        if d and not _DATE.match(d):
            raise PacsError(f"a study date is YYYYMMDD, got {d!r}")
    if date_from or date_to:
        filters["StudyDate"] = f"{date_from}-{date_to}"
    if modality:
        filters["ModalitiesInStudy"] = modality
    if description:
        filters["StudyDescription"] = f"*{description}*"
    found = call("searching studies", conn, lambda: _qido_studies(conn, filters))
    return [s for s in (_study(item) for item in found) if s is not None]


def _qido_studies(conn: Connection, filters: dict[str, str]) -> list:
    """QIDO-RS /studies with the wildcards written as ``*``: dicomweb-client sends them
    percent-encoded, which Orthanc 1.10 matches literally (no study found)."""
    from urllib.parse import quote

    params = {**filters, "limit": str(MAX_RESULTS),
              "includefield": "StudyDescription,ModalitiesInStudy,NumberOfStudyRelatedInstances"}
    query = "&".join(f"{k}={quote(v, safe='*,-')}" for k, v in params.items())
    reply = conn.session().get(f"{conn.url.rstrip('/')}/studies?{query}",
                               headers={"Accept": "application/dicom+json"}, timeout=30)
    reply.raise_for_status()
    if reply.status_code == 204 or not reply.content:
        return []
    data = reply.json()
    if not isinstance(data, list):
        raise ValueError("the PACS answered a search with something that is not a list")
    return data


def _study(item: object) -> StudyFound | None:
    if not isinstance(item, dict):
        return None
    uid = _text(item, "0020000D")
    if not _UID.match(uid) or len(uid) > 64:
        return None   # not a study a fetch could name
    date = _text(item, "00080020")
    count = _value(item, "00201208")
    return StudyFound(
        uid=uid, patient_name=_person(item, "00100010"), patient_id=_text(item, "00100020"),
        date=date if _DATE.match(date) else "", description=_text(item, "00081030"),
        modalities=tuple(str(m) for m in _values(item, "00080061") if isinstance(m, str)),
        n_instances=count if isinstance(count, int) and count >= 0 else None)


def _values(item: dict, tag: str) -> list:
    element = item.get(tag)
    value = element.get("Value") if isinstance(element, dict) else None
    return value if isinstance(value, list) else []


def _value(item: dict, tag: str) -> object:
    values = _values(item, tag)
    return values[0] if values else None


def _text(item: dict, tag: str) -> str:
    value = _value(item, tag)
    return value.strip()[:256] if isinstance(value, str) else ""


def _person(item: dict, tag: str) -> str:
    value = _value(item, tag)
    if isinstance(value, dict) and isinstance(value.get("Alphabetic"), str):
        family, _, given = value["Alphabetic"].partition("^")
        return f"{family}, {given.replace('^', ' ')}".strip(", ")[:256]
    return ""


@dataclass(frozen=True)
class SeriesFound:
    uid: str
    modality: str
    description: str
    n_instances: int | None

    @property
    def holds_images(self) -> bool:
        """Whether the series is (likely) images: not a report, document or state."""
        return self.modality not in NON_IMAGE_MODALITIES


NON_IMAGE_MODALITIES = frozenset({"SR", "DOC", "PR", "KO", "REG", "SEG", "RWV", "ECG"})


def list_series(conn: Connection, study_uid: str) -> list[SeriesFound]:
    """The series of a study (QIDO-RS)."""
    client = conn.client()
    found = call(f"listing the series of {study_uid}", conn, lambda: client.search_for_series(
        study_instance_uid=study_uid,
        fields=["SeriesDescription", "NumberOfSeriesRelatedInstances"]))
    out = []
    for item in found:
        if not isinstance(item, dict):
            continue
        uid = _text(item, "0020000E")
        if _UID.match(uid) and len(uid) <= 64:
            count = _value(item, "00201209")
            out.append(SeriesFound(uid, _text(item, "00080060"), _text(item, "0008103E"),
                                   count if isinstance(count, int) and count >= 0 else None))
    return out
