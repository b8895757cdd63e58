"""Records that must not lie: output modes, run folders reused with other inputs, damaged
records, damaged project files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import CheckpointError, ProjectError
from engine.run_folder import RunFolder


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_outputs_respect_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    # A fresh interpreter: the module reads the umask once, when imported.
    code = ("import os, sys; os.umask(int(sys.argv[2], 8)); from pathlib import Path; "
            "from engine.atomic import atomic_write_text; "
            "atomic_write_text(Path(sys.argv[1]), 'x')")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "f.txt"), oct(umask)[2:]],
                   check=True, cwd=Path(__file__).parents[3])
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == mode


@pytest.mark.parametrize("content", ["", "{", "[]", '{"stages": 3}', "\x00\xff"])
def test_a_damaged_run_record_is_reported(tmp_path: Path, content: str) -> None:
    (tmp_path / "run.json").write_bytes(content.encode("latin-1"))
    with pytest.raises(CheckpointError, match="run.json"):
        RunFolder(tmp_path).read_record()


def test_a_rerun_with_another_template_is_refused_naming_it(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    record = {"stages": {"ssl_train": {}}, "template": str(tmp_path / "a.png"),
              "ssl_config": {"steps": 5}}
    folder.write_record(record)
    before = folder.run_json.read_bytes()
    with pytest.raises(CheckpointError) as info:
        folder.check_same(folder.read_record(), {"template": str(tmp_path / "b.png"),
                                                 "ssl_config": {"steps": 5}})
    assert "template" in str(info.value) and "b.png" in str(info.value)
    assert "ssl_config" not in str(info.value)
    assert folder.run_json.read_bytes() == before


def test_an_empty_project_file_is_called_damaged(tmp_path: Path) -> None:
    from engine.project import Project

    folder = tmp_path / "proj"
    with Project.create(folder):
        pass
    (folder / "project.sqlite").write_bytes(b"")
    with pytest.raises(ProjectError) as info:
        Project.open(folder)
    assert "project.sqlite is damaged (it is empty)" in str(info.value)
    assert "not a CC2D project" not in str(info.value)


def test_a_record_from_before_a_config_field_existed_still_resumes(tmp_path: Path) -> None:
    # Records written before init_from existed: the same config, so the run resumes...
    folder = RunFolder(tmp_path)
    record = {"stages": {"tpl_train": {}}, "tpl_config": {"steps": 5}}
    folder.check_same(record, {"tpl_config": {"steps": 5, "init_from": ""}})
    # ...but a config that sets the new field to something else is another config.
    with pytest.raises(CheckpointError, match="init_from"):
        folder.check_same(record, {"tpl_config": {"steps": 5, "init_from": "x.pt"}})


def test_pseudo_label_settings_may_change_until_pseudo_labels_are_made(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    ssl_only = {"stages": {"ssl_train": {}}, "ssl_config": {"steps": 5, "cycle_candidates": 1}}
    folder.check_same(ssl_only, {"ssl_config": {"steps": 5, "cycle_candidates": 5}})
    with pytest.raises(CheckpointError, match="steps"):
        folder.check_same(ssl_only, {"ssl_config": {"steps": 6, "cycle_candidates": 1}})
    made = {**ssl_only, "stages": {"ssl_train": {}, "pseudo_labels": {}}}
    with pytest.raises(CheckpointError, match="cycle_candidates"):
        folder.check_same(made, {"ssl_config": {"steps": 5, "cycle_candidates": 5}})


@pytest.mark.parametrize("value", ["-1", "1e308", "'abc'"])
def test_a_project_row_with_no_real_spacing_is_reported_damaged(tmp_path: Path,
                                                                value: str) -> None:
    import sqlite3

    from engine.data.phantom import PhantomSpec, write_phantom_dataset
    from engine.project import LandmarkSchema, Project

    write_phantom_dataset(tmp_path / "img", 1, PhantomSpec(n_landmarks=2, width=40, height=30))
    with Project.create(tmp_path / "p", LandmarkSchema.from_names(["A", "B"])) as project:
        project.add_images([tmp_path / "img"])
    with sqlite3.connect(tmp_path / "p" / "project.sqlite") as conn:
        conn.execute(f"UPDATE images SET user_row_mm = {value}, user_col_mm = 0.1")
    with pytest.raises(ProjectError, match="is damaged .images row 1 has user_row_mm"):
        with Project.open(tmp_path / "p", read_only=True) as project:
            project.images()


def test_json_the_engine_reads_back_may_not_recurse_out_of_the_stack(tmp_path: Path) -> None:
    from engine.analysis import load_analysis
    from engine.analysis.model import AnalysisError
    from engine.project import load_schema

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ProjectError, match="nested too deeply"):
        load_schema(deep)
    with pytest.raises(AnalysisError, match="nested too deeply"):
        load_analysis(deep)
    (tmp_path / "run").mkdir()
    RunFolder(tmp_path / "run").run_json.write_text(deep.read_text())
    with pytest.raises(CheckpointError, match="nested too deeply"):
        RunFolder(tmp_path / "run").read_record()
