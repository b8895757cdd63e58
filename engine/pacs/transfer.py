"""Fetching a study's radiographs into a folder (WADO-RS) and sending objects back
(STOW-RS).

A fetch writes one ``<SOP Instance UID>.dcm`` per image instance, atomically, so nothing
half-written ever counts as an image; an instance already there is skipped (a cut
fetch resumes), and an instance that is not an image (an SR, a PDF, a presentation state)
is left on the server and counted. A send reports, per object, what the server accepted
or refused and why.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from engine.atomic import atomic_write_bytes
from engine.errors import CancelledError
from engine.pacs.connection import Connection, PacsError, PacsRefused, call

_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
# Storage SOP classes that hold no radiograph: SR (…88.*), encapsulated documents
# (…104.*), presentation states (…11.*), key objects (…88.59), raw data, waveforms (…9.*).
_NOT_IMAGES = ("1.2.840.10008.5.1.4.1.1.88.", "1.2.840.10008.5.1.4.1.1.104.",
               "1.2.840.10008.5.1.4.1.1.11.", "1.2.840.10008.5.1.4.1.1.66",
               "1.2.840.10008.5.1.4.1.1.9.")


@dataclass
class FetchReport:
    written: list[Path] = field(default_factory=list)
    already_there: list[Path] = field(default_factory=list)
    not_images: int = 0

    @property
    def images(self) -> list[Path]:
        return self.written + self.already_there


def is_image_class(sop_class_uid: str) -> bool:
    return not sop_class_uid.startswith(_NOT_IMAGES)


def fetch_study(conn: Connection, study_uid: str, folder: Path,
                progress: Callable[[int, int], None] | None = None,
                cancel: threading.Event | None = None,
                series: Collection[str] | None = None) -> FetchReport:
    """Retrieve the study's image instances (of ``series`` only, when given) into
    ``folder``."""
    _check_uid(study_uid, "study")
    client = conn.client()
    instances = call(f"listing study {study_uid}", conn,
                     lambda: client.search_for_instances(study_instance_uid=study_uid))
    if not instances:
        raise PacsError(f"study {study_uid} is not on the PACS (or holds nothing)")
    folder.mkdir(parents=True, exist_ok=True)
    report = FetchReport()
    for k, item in enumerate(instances):
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"fetch cancelled after {len(report.images)} image(s); "
                                 "fetching again resumes")
        series_uid, sop, sop_class = (_tag(item, t)
                                      for t in ("0020000E", "00080018", "00080016"))
        if not (_UID.match(series_uid) and _UID.match(sop)):
            continue
        if series is not None and series_uid not in series:
            continue
        if not is_image_class(sop_class):
            report.not_images += 1
            continue
        path = folder / f"{sop}.dcm"
        if path.is_file() and path.stat().st_size > 0:
            report.already_there.append(path)
        else:
            dataset = call(f"retrieving image {sop}", conn, partial(
                client.retrieve_instance, study_instance_uid=study_uid,
                series_instance_uid=series_uid, sop_instance_uid=sop))
            if str(getattr(dataset, "SOPInstanceUID", "")) != sop:
                raise PacsError(f"the PACS sent another object than image {sop}")
            problem = incomplete(dataset)
            if problem:
                raise PacsError(f"image {sop} arrived incomplete ({problem}); nothing of it "
                                "was kept, fetching again resumes")
            buffer = io.BytesIO()
            dataset.save_as(buffer, enforce_file_format=True)
            atomic_write_bytes(path, buffer.getvalue())
            report.written.append(path)
        if progress is not None:
            progress(k + 1, len(instances))
    return report


@dataclass(frozen=True)
class Sent:
    path: Path
    accepted: bool
    reason: str = ""


def send_files(conn: Connection, paths: Sequence[Path]) -> list[Sent]:
    """Store each DICOM file on the PACS (one STOW-RS request per study); per file
    whether the server accepted it."""
    import pydicom

    by_study: dict[str, list[tuple[Path, object]]] = {}
    out: list[Sent] = []
    for path in paths:
        try:
            ds = pydicom.dcmread(path)
        except Exception as exc:   # not DICOM, truncated: many kinds
            out.append(Sent(path, False, f"not a DICOM file this app can read ({exc})"))
            continue
        by_study.setdefault(str(getattr(ds, "StudyInstanceUID", "")), []).append((path, ds))
    client = conn.client()
    for study, items in by_study.items():
        try:
            out += _store(conn, client, study, items)
        except PacsRefused:
            # The server refused the request as a whole (HTTP 4xx): send one by one to
            # say which object it refuses, and why.
            for path, ds in items:
                try:
                    out += _store(conn, client, study, [(path, ds)])
                except PacsRefused as exc:
                    out.append(Sent(path, False, str(exc)))
    return out


def _store(conn: Connection, client: object, study: str,
           items: list[tuple[Path, object]]) -> list[Sent]:
    reply = call(f"sending {len(items)} object(s)", conn, partial(
        client.store_instances, datasets=[ds for _, ds in items],
        study_instance_uid=study or None))
    refused = {str(getattr(r, "ReferencedSOPInstanceUID", "")):
               f"refused (failure reason {getattr(r, 'FailureReason', '?')})"
               for r in getattr(reply, "FailedSOPSequence", [])}
    accepted = {str(getattr(r, "ReferencedSOPInstanceUID", ""))
                for r in getattr(reply, "ReferencedSOPSequence", [])}
    out = []
    for path, ds in items:
        uid = str(getattr(ds, "SOPInstanceUID", ""))
        if uid in accepted:
            out.append(Sent(path, True))
        else:
            out.append(Sent(path, False, refused.get(uid, "not confirmed by the PACS")))
    return out


def incomplete(dataset: object) -> str:
    """Why a retrieved image is not whole ("" when it is): no pixels, or fewer bytes of
    uncompressed pixels than its size says (a connection cut mid-body can still parse)."""
    pixels = getattr(dataset, "PixelData", None)
    if pixels is None:
        return "no pixel data"
    meta = getattr(dataset, "file_meta", None)
    syntax = getattr(meta, "TransferSyntaxUID", None)
    if syntax is not None and getattr(syntax, "is_compressed", False):
        return ""   # encapsulated: its fragments are checked when it is decoded
    try:
        expected = (int(dataset.Rows) * int(dataset.Columns)
                    * int(getattr(dataset, "SamplesPerPixel", 1))
                    * int(getattr(dataset, "NumberOfFrames", 1) or 1)
                    * int(dataset.BitsAllocated) // 8)
    except (AttributeError, TypeError, ValueError):
        return "its size attributes are missing"
    return "" if len(pixels) >= expected else f"{len(pixels)} of {expected} pixel bytes"


def _check_uid(uid: str, what: str) -> None:
    if not _UID.match(uid) or len(uid) > 64:
        raise PacsError(f"{uid!r} is not a DICOM {what} UID (digits and dots, up to 64)")


def _tag(item: object, tag: str) -> str:
    if not isinstance(item, dict):
        return ""
    element = item.get(tag)
    value = element.get("Value") if isinstance(element, dict) else None
    return value[0].strip() if isinstance(value, list) and value and isinstance(
        value[0], str) else ""
