"""Crash safety: a writer killed with SIGKILL at random points never loses a committed edit."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from project_helpers import custom_schema

from engine.project import Project

REPO = Path(__file__).resolve().parents[3]
KILLS = 15

# Writes edits forever, printing "<edit id> <image> <index> <x>" once each is committed.
WRITER = """
import sys
from engine.project import Project
p = Project.open(sys.argv[1])
ids = [r.id for r in p.images()]
n = len(p.schema)
k = int(sys.argv[2]) * 100000
while True:
    k += 1
    image, index = ids[k % len(ids)], k % n
    if k % 7 == 0:
        entry = p.clear_landmark(image, index)
        x = None
    else:
        x = float(k)
        entry = p.set_landmark(image, index, x, -x, "corrected", confidence=0.5)
    print(entry.id, image, index, x, flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_sigkill_never_loses_committed_edits(tmp_path: Path, image_dir: Path) -> None:
    folder = tmp_path / "proj"
    with Project.create(folder, schema=custom_schema()) as proj:
        proj.add_images([image_dir])
    rng = random.Random(20240611)
    committed: dict[int, tuple[int, int, float | None]] = {}
    for round_no in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), str(round_no)],
            cwd=REPO, stdout=subprocess.PIPE, text=True,
        )
        lines: list[str] = []
        assert proc.stdout is not None
        reader = threading.Thread(target=lines.extend, args=(proc.stdout,), daemon=True)
        reader.start()
        deadline = time.monotonic() + 10
        while not lines and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.005)
        assert lines, f"writer never committed an edit (exit code {proc.poll()})"
        time.sleep(rng.uniform(0.0, 0.15))  # kill somewhere in the middle of writing
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join(timeout=5)
        for line in lines:
            if line.endswith("\n"):  # a line cut by the kill was not fully reported
                edit_id, image, index, x = line.split()
                value = None if x == "None" else float(x)
                committed[int(edit_id)] = (int(image), int(index), value)

        with Project.open(folder) as proj:  # the lock of the killed writer is taken over
            assert proj.integrity_check() == ["ok"]
            log = {e.id: e for e in proj.edit_log()}
            for edit_id, (image, index, x) in committed.items():
                change = log[edit_id].data["landmarks"][0]
                assert (change["image"], change["index"]) == (image, index)
                assert (change["after"] or {}).get("x") == x
            # The tables agree with the newest log entry of every landmark.
            newest: dict[tuple[int, int], float | None] = {}
            for entry in log.values():
                if entry.action == "edit":
                    ch = entry.data["landmarks"][0]
                    newest[(ch["image"], ch["index"])] = (ch["after"] or {}).get("x")
            for (image, index), x in newest.items():
                lm = proj.landmarks(image)[index]
                assert (lm.x if lm else None) == x
    assert len(committed) > 10 * KILLS  # the kills landed among many edits
