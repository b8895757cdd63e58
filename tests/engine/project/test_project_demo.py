"""The demo project built from phantoms: content, idempotence, crash safety."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from engine.data.landmarks import read_landmark_csv
from engine.data.phantom import make_phantom
from engine.errors import ProjectError
from engine.project import Project
from engine.project.demo import DEMO_SPEC, create_demo, demo_schema


def test_demo_project_is_ready_to_annotate(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    project_dir = create_demo(folder, n_images=2, seed=3)
    assert project_dir == folder / "project"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no building leftovers
    with Project.open(project_dir, read_only=True) as project:
        schema = project.schema
        assert schema.name == "Demo phantom" and len(schema) == 10
        assert schema.names[0] == "Mark 1" and schema.label(9) == "M10"
        assert len({lm.color for lm in schema.landmarks}) == 10
        descriptions = [lm.description for lm in schema.landmarks]
        assert len(set(descriptions)) == 10
        assert descriptions[0].startswith("Centre of the ring with a spoke pointing right")
        assert descriptions[3].startswith("Top tip of the filled triangle")
        assert descriptions[1].endswith("of the 3 crosses from the top)")
        images = project.images()
        assert len(images) == 2 and all(r.path.is_file() for r in images)
        assert all(r.stored_path.startswith("../images/") for r in images)  # moves with it
        assert all(r.width != r.height and r.spacing is None for r in images)
        assert project.template() == images[0]
        assert all(lm is None for r in images for lm in project.landmarks(r.id))
    truth = read_landmark_csv(folder / "images" / "landmarks.csv")
    assert sorted(truth.images()) == sorted(r.name for r in images)
    # The rings (marks 1, 5, 9) are ranked by height on the template.
    ring_ys = truth.get(images[0].name)[[0, 4, 8], 1]
    for mark, rank in zip((0, 4, 8), np.argsort(np.argsort(ring_ys)) + 1):
        ordinal = ("1st", "2nd", "3rd")[rank - 1]
        assert descriptions[mark].endswith(f"({ordinal} of the 3 rings from the top)")


def test_spoke_directions_in_the_descriptions_match_the_phantom() -> None:
    # Undeformed, so the spoke leaves each mark exactly as phantom.py drew it.
    spec = dataclasses.replace(DEMO_SPEC, deform=0.0, noise=0.0)
    img, pts = make_phantom(spec, seed=0)
    r = max(3, int(min(img.shape) * spec.mark_size))
    named = {"right": 0, "down-right": 45, "down": 90, "down-left": 135, "left": 180,
             "up-left": 225, "up": 270, "up-right": 315}  # degrees, image y down

    def mean_along(point: np.ndarray, degrees: float, start: float, end: float) -> float:
        unit = np.array([np.cos(np.radians(degrees)), np.sin(np.radians(degrees))])
        samples = [point + unit * t * r for t in np.linspace(start, end, 5)]
        return float(np.mean([img[int(round(y)), int(round(x))] for x, y in samples]))

    def spoke_contrast(point: np.ndarray, degrees: float) -> float:
        # Past the mark's own shape (within 2 r) but on the spoke (2.5 r long), against
        # just past the spoke's end: wide structures such as the skull outline cancel.
        return mean_along(point, degrees, 2.05, 2.4) - mean_along(point, degrees, 2.8, 3.3)

    for lm, point in zip(demo_schema(pts).landmarks, pts):
        measured = max(range(0, 360, 3), key=lambda d: spoke_contrast(point, d))
        (word,) = re.findall(r"spoke pointing (\S+)", lm.description)
        off = abs((measured - named[word] + 180) % 360 - 180)
        assert off <= 22.5 + 3, f"{lm.name}: {word}, but the spoke is at {measured} degrees"


def test_an_existing_demo_is_returned_without_rebuilding(tmp_path: Path) -> None:
    project_dir = create_demo(tmp_path / "demo", n_images=1)
    with Project.open(project_dir) as project:
        project.set_landmark(project.images()[0].id, 0, 5, 5, "template")
    assert create_demo(tmp_path / "demo", n_images=1) == project_dir
    with Project.open(project_dir) as project:
        assert project.landmarks(project.images()[0].id)[0] is not None


def test_a_failed_build_leaves_nothing_and_the_next_one_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(Project, "set_template", crash)
    (tmp_path / "demo").mkdir()  # an empty folder chosen by the user is fine
    with pytest.raises(RuntimeError, match="power cut"):
        create_demo(tmp_path / "demo", n_images=1)
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]
    assert list((tmp_path / "demo").iterdir()) == []
    monkeypatch.undo()
    assert (create_demo(tmp_path / "demo", n_images=1) / "project.sqlite").is_file()


def test_a_folder_with_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ProjectError, match="holds other files"):
        create_demo(tmp_path, n_images=1)
    with pytest.raises(ProjectError, match="at least one image"):
        create_demo(tmp_path / "new", n_images=0)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]

