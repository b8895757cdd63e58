"""Project jobs the app and ``cc2d project match|train|improve`` share.

A job is taken in three steps so that only the project's one writer writes: its inputs
are read from the project (cheap, any thread that may read it), the work runs on those
inputs alone (slow: a worker thread), and its landmark table goes back into the project
as one edit (:func:`engine.project.training.store_predictions`) on the images that are
still to review. The job hands its table to the caller: the app and the CLI never read
a run's files back. (A trained run's table is its ``predictions.csv``, the stage output
a resume starts from; the job reads and checks it in the worker, as any file on disk.)

The instant match (ADR 0012) predicts every image that is not the template or reviewed
from the template and the reviewed images (:func:`engine.project.training.labelled_images`,
the one rule for which images are labelled); every image's pretrained features are cached
in the project's ``features/`` folder, so matching again after a review takes seconds,
and a clinic or full training of the project starts from the same cache.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.data.landmarks import LandmarkTable
from engine.data.template import Template
from engine.progress import ProgressCallback
from engine.project.model import ReviewStatus, Run, RunState
from engine.project.store import Project
from engine.project.training import labelled_images, training_inputs

FEATURES_DIR = "features"


def finished_run(project: Project) -> Run | None:
    """The newest finished run: the one Improve and Predict new images start from."""
    runs = [r for r in project.runs() if r.state is RunState.FINISHED]
    return runs[-1] if runs else None


def unfinished_run(project: Project) -> Run | None:
    """The newest run that neither finished nor failed (cancelled, interrupted while
    running, or left pending by a crash before it started): the one to resume."""
    runs = [r for r in project.runs()
            if r.state in (RunState.PENDING, RunState.RUNNING, RunState.CANCELLED)]
    return runs[-1] if runs else None


# The progress stage each of run.json's stage records timed, and the stages whose time
# grows with the number of images (the training stages run a fixed number of steps).
_TIMED = {"ssl_train": "SSL training", "tpl_train": "TPL training",
          "tpl_predict": "TPL prediction", "refine_train": "refinement training",
          "predict": "refining"}
_PER_IMAGE = frozenset({"image features", "instant matching", "SSL prediction",
                        "TPL prediction", "refining"})


def stage_seconds(project: Project, profile: str, device: str, n_images: int
                  ) -> dict[str, float]:
    """Seconds each stage took in the project's newest finished training of ``profile`` on
    ``device``, scaled to ``n_images`` where the work goes image by image: what a new run
    should take. Empty without such a run; a damaged value read back is left out."""
    runs = [r for r in project.runs() if r.state is RunState.FINISHED
            and "refit_of" not in r.config and r.config.get("profile") == profile
            and r.config.get("device") == device]
    stages = runs[-1].metrics.get("stages") if runs else None
    before = runs[-1].config.get("n_images") if runs else None
    if not isinstance(stages, dict) or not _seconds(before) or not before:
        return {}
    scale = n_images / before
    out: dict[str, float] = {}

    def put(stage: str, value: Any) -> None:
        if _seconds(value):
            out[stage] = float(value) * (scale if stage in _PER_IMAGE else 1.0)

    for key, stage in _TIMED.items():
        if isinstance(stages.get(key), dict):
            put(stage, stages[key].get("seconds"))
    pseudo = stages.get("pseudo_labels")
    if isinstance(pseudo, dict) and pseudo.get("source") == "instant":
        put("image features", pseudo.get("features_s"))
        put("instant matching", pseudo.get("matching_s"))
    elif isinstance(pseudo, dict):
        put("SSL prediction", pseudo.get("seconds"))
    return out


def _seconds(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)


def features_dir(project_folder: Path) -> Path:
    """Where a project caches every image's pretrained features."""
    return Path(project_folder) / FEATURES_DIR


@dataclass(frozen=True)
class MatchInputs:
    """What one instant match of a project reads: the template, the reviewed images with
    their points (``labelled``), the images to predict (``targets``, ids and paths) and
    the feature cache."""

    template: Template
    labelled: tuple[Template, ...]
    targets: tuple[tuple[int, Path], ...]
    cache_dir: Path

    @property
    def signature(self) -> str:
        """Changes whenever a match could give other points: the template's or a labelled
        image's points, which images are labelled, which are predicted."""
        digest = hashlib.sha256()
        for t in (self.template, *self.labelled):
            digest.update(json.dumps([str(t.image), t.points.round(3).tolist()]).encode())
        digest.update(json.dumps([[i, str(p)] for i, p in self.targets]).encode())
        return digest.hexdigest()


def match_inputs(project: Project) -> MatchInputs:
    """The inputs of an instant match now; a ProjectError says what is missing (no
    template, or one with landmarks left to place)."""
    _paths, template = training_inputs(project)
    labelled = tuple(labelled_images(project))
    record = project.template()
    template_id = record.id if record is not None else None
    targets = tuple((r.id, r.path) for r in project.images()
                    if r.id != template_id and r.status is not ReviewStatus.REVIEWED)
    return MatchInputs(template, labelled, targets, features_dir(project.folder))


def run_match(inputs: MatchInputs, device: Any, *,
              progress: ProgressCallback | None = None,
              cancel: threading.Event | None = None,
              skipped: list[tuple[Path, str]] | None = None) -> LandmarkTable:
    """The instant stage on ``inputs.targets`` (plus the labelled images it learns from);
    rows are named by :func:`engine.data.image_keys.image_keys` of the readable images,
    the labelled ones holding their own points. Unreadable targets go to ``skipped``."""
    from engine.instant.config import profile_config
    from engine.instant.run import match_images
    from engine.labelled import with_labelled

    truths = [inputs.template, *inputs.labelled]
    paths, keys = with_labelled([p for _i, p in inputs.targets], truths)
    local: list[tuple[Path, str]] = []
    table, _paths, _keys, _stages = match_images(
        paths, keys, truths, profile_config("instant"), inputs.cache_dir, device,
        skipped=local, progress=progress, cancel=cancel)
    if skipped is not None:
        skipped.extend(local)
    return table


@dataclass(frozen=True)
class TrainInputs:
    """What a training of the project reads: every image, the template and the reviewed
    images (labelled), and the feature cache the instant stage already filled."""

    images: tuple[Path, ...]
    template: Template
    labelled: tuple[Template, ...]
    features_dir: Path


def train_inputs(project: Project) -> TrainInputs:
    """The inputs of a training now; a ProjectError says what is missing."""
    paths, template = training_inputs(project)
    return TrainInputs(tuple(paths), template, tuple(labelled_images(project)),
                       features_dir(project.folder))


def run_train(inputs: TrainInputs, run_dir: Path, settings: Any, device: Any, *,
              progress: ProgressCallback | None = None,
              cancel: threading.Event | None = None) -> tuple[dict[str, Any], LandmarkTable]:
    """Train (or resume) ``settings`` (engine.pipeline.PipelineSettings) in ``run_dir``;
    returns the run's record and its predictions, checked as any file read from disk."""
    from engine.pipeline import run_pipeline

    record = run_pipeline(list(inputs.images), inputs.template, run_dir, settings, device,
                          labelled=inputs.labelled, features_dir=inputs.features_dir,
                          progress=progress, cancel=cancel)
    return record, _predictions(run_dir)


def run_improve(base_dir: Path, run_dir: Path, labelled: Sequence[Template],
                images: Sequence[Path], device: Any, *,
                progress: ProgressCallback | None = None,
                cancel: threading.Event | None = None) -> tuple[dict[str, Any], LandmarkTable]:
    """Refit the finished run in ``base_dir`` with ``labelled`` into ``run_dir`` (ADR 0011)
    and predict ``images``; returns the record and the predictions."""
    from engine.refit import refit

    record = refit(base_dir, run_dir, labelled, device, images=list(images),
                   progress=progress, cancel=cancel)
    return record, _predictions(run_dir)


def _predictions(run_dir: Path) -> LandmarkTable:
    from engine.data.landmarks import read_landmark_csv
    from engine.run_folder import RunFolder

    return read_landmark_csv(RunFolder(run_dir).predictions)
