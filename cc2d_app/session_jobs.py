"""The project jobs' side of :class:`cc2d_app.session.ProjectSession` (a mixin): what a
training, a match or an improvement reads, the runs' records, and storing a job's
landmark table as one edit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.errors import CC2DError
from engine.project import Project, ReviewStatus, Run, RunState


class SessionJobs:
    """Jobs' inputs and results; the session's store, cache and signals do the rest."""

    # Provided by ProjectSession:
    _project: Project
    _images: list[Any]
    failed: Any
    landmarksChanged: Any
    template_id: Callable[[], int | None]
    landmarks: Callable[[int], list[Any]]
    _reload_images: Callable[[], None]
    _emit_saved: Callable[[], None]

    def training_inputs(self) -> tuple[list[Path], Any]:
        """Image paths and the template for ``run_pipeline``; CC2DError says what is missing."""
        from engine.project.training import training_inputs

        return training_inputs(self._project)

    def add_run(self, config: dict[str, Any], name: str | None = None) -> Run:
        return self._project.add_run(config, name)

    def update_run(self, run_id: int, state: RunState,
                   metrics: dict[str, Any] | None = None) -> Run:
        return self._project.update_run(run_id, state=state, metrics=metrics)

    def unfinished_run(self) -> Run | None:
        """The run to resume (:func:`engine.project.jobs.unfinished_run`)."""
        from engine.project.jobs import unfinished_run

        return unfinished_run(self._project)

    def stage_seconds(self, profile: str, device: str, n_images: int) -> dict[str, float]:
        """What each stage of a run should take (:func:`engine.project.jobs.stage_seconds`)."""
        from engine.project.jobs import stage_seconds

        return stage_seconds(self._project, profile, device, n_images)

    def unlabelled_images(self) -> list[int]:
        """Images other than the template with no landmark at all (e.g. added after
        training)."""
        tid = self.template_id()
        return [r.id for r in self._images
                if r.id != tid and all(lm is None for lm in self.landmarks(r.id))]

    def labelled_images(self) -> list[Any]:
        """The reviewed images a refit, a training or a match learns from, as templates
        (the one rule: :func:`engine.project.training.labelled_images`)."""
        from engine.project.training import labelled_images

        return labelled_images(self._project)

    def match_inputs(self) -> Any:
        """What an instant match reads now (:func:`engine.project.jobs.match_inputs`);
        CC2DError when the template is missing or incomplete."""
        from engine.project.jobs import match_inputs

        return match_inputs(self._project)

    def features_dir(self) -> Path:
        """The project's cache of every image's pretrained features."""
        from engine.project.jobs import features_dir

        return features_dir(self._project.folder)

    def unreviewed_images(self) -> list[int]:
        """Images other than the template whose status is not reviewed."""
        tid = self.template_id()
        return [r.id for r in self._images
                if r.id != tid and r.status != ReviewStatus.REVIEWED]

    def finished_run(self) -> Run | None:
        from engine.project.jobs import finished_run

        return finished_run(self._project)

    def store_run_predictions(self, run_id: int | None, table: Any,
                              images: Sequence[Path] | None = None,
                              label: str | None = None) -> int:
        """A job's landmark ``table`` (made by run ``run_id``, or by the instant match when
        None) into the project as one edit named ``label``; returns how many images
        changed. A failure is reported, not raised."""
        from engine.project.training import store_predictions

        try:
            entry = store_predictions(self._project, table, images, run_id=run_id,
                                      label=label)
        except CC2DError as exc:
            self.failed.emit("Could not store the predictions", exc)
            return 0
        if entry is None:
            return 0
        touched = self._project.touched_images(entry)
        self._reload_images()
        for i in sorted(touched):
            self.landmarksChanged.emit(i)
        self._emit_saved()
        return len(touched)
