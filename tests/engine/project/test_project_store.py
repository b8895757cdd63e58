"""The Project API: images, landmarks, review, template, spacing, runs, edit log, undo."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from project_helpers import N_CUSTOM, custom_schema, write_dicom, write_png

from engine.data.spacing import Spacing
from engine.errors import ProjectError
from engine.project import (
    Landmark,
    LandmarkSource,
    Project,
    ReviewStatus,
    RunState,
    default_schema,
)


def test_create_open_and_persist(tmp_path: Path, image_dir: Path) -> None:
    folder = tmp_path / "proj"
    with Project.create(folder) as proj:
        assert proj.schema == default_schema()
        assert (folder / "runs").is_dir() and (folder / "project.sqlite").is_file()
        (img,) = proj.add_images([image_dir / "img0.png"]).added
        proj.set_landmark(img.id, 18, 1.5, 2.5, "template", confidence=0.9)
    assert not list(folder.glob(".project.sqlite.creating*"))
    with Project.open(folder / "project.sqlite") as proj:  # the file path works too
        assert proj.landmarks(img.id)[18] == Landmark(1.5, 2.5, LandmarkSource.TEMPLATE, 0.9)
        assert proj.integrity_check() == ["ok"]
        mode = proj._db.query("PRAGMA journal_mode")[0][0]
        assert mode == "wal" and proj._db.query("PRAGMA foreign_keys")[0][0] == 1


def test_create_refuses_an_existing_project_and_open_a_non_project(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    with pytest.raises(ProjectError, match="already holds a project"):
        Project.create(tmp_path / "p")
    with pytest.raises(ProjectError, match="not a CC2D project"):
        Project.open(tmp_path)


def test_add_images_reports_each_file(project: Project, image_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "same as img0.png"
    copy.parent.mkdir()
    shutil.copy(image_dir / "img0.png", copy)
    (tmp_path / "notes.txt").write_text("hello")
    new = write_png(tmp_path / "new.png", seed=99)
    report = project.add_images([copy, tmp_path / "notes.txt", tmp_path / "gone.png", new, new])
    assert [r.path for r in report.added] == [new]
    assert {d.path for d in report.duplicates} == {copy, new}
    assert "same content as img0.png" in report.duplicates[0].reason
    reasons = {f.path.name: f.reason for f in report.failed}
    assert "not an image file" in reasons["notes.txt"] and reasons["gone.png"] == "file not found"
    assert "failed" in report.summary() and len(project.images()) == 5


def test_paths_relative_inside_the_parent_folder_else_absolute(
    project: Project, tmp_path: Path
) -> None:
    rec = project.images()[0]
    assert rec.stored_path == "../images/img0.png" and rec.path == tmp_path / "images/img0.png"
    assert rec.width == 40 and rec.height == 32 and rec.size_bytes == rec.path.stat().st_size
    assert rec.spacing is None and rec.status is ReviewStatus.UNREVIEWED
    outside = write_png(tmp_path.parent / f"{tmp_path.name}_outside.png", seed=7)
    try:
        (added,) = project.add_images([outside]).added
        assert added.stored_path == outside.as_posix()
    finally:
        outside.unlink()


def test_moving_the_parent_folder_keeps_relative_images(project: Project, tmp_path: Path) -> None:
    project.close()
    shutil.move(tmp_path / "proj", tmp_path / "moved" / "proj")
    shutil.move(tmp_path / "images", tmp_path / "moved" / "images")
    with Project.open(tmp_path / "moved" / "proj") as proj:
        assert not proj.check_images().missing and len(proj.check_images().ok) == 4


def test_landmarks_set_clear_batch_and_validation(project: Project) -> None:
    img = project.images()[0].id
    assert project.landmarks(img) == [None] * N_CUSTOM
    project.set_landmark(img, 0, 10, 20, LandmarkSource.PREDICTED, confidence=0.5)
    project.set_landmark(img, 36, np.float32(3.25), np.int64(4), "corrected")
    project.set_landmark(img, np.int64(1), 1, 1, "template")
    lms = project.landmarks(img)
    assert lms[0] == Landmark(10.0, 20.0, LandmarkSource.PREDICTED, 0.5)
    assert lms[36] == Landmark(3.25, 4.0, LandmarkSource.CORRECTED, None)
    project.clear_landmark(img, 0)
    assert project.landmarks(img)[0] is None
    points = [(float(i), float(2 * i)) if i % 2 else None for i in range(N_CUSTOM)]
    project.set_landmarks(img, points, "predicted", confidences=[0.1] * N_CUSTOM)
    got = project.landmarks(img)
    assert got[3] == Landmark(3.0, 6.0, LandmarkSource.PREDICTED, 0.1) and got[36] is None
    for bad, message in [
        (dict(landmark_index=37), "out of range"),
        (dict(landmark_index=-1), "out of range"),
        (dict(landmark_index=1.0), "not an integer"),
        (dict(x=float("nan")), "not a finite number"),
        (dict(source="guessed"), "unknown LandmarkSource 'guessed'"),
        (dict(confidence=float("inf")), "not a finite number"),
    ]:
        kwargs = dict(landmark_index=2, x=1.0, y=1.0, source="corrected", confidence=None) | bad
        with pytest.raises(ProjectError, match=message):
            project.set_landmark(img, **kwargs)
    with pytest.raises(ProjectError, match="no image with id 99"):
        project.set_landmark(99, 0, 1, 1, "corrected")
    with pytest.raises(ProjectError, match="got 2 points for a schema of 37"):
        project.set_landmarks(img, [(1, 1), None], "predicted")


def test_status_template_and_counts(project: Project) -> None:
    a, b = (r.id for r in project.images()[:2])
    project.set_status(a, ReviewStatus.REVIEWED)
    project.set_status(b, "needs_attention")
    counts = project.status_counts()
    assert counts == {
        ReviewStatus.UNREVIEWED: 2, ReviewStatus.NEEDS_ATTENTION: 1, ReviewStatus.REVIEWED: 1
    }
    with pytest.raises(ProjectError, match="unknown ReviewStatus"):
        project.set_status(a, "done")
    assert project.template() is None
    project.set_template(b)
    assert project.template().id == b
    project.set_template(None)
    assert project.template() is None


def test_user_spacing_only_where_the_file_has_none(project: Project, tmp_path: Path) -> None:
    img = project.images()[0].id
    project.set_user_spacing(img, (0.1, 0.2))
    assert project.image(img).spacing == Spacing(0.1, 0.2, "user")
    project.set_user_spacing(img, Spacing(0.3, 0.3, "whatever"))
    assert project.image(img).spacing == Spacing(0.3, 0.3, "user")
    with pytest.raises(ProjectError, match="invalid pixel spacing"):
        project.set_user_spacing(img, (0.0, 1.0))
    project.set_user_spacing(img, None)
    assert project.image(img).spacing is None
    dcm = write_dicom(tmp_path / "ceph.dcm", spacing=(0.1, 0.125))
    (rec,) = project.add_images([dcm]).added
    assert rec.spacing == Spacing(0.1, 0.125, rec.file_spacing.source)
    with pytest.raises(ProjectError, match="has pixel spacing from its file"):
        project.set_user_spacing(rec.id, (0.2, 0.2))


def test_runs(project: Project, tmp_path: Path) -> None:
    run = project.add_run({"epochs": 10, "template": "img0.png"})
    assert run.state is RunState.PENDING and run.name == "run 1" and run.folder.is_dir()
    assert run.folder == project.runs_dir / "0001"
    ckpt = run.folder / "best.pt"
    metrics = {"mre_mm": 2.5, "loss": float("nan")}
    run = project.update_run(run.id, state="finished", metrics=metrics, checkpoint=ckpt)
    assert run.state is RunState.FINISHED and run.checkpoint == ckpt
    assert run.metrics["mre_mm"] == 2.5 and np.isnan(run.metrics["loss"])
    assert project._db.query("SELECT checkpoint FROM runs")[0][0] == "runs/0001/best.pt"
    assert [r.id for r in project.runs()] == [1] and project.add_run({}, name="b").name == "b"
    with pytest.raises(ProjectError, match="unknown RunState"):
        project.update_run(run.id, state="exploded")
    with pytest.raises(ProjectError, match="not JSON-serialisable"):
        project.add_run({"x": object()})
    with pytest.raises(ProjectError, match="no training run with id 9"):
        project.run(9)
    log = project.edit_log()
    assert [e.action for e in log][-3:] == ["run_add", "run_update", "run_add"]
    assert log[-2].data == {"run": 1, "state": "finished", "metrics": ["loss", "mre_mm"],
                            "checkpoint": "runs/0001/best.pt"}


def test_undo_reverts_edits_in_reverse_order_and_logs_it(
    project: Project, image_dir: Path
) -> None:
    a, b = (r.id for r in project.images()[:2])
    project.set_landmark(a, 0, 1, 1, "predicted", 0.3)
    project.set_landmark(a, 0, 2, 2, "corrected")
    project.set_status(a, "reviewed")
    project.set_template(b)
    project.set_user_spacing(b, (0.5, 0.5))
    project.add_run({"lr": 1})  # traced, not undoable
    n_before = len(project.edit_log())

    assert project.undo().summary.startswith("undo: spacing")
    assert project.image(b).spacing is None
    project.undo()
    assert project.template() is None
    project.undo()
    assert project.image(a).status is ReviewStatus.UNREVIEWED
    project.undo()
    assert project.landmarks(a)[0] == Landmark(1, 1, LandmarkSource.PREDICTED, 0.3)
    project.undo()
    assert project.landmarks(a)[0] is None
    log = project.edit_log()
    assert len(log) == n_before + 5 and log[-1].action == "undo"
    assert [e.undoes for e in log[-5:]] == [e.id for e in reversed(log[-11:-6])]
    assert project.undo().summary.startswith("undo: add 4 image(s)")  # the add itself
    assert project.images() == [] and project.undo() is None  # "create" is not undoable
    readded = project.add_images([image_dir]).added
    assert [r.id for r in readded] == [5, 6, 7, 8]  # ids of undone images are never reused


def test_undo_of_an_import_like_batch_is_one_step(project: Project) -> None:
    ids = [r.id for r in project.images()]
    edits = {i: {k: Landmark(k, i, "corrected") for k in range(N_CUSTOM)} for i in ids}
    project.apply_edits(edits, statuses={ids[0]: "reviewed"}, summary="batch")
    project.undo()
    assert all(project.landmarks(i) == [None] * N_CUSTOM for i in ids)
    assert project.image(ids[0]).status is ReviewStatus.UNREVIEWED


def test_edit_log_is_append_only(project: Project) -> None:
    conn = project._db.conn
    for sql in ("UPDATE edit_log SET summary = 'x'", "DELETE FROM edit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    entry = project.edit_log()[-1]
    assert entry.action == "add_images" and entry.undoable
    assert [e["path"] for e in entry.data["images"]][0] == "../images/img0.png"
    assert len(project.edit_log(limit=1)) == 1


def test_check_images_missing_changed_relocated(project: Project, tmp_path: Path) -> None:
    recs = project.images()
    moved_to = tmp_path / "archive" / "deep" / "renamed.png"
    moved_to.parent.mkdir(parents=True)
    shutil.move(recs[0].path, moved_to)
    write_png(recs[1].path, seed=1234, size=(41, 32))  # same name, new content
    recs[2].path.unlink()
    check = project.check_images([tmp_path / "archive"])
    assert [r.id for r in check.missing] == [recs[0].id, recs[2].id]
    assert [r.id for r in check.changed] == [recs[1].id]
    assert [r.id for r in check.ok] == [recs[3].id]
    assert [(r.id, p) for r, p in check.relocated] == [(recs[0].id, moved_to)]
    project.relocate(recs[0].id, moved_to)
    assert project.image(recs[0].id).stored_path == "../archive/deep/renamed.png"
    with pytest.raises(ProjectError, match="not the same file"):
        project.relocate(recs[3].id, moved_to)
    project.undo()
    assert project.image(recs[0].id).stored_path == "../images/img0.png"


def test_read_only_open_refuses_writes_but_reads(project: Project) -> None:
    img = project.images()[0].id
    project.set_landmark(img, 0, 5, 6, "corrected")
    with Project.open(project.folder, read_only=True) as ro:  # allowed while the writer holds it
        assert ro.read_only and ro.landmarks(img)[0].x == 5
        for call in (lambda: ro.set_landmark(img, 0, 1, 1, "corrected"), ro.undo,
                     lambda: ro.add_images([]), lambda: ro.add_run({})):
            with pytest.raises(ProjectError, match="open read-only"):
                call()


def test_schema_with_many_landmarks(tmp_path: Path, image_dir: Path) -> None:
    with Project.create(tmp_path / "big", schema=custom_schema(200)) as proj:
        (img,) = proj.add_images([image_dir / "img1.png"]).added
        proj.set_landmark(img.id, 199, 1, 2, "template")
    with Project.open(tmp_path / "big") as proj:
        assert len(proj.schema) == 200 and proj.landmarks(img.id)[199].y == 2
