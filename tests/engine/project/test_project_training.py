"""The project ↔ run bridge: training inputs from the store, predictions back as one edit,
and the one vocabulary of point sources between tables and the project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from project_helpers import N_CUSTOM, custom_schema, write_png

from engine.data.image_keys import image_keys
from engine.data.landmarks import LandmarkTable, read_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.errors import LandmarkFileError, ProjectError
from engine.pipeline import PipelineSettings, run_pipeline
from engine.project import Landmark, LandmarkSchema, LandmarkSource, Project
from engine.project.sources import project_table, set_sources, sources_of, table_landmarks
from engine.project.training import store_predictions, training_inputs
from engine.run_folder import RunFolder

P, T, C = LandmarkSource.PREDICTED, LandmarkSource.TEMPLATE, LandmarkSource.CORRECTED


def _table(keys: list[str], offset: float = 0.0) -> LandmarkTable:
    """Predictions for ``keys``: landmark i of image k at (i + offset, k), confidence 0.5."""
    table = LandmarkTable(custom_schema().names)
    for k, key in enumerate(keys):
        table.points[key] = np.array([[i + offset, float(k)] for i in range(N_CUSTOM)])
        table.values.setdefault("confidence", {})[key] = np.full(N_CUSTOM, 0.5)
        table.text.setdefault("stage", {})[key] = ["tpl"] * N_CUSTOM
    return table


def test_sources_go_from_table_to_project_words_and_back(project: Project) -> None:
    table = _table(["a.png"])
    table.text["stage"]["a.png"][:3] = ["template", "refined", ""]
    assert sources_of(table, "a.png")[:4] == [T, P, None, P]       # stage words
    set_sources(table, "a.png", [C, T, None] + [P] * (N_CUSTOM - 3))
    assert sources_of(table, "a.png")[:4] == [C, T, None, P]       # source column first
    assert table.text["source"]["a.png"][:3] == ["corrected", "template", ""]
    table.text["source"]["a.png"][0] = "guessed"
    with pytest.raises(LandmarkFileError, match="'source' of image 'a.png' holds \\['guessed'\\]"):
        sources_of(table, "a.png")
    # Project → table → landmarks gives back what the project holds.
    rec = project.images()[0]
    project.set_landmark(rec.id, 0, 1.5, 2.5, "template")
    project.set_landmark(rec.id, 1, 3.0, 4.0, "predicted", confidence=0.25)
    project.set_landmark(rec.id, 2, 5.0, 6.0, "corrected")
    from_project = project_table(project, [rec])
    assert table_landmarks(from_project, str(rec.path)) == project.landmarks(rec.id)
    assert from_project.text["source"][str(rec.path)][:4] == ["template", "predicted",
                                                              "corrected", ""]


def test_training_inputs_say_what_is_missing(project: Project) -> None:
    with pytest.raises(ProjectError, match="no template image is chosen"):
        training_inputs(project)
    first, second = project.images()[:2]
    project.set_template(first.id)
    project.set_landmark(first.id, 0, 1.0, 2.0, "template")
    with pytest.raises(ProjectError, match=f"lacks {N_CUSTOM - 1} of its {N_CUSTOM} landmarks "
                                           r"\(Joint 2, J3, Joint 4"):
        training_inputs(project)
    project.set_landmarks(first.id, [(i % 30, i % 30 + 1.0) for i in range(N_CUSTOM)],
                          "template")
    paths, template = training_inputs(project)
    assert paths == [r.path for r in project.images()] and template.image == first.path
    assert template.names == project.schema.names and template.points[3].tolist() == [3, 4]
    second.path.unlink()
    with pytest.raises(ProjectError, match=f"1 image file.* missing: {second.path}; reconnect"):
        training_inputs(project)


def test_predictions_are_one_edit_that_keeps_clinicians_points(project: Project) -> None:
    recs = project.images()
    project.set_landmark(recs[0].id, 0, 9.0, 9.0, "template")
    project.set_landmark(recs[1].id, 1, 8.0, 8.0, "corrected")
    project.set_landmark(recs[1].id, 2, 7.0, 7.0, "predicted", confidence=0.9)
    before = {r.id: project.landmarks(r.id) for r in recs}
    keys = image_keys([r.path for r in recs])
    table = _table(keys)
    table.points[keys[2]][4] = np.nan                       # no point there: left alone
    table.text["stage"][keys[3]] = ["template"] * N_CUSTOM  # the run's template row
    entry = store_predictions(project, table, [r.path for r in recs], run_id=7)
    assert entry is not None and entry.summary.startswith("predictions of run 7: ")
    after = {r.id: project.landmarks(r.id) for r in recs}
    assert after[recs[0].id][0] == Landmark(9.0, 9.0, T)           # template kept
    assert after[recs[1].id][1] == Landmark(8.0, 8.0, C)           # correction kept
    assert after[recs[1].id][2] == Landmark(2.0, 1.0, P, 0.5)      # old prediction replaced
    assert after[recs[2].id][4] is None
    assert after[recs[0].id][5] == Landmark(5.0, 0.0, P, 0.5)
    assert after[recs[3].id] == before[recs[3].id]
    changed = 3 * N_CUSTOM - 1 - 1 - 1    # three images, less the two kept and the gap
    assert entry.summary.endswith(f"{changed} point(s) on 3 image(s)")
    # The model's points are kept for Restore, also where the clinician's point stays.
    assert project.predictions(recs[1].id)[1] == Landmark(*table.points[keys[1]][1], P, 0.5)
    assert project.predictions(recs[3].id) == [None] * N_CUSTOM   # template rows are not
    assert store_predictions(project, table, [r.path for r in recs]) is None   # no change
    project.undo()                                          # one undo reverts every point
    assert {r.id: project.landmarks(r.id) for r in recs} == before
    assert project.predictions(recs[1].id) == [None] * N_CUSTOM


def test_a_prediction_outside_its_image_is_left_out_and_named(
        project: Project, caplog: pytest.LogCaptureFixture) -> None:
    recs = project.images()
    keys = image_keys([r.path for r in recs])
    table = _table(keys[:1])
    table.points[keys[0]][2] = [recs[0].width + 5.0, 3.0]   # 5 px beyond the right edge
    table.points[keys[0]][3] = [-0.4, 3.0]                   # inside: the pixel's own half
    with caplog.at_level("WARNING", logger="engine.project.training"):
        store_predictions(project, table, [r.path for r in recs])
    after = project.landmarks(recs[0].id)
    assert after[2] is None and after[3] == Landmark(-0.4, 3.0, P, 0.5)
    assert project.predictions(recs[0].id)[2] is None
    label = project.schema.label(2)
    assert f"{recs[0].name}: the predicted {label} ({recs[0].width + 5:g}, 3) lies outside" \
        in caplog.text


def test_predictions_of_twins_go_to_their_own_images(tmp_path: Path) -> None:
    twins = [write_png(tmp_path / side / "img001.png", seed=s) for s, side in enumerate("ab")]
    with Project.create(tmp_path / "proj", schema=custom_schema()) as project:
        project.add_images(twins)
        table = _table(image_keys(twins))
        assert sorted(table.points) == ["a/img001.png", "b/img001.png"]
        store_predictions(project, table)          # among the project's own images
        by_path = {r.path: r.id for r in project.images()}
        assert project.landmarks(by_path[twins[0]])[3] == Landmark(3.0, 0.0, P, 0.5)
        assert project.landmarks(by_path[twins[1]])[3] == Landmark(3.0, 1.0, P, 0.5)
        bare = LandmarkTable(table.names, {"img001.png": table.points["a/img001.png"]})
        with pytest.raises(LandmarkFileError, match="names several images"):
            store_predictions(project, bare)
        with pytest.raises(LandmarkFileError, match="have 3 landmarks but the project schema"):
            store_predictions(project, LandmarkTable(("a", "b", "c"), {}))


def test_a_run_from_the_project_stores_its_predictions_by_full_path(tmp_path: Path) -> None:
    spec = PhantomSpec(n_landmarks=3, width=90, height=110)
    images = [p for side, seed in (("a", 1), ("b", 2))
              for p in write_phantom_dataset(tmp_path / side, 3, spec, seed)[0]]
    schema = LandmarkSchema.from_names(["P1", "P2", "P3"])
    with Project.create(tmp_path / "proj", schema=schema) as project:
        project.add_images(images)
        by_path = {r.path: r.id for r in project.images()}
        template_id = by_path[images[3]]                   # b/phantom_000.png
        project.set_landmarks(template_id, [(20.0, 30.0), (45.0, 50.0), (60.0, 80.0)],
                              "template")
        project.set_template(template_id)
        paths, template = training_inputs(project)
        run = project.add_run({"profile": "tiny"})
        steps = {"steps": 2}
        run_pipeline(paths, template, run.folder, PipelineSettings("tiny", steps, steps, steps),
                     torch.device("cpu"))
        predictions = read_landmark_csv(RunFolder(run.folder).predictions)
        entry = store_predictions(project, predictions, run_id=run.id)
        assert entry is not None and entry.summary.endswith("15 point(s) on 5 image(s)")
        assert [lm.source for lm in project.landmarks(template_id)] == [T, T, T]
        twin = project.landmarks(by_path[images[0]])        # a/phantom_000.png
        assert all(lm is not None and lm.source is P and 0 <= lm.confidence <= 1 for lm in twin)


def test_a_template_point_outside_the_image_is_refused(project: Project) -> None:
    rec = project.images()[0]
    project.set_template(rec.id)
    for i in range(len(project.schema)):
        project.set_landmark(rec.id, i, 1.0, 1.0, "template")
    project.set_landmark(rec.id, 2, rec.width + 50.0, 3.0, "template")
    with pytest.raises(ProjectError, match=f"{project.schema.label(2)}.*outside"):
        training_inputs(project)


def test_labelled_images_are_the_complete_reviewed_ones(project: Project) -> None:
    from engine.project import ReviewStatus
    from engine.project.training import labelled_images

    recs = project.images()
    for rec in recs[:3]:
        for i in range(N_CUSTOM):
            project.set_landmark(rec.id, i, float(i % 30), 1.0, "corrected")
    project.set_template(recs[0].id)
    project.clear_landmark(recs[2].id, 4)            # incomplete: not a true label
    for rec in recs:
        project.set_status(rec.id, ReviewStatus.REVIEWED)
    got = labelled_images(project)                  # not the template, nor the empty recs[3]
    assert [t.image for t in got] == [recs[1].path]
    np.testing.assert_allclose(got[0].points[:, 0], np.arange(N_CUSTOM) % 30)
    project.set_status(recs[1].id, ReviewStatus.UNREVIEWED)
    assert labelled_images(project) == []
