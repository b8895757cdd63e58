"""Fuzzing what the engine reads back from disk: a small real project with one cell of its
SQLite file set to a random value (text, NaN, inf, huge, negative, bytes, a mutated log
entry), and a small run folder with a value of run.json, its config or template, or a tensor
of its checkpoint replaced.

The property: opening, reading, exporting, undoing, predicting and preparing a refit give a
result or a CC2DError, never another exception. Seeded, as in test_fuzz.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from damage import (
    cells,
    predict_with,
    read_everything,
    replace_tensor,
    set_cell,
    small_project,
    tpl_run,
    undo_all,
    write_json,
)
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz import fuzz, time_limit

from engine.errors import CC2DError
from engine.refit import refit_settings
from engine.run_folder import RunFolder

JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(),
    st.text(max_size=6), st.sampled_from(["", "abc", "../x", "/dev/zero", "nan"]),
    st.lists(st.integers(-5, 5), max_size=3), st.dictionaries(st.text(max_size=2),
                                                              st.integers(), max_size=2))
CELL_VALUES = st.one_of(
    st.none(), st.integers(-(2**63), 2**63 - 1), st.floats(), st.text(max_size=8),
    st.binary(max_size=4),
    st.sampled_from(["bogus", "{", "[]", "{}", '{"landmarks": 5}', '{"landmarks": ["A"]}',
                     "[" * 5000, "reviewed", "predicted", "template", "1e999"]))


@st.composite
def mutated_json(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with one nested entry replaced by a random JSON value, or deleted."""
    if isinstance(value, (dict, list)) and value and draw(st.integers(0, 3)):
        keys = sorted(value) if isinstance(value, dict) else list(range(len(value)))
        key = draw(st.sampled_from(keys))
        copy = dict(value) if isinstance(value, dict) else list(value)
        if isinstance(copy, dict) and not draw(st.integers(0, 5)):
            del copy[key]
        else:
            copy[key] = draw(mutated_json(value[key]))
        return copy
    return draw(JSON_VALUES)


@pytest.fixture(scope="module")
def project() -> Iterator[tuple[Path, list[tuple[str, str]], list[Any]]]:
    """(a small project, its (table, column) pairs, its edit log's data)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = small_project(Path(tmp))
        yield (folder, *cells(folder))


@fuzz(120)
@given(data=st.data())
def test_a_damaged_project_cell_gives_a_result_or_a_cc2d_error(
        project: tuple[Path, list[tuple[str, str]], list[Any]], data: st.DataObject) -> None:
    folder, names, logged = project
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "p"
        shutil.copytree(folder, work)
        if data.draw(st.integers(0, 3)):
            table, column = data.draw(st.sampled_from(names))
            value = data.draw(CELL_VALUES)
            row = data.draw(st.integers(1, 3))
        else:   # a logged change that undo or redo writes back
            row = data.draw(st.integers(1, len(logged)))
            table, column = "edit_log", "data_json"
            value = json.dumps(data.draw(mutated_json(logged[row - 1])))
        try:
            set_cell(work, table, column, value, row)
        except Exception:   # SQLite refused the value (NOT NULL, a type): no damage done
            return
        with time_limit():
            for step in (lambda: read_everything(work, Path(tmp)), lambda: undo_all(work)):
                try:
                    step()
                except CC2DError:
                    pass


@pytest.fixture(scope="module")
def run_folder() -> Iterator[tuple[Path, Path]]:
    with tempfile.TemporaryDirectory() as tmp:
        yield tpl_run(Path(tmp))


FILES = ("run.json", "tpl/config.json", "template.json")


@st.composite
def tensor_damage(draw: st.DrawFn, state: dict[str, Any]) -> tuple[str, Any]:
    """A checkpoint entry and what replaces it: a weight with NaN, inf, a huge value or
    another shape, a non-tensor, or a counter set to something else."""
    key = draw(st.sampled_from(sorted(state["net"]) + ["net", "n_landmarks", "step",
                                                       "elapsed_s", "loss", "optimizer"]))
    current = state["net"].get(key)
    if isinstance(current, torch.Tensor) and current.is_floating_point() and draw(st.booleans()):
        value = current.clone()
        value.view(-1)[0] = draw(st.sampled_from([float("nan"), float("inf"), 1e30, -1e7]))
        return key, value
    return key, draw(st.one_of(JSON_VALUES, st.sampled_from(
        [torch.zeros(3), torch.zeros(2, 2, 2, 2), torch.tensor(float("nan"))])))


@fuzz(40)
@given(data=st.data())
def test_a_tampered_run_folder_gives_a_result_or_a_cc2d_error(run_folder: tuple[Path, Path],
                                                             data: st.DataObject) -> None:
    source, images = run_folder
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        shutil.copytree(source, run)
        if data.draw(st.integers(0, 3)):
            name = data.draw(st.sampled_from(FILES))
            write_json(run / name, data.draw(mutated_json(json.loads((run / name).read_text()))))
        else:
            ckpt = run / "tpl" / "checkpoint.pt"
            key, value = data.draw(tensor_damage(torch.load(ckpt, weights_only=True)))
            replace_tensor(ckpt, key, value)
        with time_limit():
            assert predict_with(run, images, Path(tmp) / "out.csv") in (0, 2)
            try:
                folder = RunFolder(run)
                refit_settings(folder.read_record(), folder)
            except CC2DError:
                pass
