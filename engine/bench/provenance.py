"""Where a benchmark figure came from: command, commit, date, device."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from engine.device import device_name
from engine.environment import environment


def git_commit() -> str:
    """The commit named by ``CC2D_COMMIT`` (a tree copied to a GPU machine, whose .git may
    be missing or stale), else HEAD of the checkout the engine runs from, else "unknown"."""
    if os.environ.get("CC2D_COMMIT"):
        return os.environ["CC2D_COMMIT"]
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def provenance(device: Any, command: str | None = None) -> dict[str, Any]:
    """Command (default: this process's argv), commit, date, device and
    :func:`engine.environment.environment` (versions, CPU, threads) of a result."""
    return {"command": command or " ".join(sys.argv), "commit": git_commit(),
            "date": datetime.date.today().isoformat(), "device": device_name(device),
            "environment": environment(torch.device(device) if isinstance(device, str)
                                       else device)}
