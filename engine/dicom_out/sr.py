"""Landmarks and measurements as a DICOM Comprehensive SR holding a TID 1500 Measurement
Report (made with highdicom), and read back.

Each landmark is one planar ROI group: a POINT in the source image's pixels (DICOM puts
the origin at the top-left pixel's corner, this project at its centre: +0.5 on the way
out, -0.5 back), its code and name as the finding type, its source (placed, predicted,
corrected) as a qualitative evaluation and a prediction's confidence as a measurement.
Each analysis is one measurement group: every value with its UCUM unit and, where it is
classified, its class.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.analysis import MeasurementResult
from engine.atomic import atomic_write_bytes
from engine.dicom_out.codes import CONFIDENCE, LANDMARK_SOURCE, PROCEDURE, UCUM, private, unit
from engine.dicom_out.source import MANUFACTURER, uid
from engine.errors import CC2DError

PIXEL_ORIGIN = 0.5   # DICOM pixel coordinates minus this project's


@dataclass(frozen=True)
class PointOut:
    """One placed landmark: code, name, pixels (this project's convention), its source
    ("template", "predicted", "corrected") and a prediction's confidence."""

    code: str
    name: str
    x: float
    y: float
    source: str
    confidence: float | None = None


@dataclass(frozen=True)
class SectionOut:
    """One analysis' results."""

    analysis_id: str
    analysis_name: str
    results: Sequence[MeasurementResult]


def measurement_report(source: Any, points: Sequence[PointOut],
                       sections: Sequence[SectionOut], key: str) -> Any:
    """The SR (a highdicom ComprehensiveSR) for the image ``source`` (a dataset with its
    UIDs); ``key`` names the project and image for the SR's own UIDs."""
    import highdicom as hd
    from highdicom.sr import CodedConcept

    image = hd.sr.SourceImageForRegion.from_source_image(source)
    groups = []
    for p in points:
        region = hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POINT,
            graphic_data=np.array([[p.x + PIXEL_ORIGIN, p.y + PIXEL_ORIGIN]]),
            source_image=image)
        measurements = [] if p.confidence is None else [hd.sr.Measurement(
            name=private(*CONFIDENCE), value=p.confidence, unit=unit(""))]
        groups.append(hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(uid=uid(key, "point", p.code),
                                                         identifier=f"landmark {p.code}"),
            referenced_region=region, finding_type=private(p.code, p.name),
            qualitative_evaluations=[hd.sr.QualitativeEvaluation(
                private(*LANDMARK_SOURCE), private(p.source, p.source))],
            measurements=measurements))
    for section in sections:
        values, classes = [], []
        for r in section.results:
            if not np.isfinite(r.value) or r.unit not in UCUM:
                continue
            values.append(hd.sr.Measurement(name=private(r.id, r.name), value=r.value,
                                            unit=unit(r.unit)))
            if r.class_name:
                classes.append(hd.sr.QualitativeEvaluation(
                    private(r.id, f"{r.name} class"),
                    private(r.class_name, r.class_meaning or r.class_name)))
        if values:
            groups.append(hd.sr.MeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    uid=uid(key, "analysis", section.analysis_id),
                    identifier=f"analysis {section.analysis_id}"),
                finding_type=private(section.analysis_id, section.analysis_name),
                measurements=values, qualitative_evaluations=classes or None,
                source_images=[hd.sr.SourceImageForMeasurementGroup.from_source_image(source)]))
    observer = hd.sr.ObservationContext(observer_device_context=hd.sr.ObserverContext(
        observer_type=CodedConcept("121007", "DCM", "Device"),
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=uid("device", MANUFACTURER), name=MANUFACTURER)))
    report = hd.sr.MeasurementReport(observation_context=observer,
                                     procedure_reported=private(*PROCEDURE),
                                     imaging_measurements=groups)
    return hd.sr.ComprehensiveSR(
        evidence=[source], content=report[0], series_instance_uid=uid(key, "sr series"),
        series_number=90, sop_instance_uid=uid(key, "sr", *(f"{p.code}{p.x}{p.y}" for p in points)),
        instance_number=1, manufacturer=MANUFACTURER, is_complete=True, is_final=False,
        series_description="CC2D landmarks and measurements")


def write_dataset(path: Path, dataset: Any) -> Path:
    """Save a DICOM dataset atomically (a half-written file never counts)."""
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    atomic_write_bytes(path, buffer.getvalue())
    return path


@dataclass(frozen=True)
class ReportRead:
    """What an SR written by :func:`measurement_report` holds."""

    points: list[PointOut]
    values: dict[tuple[str, str], tuple[float, str]]     # (analysis, id) → value, UCUM unit
    classes: dict[tuple[str, str], str]                  # (analysis, id) → class


def read_report(path: Path) -> ReportRead:
    """Read an SR back (pydicom and highdicom's reader); a CC2DError when it is not one."""
    import highdicom as hd
    try:
        sr = hd.sr.srread(path)
        content = sr.content
        planar = content.get_planar_roi_measurement_groups()
        image_groups = content.get_image_measurement_groups()
    except Exception as exc:   # a foreign or damaged file: many kinds
        raise CC2DError(f"{path} is not a measurement report this app can read ({exc})") from None
    points = []
    for g in planar:
        (x, y), = np.asarray(g.roi.value, dtype=float)
        source = next((q.value.value for q in g.get_qualitative_evaluations()
                       if q.name.value == LANDMARK_SOURCE[0]), "")
        confidence = next((float(m.value) for m in g.get_measurements()
                           if m.name.value == CONFIDENCE[0]), None)
        points.append(PointOut(g.finding_type.value, g.finding_type.meaning,
                               x - PIXEL_ORIGIN, y - PIXEL_ORIGIN, source, confidence))
    values, classes = {}, {}
    for g in image_groups:
        aid = g.finding_type.value
        for m in g.get_measurements():
            values[(aid, m.name.value)] = (float(m.value), m.unit.value)
        for q in g.get_qualitative_evaluations():
            classes[(aid, q.name.value)] = q.value.value
    return ReportRead(points, values, classes)
