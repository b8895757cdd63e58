"""Fuzzing what a person types or names: formula-like text cells through the CSV writers
and readers, absurd numbers on the command line, special files where a file is read.

Properties: a written text cell never starts a spreadsheet formula and reads back as it
was; an absurd number is refused by argparse (exit 2, naming the option); a special file
is a CC2DError at once, never a hang or another exception. Seeded, as test_fuzz.py.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz import fuzz, time_limit

from engine.cli.main import main
from engine.data.csv_cells import FORMULA_START
from engine.data.images import load_image
from engine.data.landmarks import LandmarkTable, read_landmark_csv, write_landmark_csv
from engine.errors import CC2DError

# Text a person may type, weighted towards what spreadsheets evaluate.
CELL_TEXT = st.text(alphabet=st.sampled_from(list("=+-@\t\r'\"; ,aZé漢0(1)") + ["\u00a0"]),
                    min_size=1, max_size=12).filter(lambda t: t == t.strip())


@fuzz(120)
@given(names=st.lists(CELL_TEXT, min_size=1, max_size=4),
       images=st.lists(CELL_TEXT, min_size=1, max_size=3, unique_by=str.casefold))
def test_text_cells_never_start_a_formula_and_read_back(tmp_path_factory, names, images):
    folder = tmp_path_factory.mktemp("cells")
    table = LandmarkTable(tuple(names))
    for k, image in enumerate(images):
        table.points[image] = np.full((len(names), 2), float(k))
    path = folder / "t.csv"
    write_landmark_csv(path, table)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(not row[c].startswith(FORMULA_START)
                        for row in rows for c in ("image", "name"))
    back = read_landmark_csv(path)
    assert back.names == tuple(names) and sorted(back.images()) == sorted(images)


ABSURD = ["nan", "inf", "-inf", "1e308", "1e-320", "-1", "0", "1_0", "0x10", "", "True",
          "1e7000", "5;rm", "--"]
OPTIONS = [
    (["evaluate", "--pred", "{csv}", "--truth", "{csv}"], "--spacing"),
    (["analyze", "--pred", "{csv}", "--out", "{dir}/r.csv"], "--sigma"),
    (["analyze", "--pred", "{csv}", "--out", "{dir}/r.csv"], "--spacing"),
    (["run", "--images", "{dir}", "--template", "{dir}/a.png", "--labels", "{csv}", "--out",
      "{dir}/r"], "--cycle-candidates"),
    (["run", "--images", "{dir}", "--template", "{dir}/a.png", "--labels", "{csv}", "--out",
      "{dir}/r"], "--pseudo-keep"),
    (["ssl", "train", "--images", "{dir}", "--out", "{dir}/s"], "--steps"),
    (["ssl", "train", "--images", "{dir}", "--out", "{dir}/s"], "--image-size"),
    (["suggest-template", "--images", "{dir}"], "--top"),
]


@fuzz(60)
@given(option=st.sampled_from(OPTIONS), value=st.sampled_from(ABSURD))
def test_absurd_numbers_are_refused_naming_the_option(tmp_path_factory, capsys, option,
                                                      value):
    folder = tmp_path_factory.mktemp("numbers")
    table = folder / "t.csv"
    table.write_text("image,landmark,x,y\na,1,1,1\n")
    base, flag = option
    argv = [a.format(csv=table, dir=folder) for a in base] + [f"{flag}={value}"]
    with time_limit(), pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert f"argument {flag}" in capsys.readouterr().err
    assert not (folder / "r").exists() and not (folder / "s").exists()


def _special(folder: Path, kind: str, suffix: str) -> Path:
    path = folder / f"special{suffix}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dangling":
        path.symlink_to(folder / "gone")
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "empty":
        path.write_bytes(b"")
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
@fuzz(48)
@given(kind=st.sampled_from(["fifo", "dangling", "loop", "folder", "zero", "empty"]),
       suffix=st.sampled_from([".png", ".dcm", ".csv"]))
def test_special_files_are_refused_at_once(tmp_path_factory, capsys, kind, suffix):
    folder = tmp_path_factory.mktemp("special")
    path = _special(folder, kind, suffix)
    read = read_landmark_csv if suffix == ".csv" else load_image
    with time_limit(), pytest.raises(CC2DError):
        read(path)
    good = folder / "t.csv"
    good.write_text("image,landmark,x,y\na,1,1,1\n")
    with time_limit():
        assert main(["evaluate", "--pred", str(good), "--truth", str(path)]) == 2
    assert "error:" in capsys.readouterr().err
