"""Kept predictions: written with the landmarks in one edit, restored after a correction."""

from __future__ import annotations

import pytest

from engine.errors import ProjectError
from engine.project import Landmark, LandmarkSource, Project


def predicted(x: float, y: float, conf: float) -> Landmark:
    return Landmark(x, y, LandmarkSource.PREDICTED, conf)


def test_predictions_kept_corrected_then_restored(project: Project):
    a, b = (r.id for r in project.images()[:2])
    points = {a: {0: predicted(1, 2, 0.9), 1: predicted(3, 4, 0.2)}, b: {0: predicted(5, 6, 0.5)}}
    project.apply_edits(points, predictions=points)
    assert project.predictions(a)[1] == predicted(3, 4, 0.2)
    assert project.predictions(b)[1] is None

    project.set_landmark(a, 1, 30, 40, "corrected")
    assert project.landmarks(a)[1].source == LandmarkSource.CORRECTED
    assert project.predictions(a)[1] == predicted(3, 4, 0.2)  # the correction left it alone
    project.restore_prediction(a, 1)
    assert project.landmarks(a)[1] == predicted(3, 4, 0.2)

    project.undo()  # the restore
    assert (project.landmarks(a)[1].x, project.landmarks(a)[1].source) == (30, "corrected")
    project.undo()  # the correction
    project.undo()  # the predictions: both tables back to empty, in one step
    assert project.landmarks(a) == [None] * len(project.schema)
    assert project.predictions(a) == [None] * len(project.schema)
    project.redo()
    assert project.predictions(b)[0] == predicted(5, 6, 0.5)
    entry = project.edit_log()[-1]
    assert project.touched_images(entry) == {a, b}


def test_restore_without_a_kept_prediction_says_so(project: Project):
    a = project.images()[0].id
    project.set_landmark(a, 0, 1, 1, "template")
    with pytest.raises(ProjectError, match="no kept prediction"):
        project.restore_prediction(a, 0)


def test_predictions_survive_reopening(project: Project):
    a = project.images()[0].id
    project.apply_edits({}, predictions={a: {2: predicted(7, 8, 0.7)}})
    folder = project.folder
    project.close()
    with Project.open(folder) as again:
        assert again.predictions(a)[2] == predicted(7, 8, 0.7)
