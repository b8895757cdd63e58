"""Outputs never destroy inputs: no writer replaces the project's own files, an input or a
special file; no reader blocks on a named pipe; no text cell runs as a spreadsheet
formula."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.data.landmarks import LandmarkTable, read_landmark_csv, write_landmark_csv
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.errors import CC2DError
from engine.output_paths import OutputPathError
from engine.project import LandmarkDef, LandmarkSchema, Project, export, import_landmarks

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
FORMATS = ("csv", "json", "coco")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_phantom_dataset(tmp_path / "img", 2, PhantomSpec(n_landmarks=2, width=40, height=30),
                          seed=3)
    schema = LandmarkSchema("s", (LandmarkDef("=HYPERLINK(\"http://x\")"), LandmarkDef("B")))
    with Project.create(tmp_path / "p", schema) as p:
        p.add_images([tmp_path / "img"])
        first = p.images()[0].id
        p.set_template(first)
        p.set_landmark(first, 0, 3.0, 4.0, "template")
    return tmp_path / "p"


def _finished_within(seconds: float, fn) -> object:
    """``fn()``'s result, failing the test (not hanging it) when it blocks."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:   # handed to the test
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"blocked for over {seconds} s"
    if "error" in box:
        raise box["error"]   # type: ignore[misc]
    return box.get("value")


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_onto_the_project_database_or_an_image_is_refused(project: Path, fmt: str,
                                                                     capsys) -> None:
    db = project / "project.sqlite"
    before = db.read_bytes()
    assert main(["project", "export", str(project), str(db), "--format", fmt]) == 2
    assert "one of the project's own files or images" in capsys.readouterr().err
    assert db.read_bytes() == before
    with Project.open(project, read_only=True) as p:   # still a database
        image = p.images()[0].path
        pixels = image.read_bytes()
        with pytest.raises(OutputPathError, match="project's own files or images"):
            export(p, image, fmt)
        link = project.parent / "link.png"
        link.symlink_to(image)   # another spelling of the same file
        with pytest.raises(OutputPathError, match="the same file as"):
            export(p, link, fmt)
    assert image.read_bytes() == pixels


@needs_fifo
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_onto_a_named_pipe_is_refused_at_once(project: Path, tmp_path: Path,
                                                        fmt: str) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with Project.open(project, read_only=True) as p, pytest.raises(OutputPathError,
                                                                   match="a named pipe"):
        _finished_within(10, lambda: export(p, pipe, fmt))
    assert pipe.is_fifo()   # not replaced by a file


@needs_fifo
def test_readers_refuse_a_named_pipe_instead_of_blocking(project: Path, tmp_path: Path) -> None:
    pipe = tmp_path / "labels.csv"
    os.mkfifo(pipe)
    with pytest.raises(CC2DError, match="named pipe"):
        _finished_within(10, lambda: read_landmark_csv(pipe))
    with Project.open(project) as p, pytest.raises(CC2DError, match="named pipe"):
        _finished_within(10, lambda: import_landmarks(p, pipe))


def test_cli_outputs_that_name_an_input_are_refused(tmp_path: Path, capsys) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("image,landmark,x,y\na,1,1,1\na,2,5,5\n")
    before = csv.read_bytes()
    assert main(["analyze", "--pred", str(csv), "--out", str(csv)]) == 2
    assert main(["evaluate", "--pred", str(csv), "--truth", str(csv), "--spacing", "0.1",
                 "--json", str(csv)]) == 2
    assert capsys.readouterr().err.count("one of this command's inputs") == 2
    assert csv.read_bytes() == before


def test_text_cells_never_run_as_formulas_and_read_back_as_written(project: Path,
                                                                    tmp_path: Path) -> None:
    names = ("=HYPERLINK(\"http://x\")", "@SUM(A1)", "+1", "-cmd", "plain")
    table = LandmarkTable(names, {"-evil.png": [[1.0, -2.5]] * 5})
    out = tmp_path / "t.csv"
    write_landmark_csv(out, table)
    cells = [line.split(",")[0] for line in out.read_text().splitlines()[1:]]
    assert set(cells) == {"'-evil.png"}
    assert "-2.500" in out.read_text()           # numbers stay numbers
    back = read_landmark_csv(out)
    assert back.names == names and list(back.points) == ["-evil.png"]
    with Project.open(project, read_only=True) as p:
        text = export(p, tmp_path / "e.csv", "csv")[0].read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_predict_refuses_to_write_over_an_input_image(tmp_path: Path, capsys) -> None:
    write_phantom_dataset(tmp_path / "img", 2, PhantomSpec(n_landmarks=2, width=40, height=30),
                          seed=4)
    image = tmp_path / "img" / "phantom_000.png"
    pixels = image.read_bytes()
    assert main(["predict", "--run", str(tmp_path / "none"), "--images", str(tmp_path / "img"),
                 "--out", str(image)]) == 2
    assert "one of this command's inputs" in capsys.readouterr().err
    assert image.read_bytes() == pixels


@needs_fifo
def test_adding_special_files_and_broken_links_lists_each_without_blocking(
        project: Path, tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    write_phantom_dataset(folder, 1, PhantomSpec(n_landmarks=2, width=40, height=30), seed=9)
    os.mkfifo(folder / "pipe.png")
    (folder / "zero.dcm").symlink_to("/dev/zero")
    (folder / "gone.png").symlink_to("nowhere.png")
    (folder / "a.png").symlink_to("b.png")
    (folder / "b.png").symlink_to("a.png")
    with open(folder / "sparse.dcm", "wb") as f:   # 2 GiB of nothing, no disk used
        f.truncate(2 << 30)
    with Project.open(project) as p:
        report = _finished_within(30, lambda: p.add_images([folder, folder / "pipe.png"]))
    reasons = {s.path.name: s.reason for s in report.failed}
    assert len(report.added) == 1
    assert "named pipe" in reasons["pipe.png"] and "character device" in reasons["zero.dcm"]
    assert "does not exist" in reasons["gone.png"] and "loops" in reasons["a.png"]
    assert "over the limit of 1 GiB" in reasons["sparse.dcm"]


@pytest.mark.skipif(os.name != "posix", reason="bytes file names are POSIX")
def test_a_name_that_is_not_utf8_is_listed_and_the_good_image_beside_it_added(
        project: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    write_phantom_dataset(folder, 2, PhantomSpec(n_landmarks=2, width=40, height=30), seed=7)
    os.rename(folder / "phantom_001.png", os.fsencode(folder) + b"/bad\xff.png")
    with Project.open(project) as p:
        report = p.add_images([folder])
        assert [r.name for r in report.added] == ["phantom_000.png"]
        (failure,) = report.failed
        assert "not valid UTF-8" in failure.reason and "\\udcff" in str(failure.path)
        assert "phantom_000.png" in {r.name for r in p.images()}
