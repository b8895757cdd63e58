"""The analyses of an open project: those on offer bound to its landmark codes, the ones
chosen (remembered per landmark schema), and each image's measurements with every
point's own expected error.

The predicted points' error is calibrated on the project's reviewed images; it is
worked out again, lazily, after a review or an edit on a reviewed image.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject

from cc2d_app.session import ProjectSession
from cc2d_app.settings import AppSettings
from cc2d_app.views.measurements_panel import Section
from engine.analysis import BoundAnalysis, analyses_for_schema, library
from engine.analysis.point_error import load_model
from engine.project import ReviewStatus
from engine.project.measuring import Dragged, Measuring, predicted_sigma, sigma_text


class AnalysisController(QObject):
    def __init__(self, session: ProjectSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        schema = session.schema
        self.codes = [schema.label(i) for i in range(len(schema))]
        lib = library()
        self.problems = lib.problems
        self.offered: list[BoundAnalysis] = [a.bind(self.codes) for a in lib.analyses]
        saved = AppSettings().analyses(schema.id)
        self.chosen = saved if saved is not None else [
            a.id for a in analyses_for_schema(schema.id)]
        self._model = load_model()
        self._calibration: tuple[np.ndarray, int] | None = None
        session.imageChanged.connect(self._invalidate)
        session.landmarksChanged.connect(self._landmarks_changed)
        session.imagesChanged.connect(self._invalidate)

    def choose(self, analysis_ids: list[str]) -> None:
        self.chosen = list(analysis_ids)
        AppSettings().set_analyses(self._session.schema.id, self.chosen)

    def chosen_bound(self) -> list[BoundAnalysis]:
        by_id = {b.analysis.id: b for b in self.offered}
        return [by_id[a] for a in self.chosen if a in by_id]

    def measuring(self) -> Measuring:
        """What measuring needs now (the chosen analyses, the points' σ), frozen."""
        predicted, n = self._predicted()
        return Measuring(tuple(self.chosen_bound()), self._model, tuple(self.codes),
                         predicted, n)

    def sections(self, image_id: int, dragged: Dragged | None = None) -> list[Section]:
        """The chosen analyses on one image (``dragged``: a landmark where the mouse holds
        it now, nothing written)."""
        rec = self._session.image(image_id)
        return self.measuring().sections(self._session.landmarks(image_id), rec.status,
                                         rec.spacing, dragged)

    def sigma_note(self) -> tuple[str, ...]:
        return sigma_text(self._predicted()[1])

    def _predicted(self) -> tuple[np.ndarray, int]:
        if self._calibration is None:
            reviewed = ((self._session.predictions(r.id), self._session.landmarks(r.id),
                         r.spacing) for r in self._session.images()
                        if r.status == ReviewStatus.REVIEWED)
            self._calibration = predicted_sigma(self._model, self.codes, reviewed)
        return self._calibration

    def _invalidate(self, *_args: object) -> None:
        self._calibration = None

    def _landmarks_changed(self, image_id: int) -> None:
        if self._session.image(image_id).status == ReviewStatus.REVIEWED:
            self._calibration = None
