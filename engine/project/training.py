"""What a project gives a training run, and how the run's predictions come back.

The app creates the run with :meth:`Project.add_run`, calls :func:`training_inputs`,
runs :func:`engine.pipeline.run_pipeline` into ``run.folder`` and hands the predictions
to :func:`store_predictions`. Not imported by ``engine.project`` itself: it pulls in
torch through the template type.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.data.image_keys import match_images
from engine.data.landmarks import LandmarkTable, points_outside
from engine.data.template import Template
from engine.errors import LandmarkFileError, ProjectError
from engine.project.model import EditEntry, Landmark, LandmarkSource, ReviewStatus
from engine.project.sources import table_landmarks
from engine.project.store import Project
from engine.run_folder import RunFolder

log = logging.getLogger(__name__)

# A clinician's point is never replaced by a prediction.
KEPT_SOURCES = (LandmarkSource.TEMPLATE, LandmarkSource.CORRECTED)


def training_inputs(project: Project) -> tuple[list[Path], Template]:
    """The project's image paths and its template, ready for ``run_pipeline``.

    A ProjectError says what to fix: no template chosen, the template's missing
    landmarks, or image files that are no longer where the project has them.
    """
    record = project.template()
    if record is None:
        raise ProjectError("no template image is chosen: annotate one image completely and "
                           "set it as the template (Image ▸ Set as template)")
    marks = project.landmarks(record.id)
    missing = [project.schema.label(i) for i, lm in enumerate(marks) if lm is None]
    if missing:
        raise ProjectError(
            f"the template {record.name} lacks {len(missing)} of its {len(marks)} landmarks "
            f"({', '.join(missing)}); place them before training")
    records = project.images()
    absent = [r for r in records if not r.path.is_file()]
    if absent:
        listed = ", ".join(str(r.path) for r in absent[:5])
        more = f" and {len(absent) - 5} more" if len(absent) > 5 else ""
        raise ProjectError(
            f"{len(absent)} image file(s) of the project are missing: {listed}{more}; "
            "reconnect them (they may have moved) or remove them from the project")
    points = np.array([(lm.x, lm.y) for lm in marks if lm is not None], dtype=np.float64)
    outside = points_outside(points, record.width, record.height)
    if outside:
        listed = ", ".join(project.schema.label(i) for i in outside)
        raise ProjectError(
            f"template landmark(s) {listed} lie outside {record.name} ({record.width}x"
            f"{record.height} px); move them onto the image before training")
    return [r.path for r in records], Template(record.path, project.schema.names, points)


def labelled_images(project: Project) -> list[Template]:
    """Reviewed images (not the template) with every landmark inside the image: true labels
    for a few-shot run or a refit (:func:`engine.refit.refit`)."""
    template = project.template()
    out: list[Template] = []
    for rec in project.images():
        if rec.status is not ReviewStatus.REVIEWED or (template and rec.id == template.id):
            continue
        marks = project.landmarks(rec.id)
        if any(lm is None for lm in marks):
            continue
        points = np.array([(lm.x, lm.y) for lm in marks], dtype=np.float64)
        if points_outside(points, rec.width, rec.height) or not rec.path.is_file():
            continue
        out.append(Template(rec.path, project.schema.names, points))
    return out


def store_predictions(project: Project, predictions: LandmarkTable,
                      images: Sequence[Path] | None = None, *,
                      run_id: int | None = None, label: str | None = None) -> EditEntry | None:
    """Write a run's predictions into the project as one edit (one undo step).

    Points go in as ``predicted`` with their ``confidence``; a point whose project source
    is template or corrected is kept, and so are the table's own template rows. Rows
    name images by the one rule (:mod:`engine.data.image_keys`) among ``images``; without
    them, by the full paths the run ``run_id`` recorded, else among the project's images.
    Images outside the project are left out. ``label`` names them in the edit log
    (default "predictions of run N"). Returns None when nothing changed.
    """
    schema = project.schema
    if predictions.n_landmarks != len(schema):
        raise LandmarkFileError(
            f"the predictions have {predictions.n_landmarks} landmarks but the project schema "
            f"'{schema.name}' has {len(schema)}; they come from a run of another schema")
    records = {r.path.resolve(): r for r in project.images()}
    edits: dict[int, dict[int, Landmark | None]] = {}
    kept: dict[int, dict[int, Landmark | None]] = {}
    for key, path in _image_paths(project, predictions, images, run_id).items():
        rec = records.get(Path(path).resolve())
        if rec is None:
            continue
        current = project.landmarks(rec.id)
        remembered = project.predictions(rec.id)
        for i, new in enumerate(table_landmarks(predictions, key)):
            if new is None or new.source is LandmarkSource.TEMPLATE:
                continue
            if points_outside(np.array([[new.x, new.y]]), rec.width, rec.height):
                log.warning("%s: the predicted %s (%g, %g) lies outside the image; left out",
                            rec.name, schema.label(i), new.x, new.y)
                continue
            point = Landmark(new.x, new.y, LandmarkSource.PREDICTED, new.confidence)
            if point != remembered[i]:  # what the model said, even under a clinician's point
                kept.setdefault(rec.id, {})[i] = point
            old = current[i]
            if old is not None and old.source in KEPT_SOURCES:
                continue
            if point != old:
                edits.setdefault(rec.id, {})[i] = point
    if not edits and not kept:
        return None
    n = sum(len(v) for v in edits.values())
    what = label or (f"predictions of run {run_id}" if run_id is not None else "predictions")
    return project.apply_edits(edits, predictions=kept,
                               summary=f"{what}: {n} point(s) on {len(edits)} image(s)")


def _image_paths(project: Project, predictions: LandmarkTable,
                 images: Sequence[Path] | None, run_id: int | None) -> dict[str, Path | str]:
    """``{row key: image path}`` for the rows that name an image."""
    if images is None and run_id is not None:
        recorded = RunFolder(project.run(run_id).folder).read_record().get("image_keys")
        if recorded:
            return {k: Path(recorded[k]) for k in predictions.points if k in recorded}
    candidates = list(images) if images is not None else [r.path for r in project.images()]
    return match_images(predictions.points, candidates, "the predictions")

