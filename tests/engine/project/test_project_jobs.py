"""The instant match as a project job (engine.project.jobs): inputs read from the project,
points back as one edit on the images still to review, a clinician's points untouched;
and ``cc2d project match`` running the same job."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.cli.main import main
from engine.data.landmarks import LandmarkTable, read_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.errors import ProjectError
from engine.metrics import evaluate
from engine.project import LandmarkDef, LandmarkSchema, LandmarkSource, Project
from engine.project import ReviewStatus as S
from engine.project.jobs import features_dir, match_inputs, run_match
from engine.project.training import store_predictions

pytestmark = pytest.mark.usefixtures("pretrained_weights")
CPU = torch.device("cpu")
N = 5


@pytest.fixture(scope="module")
def phantoms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jobs")
    write_phantom_dataset(folder, 7, PhantomSpec(n_landmarks=N, width=120, height=150), seed=5)
    return folder


@pytest.fixture
def project(phantoms, tmp_path):
    schema = LandmarkSchema("phantom", tuple(LandmarkDef(f"L{i}") for i in range(N)),
                            id="phantom5")
    truth = read_landmark_csv(phantoms / "landmarks.csv")
    with Project.create(tmp_path / "p", schema) as project:
        project.add_images(sorted(phantoms.glob("*.png")))
        ids = {r.name: r.id for r in project.images()}
        template = ids["phantom_000.png"]
        project.set_template(template)
        project.set_landmarks(template, [tuple(p) for p in truth.points["phantom_000.png"]],
                              LandmarkSource.TEMPLATE)
        yield project, truth, ids


def _stored(project: Project) -> LandmarkTable:
    table = LandmarkTable(project.schema.names)
    for rec in project.images():
        marks = project.landmarks(rec.id)
        if all(m is not None for m in marks):
            table.points[rec.name] = np.array([(m.x, m.y) for m in marks])
    return table


def test_every_image_to_review_gets_points_and_the_reviewed_ones_keep_theirs(project):
    project, truth, ids = project
    reviewed = ids["phantom_003.png"]
    # A clinician's corrected points (near the truth, not on it: they must stay as placed).
    project.set_landmarks(reviewed, [(x + 0.7, y - 0.4) for x, y
                                     in truth.points["phantom_003.png"]],
                          LandmarkSource.CORRECTED)
    mine = project.landmarks(reviewed)
    project.set_status(reviewed, S.REVIEWED)

    inputs = match_inputs(project)
    assert [i for i, _p in inputs.targets] == sorted(
        v for k, v in ids.items() if k not in ("phantom_000.png", "phantom_003.png"))
    assert [t.image.name for t in inputs.labelled] == ["phantom_003.png"]
    assert inputs.cache_dir == features_dir(project.folder)
    table = run_match(inputs, CPU)
    entry = store_predictions(project, table, [p for _i, p in inputs.targets],
                              label="instant predictions")
    assert entry is not None and "instant predictions" in entry.summary
    assert project.landmarks(reviewed) == mine            # a clinician's points stay
    for name, image_id in ids.items():
        marks = project.landmarks(image_id)
        assert all(m is not None for m in marks), name
        if image_id not in (reviewed, ids["phantom_000.png"]):
            assert {m.source for m in marks} == {LandmarkSource.PREDICTED}
            assert all(m.confidence is not None for m in marks)
    others = _stored(project)
    for name in ("phantom_000.png", "phantom_003.png"):
        others.points.pop(name)
    assert evaluate(others, truth, None).mre < 4.0    # pixels (1.6 measured) on 120×150
    assert any(features_dir(project.folder).iterdir())     # the cache for the next match


def test_the_signature_follows_what_the_match_learns_from(project):
    project, _truth, ids = project
    first = match_inputs(project).signature
    assert match_inputs(project).signature == first
    image = ids["phantom_002.png"]
    project.set_landmarks(image, [(30.0, 40.0 + i) for i in range(N)],
                          LandmarkSource.CORRECTED)
    assert match_inputs(project).signature == first        # not labelled until reviewed
    project.set_status(image, S.REVIEWED)
    reviewed = match_inputs(project).signature
    assert reviewed != first
    project.set_landmark(image, 0, 31.0, 40.0, LandmarkSource.CORRECTED)
    assert match_inputs(project).signature not in (first, reviewed)


def test_an_incomplete_template_says_what_is_missing(project):
    project, _truth, ids = project
    project.clear_landmark(ids["phantom_000.png"], 2)
    with pytest.raises(ProjectError, match="lacks 1 of its 5 landmarks"):
        match_inputs(project)


def test_the_command_line_runs_the_same_job(project, capsys):
    project, _truth, ids = project
    folder = project.folder
    project.close()
    assert main(["project", "match", str(folder), "--device", "cpu"]) == 0
    assert "6 of 6 image(s) to review changed" in capsys.readouterr().out
    assert main(["project", "match", str(folder), "--device", "cpu"]) == 0
    assert "0 of 6 image(s) to review changed" in capsys.readouterr().out   # same points
    with Project.open(folder, read_only=True) as again:
        assert all(m is not None for r in again.images() for m in again.landmarks(r.id))


def test_train_and_improve_on_the_command_line_keep_the_reviewed_points(project, capsys):
    project, truth, ids = project
    reviewed = ids["phantom_003.png"]
    placed = [(float(x) + 1.5, float(y) - 1.0) for x, y in truth.points["phantom_003.png"]]
    project.set_landmarks(reviewed, placed, LandmarkSource.CORRECTED)
    project.set_status(reviewed, S.REVIEWED)
    folder = project.folder
    project.close()
    assert main(["project", "train", str(folder), "--profile", "tiny", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "the template and 1 reviewed image(s)" in out
    assert "5 of 5 image(s) to review updated" in out
    assert main(["project", "improve", str(folder), "--device", "cpu"]) == 0
    assert "refit of run 1 with 1 reviewed image(s)" in capsys.readouterr().out
    with Project.open(folder, read_only=True) as again:
        assert [r.state.value for r in again.runs()] == ["finished", "finished"]
        kept = again.landmarks(reviewed)
        assert [(m.x, m.y) for m in kept] == placed        # the clinician's points, untouched
        others = [again.landmarks(r.id) for r in again.images()
                  if r.id not in (reviewed, ids["phantom_000.png"])]
        assert all(m is not None and m.source is LandmarkSource.PREDICTED
                   for marks in others for m in marks)


def test_improve_without_a_finished_run_says_so(project, capsys):
    project, _truth, _ids = project
    folder = project.folder
    project.close()
    assert main(["project", "improve", str(folder), "--device", "cpu"]) == 2
    assert "no finished run to improve" in capsys.readouterr().err


def test_stage_times_come_from_the_newest_finished_training_like_this_one(project):
    from engine.project import RunState
    from engine.project.jobs import finished_run, stage_seconds, unfinished_run

    project, _truth, _ids = project
    assert stage_seconds(project, "clinic", "auto", 10) == {}
    stages = {"pseudo_labels": {"source": "instant", "features_s": 2.0, "matching_s": 8.0},
              "tpl_train": {"seconds": 600.0, "steps": 550},
              "tpl_predict": {"seconds": 26.0}, "predict": {"seconds": float("nan")}}
    old = project.add_run({"profile": "clinic", "device": "auto", "n_images": 100})
    project.update_run(old.id, state=RunState.FINISHED,
                       metrics={"stages": {"tpl_train": {"seconds": 1.0}}})
    run = project.add_run({"profile": "clinic", "device": "auto", "n_images": 100})
    project.update_run(run.id, state=RunState.FINISHED, metrics={"stages": stages})
    other = project.add_run({"profile": "full", "device": "auto", "n_images": 100})
    project.update_run(other.id, state=RunState.FINISHED,
                       metrics={"stages": {"tpl_train": {"seconds": 5.0}}})
    # The training stages keep their time, the image-by-image ones scale with the images;
    # the damaged (NaN) time of the last stage is left out.
    assert stage_seconds(project, "clinic", "auto", 200) == {
        "image features": 4.0, "instant matching": 16.0, "TPL training": 600.0,
        "TPL prediction": 52.0}
    assert stage_seconds(project, "clinic", "cuda", 200) == {}
    assert finished_run(project).id == other.id and unfinished_run(project) is None
    project.update_run(run.id, state=RunState.CANCELLED)
    assert unfinished_run(project).id == run.id
