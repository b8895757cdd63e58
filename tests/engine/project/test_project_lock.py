"""One writer per project: a second opener is refused; a dead holder's lock is taken over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import ProjectError
from engine.project import Project

REPO = Path(__file__).resolve().parents[3]

HOLDER = """
import sys, time
from engine.project import Project
p = Project.open(sys.argv[1])
print("ready", flush=True)
time.sleep(60)
"""


def _start_holder(folder: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_second_open_in_the_same_process_is_refused(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p"):
        with pytest.raises(ProjectError, match="already open for editing .*by this process"):
            Project.open(tmp_path / "p")
    Project.open(tmp_path / "p").close()  # released on close


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_other_process_holds_it_then_dies(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    proc = _start_holder(tmp_path / "p")
    try:
        with pytest.raises(ProjectError) as info:
            Project.open(tmp_path / "p")
        message = str(info.value)
        assert f"pid {proc.pid} on host {socket.gethostname()}" in message
        assert "read-only" in message
        with Project.open(tmp_path / "p", read_only=True) as ro:  # export is still possible
            assert ro.images() == []
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # The holder died without cleaning up: its stale lock file is taken over.
    with Project.open(tmp_path / "p"):
        info_text = (tmp_path / "p" / "project.lock").read_text()
        assert json.loads(info_text)["pid"] == os.getpid()


def test_stale_lock_file_from_a_dead_process(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    stale = {"pid": int(dead.stdout), "host": socket.gethostname(), "since": 0}
    (tmp_path / "p" / "project.lock").write_text(json.dumps(stale))
    with Project.open(tmp_path / "p"):
        assert json.loads((tmp_path / "p" / "project.lock").read_text())["pid"] == os.getpid()
