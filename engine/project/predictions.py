"""The model's predictions kept beside the landmarks, so a correction can be undone by hand.

A run's predictions are written with :meth:`Project.apply_edits` (``predictions=``) in the
same edit as the landmarks they set; a clinician's later correction changes the landmark
only, and :meth:`restore_prediction` puts it back where the model had it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import ProjectError
from engine.project import db as dbm
from engine.project.model import EditEntry, Landmark

if TYPE_CHECKING:
    from engine.project.store import Project


class PredictionsMixin:
    """Prediction methods of :class:`~engine.project.store.Project`."""

    _db: dbm.Database

    def predictions(self: Project, image_id: int) -> list[Landmark | None]:
        """The model's prediction of each schema landmark (``None``: none kept)."""
        return self._points("predictions", image_id)

    def restore_prediction(self: Project, image_id: int, index: int) -> EditEntry:
        """Put landmark ``index`` back where the model predicted it (one undo step)."""
        kept = self.predictions(image_id)[self._check_index(index)]
        if kept is None:
            raise ProjectError(
                f"{self.schema.label(index)} on {self.image(image_id).name} has no kept "
                "prediction to restore")
        return self.apply_edits(
            {image_id: {index: kept}},
            summary=f"restore the prediction of {self.schema.label(index)} on image {image_id}")
