"""What a figure was measured with: library versions, the CPU or GPU, the thread count.

Recorded in every run record and benchmark JSON, so that a figure can be reproduced (or a
difference explained) by someone else.
"""

from __future__ import annotations

import platform
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.device import device_name


@cache
def cpu_model() -> str:
    """The processor's model name (Linux: /proc/cpuinfo; elsewhere what Python knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace") \
                .splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def environment(device: torch.device) -> dict[str, Any]:
    """Versions of Python and the numeric libraries, the device, CPU and threads."""
    import cv2
    import torchvision

    return {"python": platform.python_version(), "torch": torch.__version__,
            "torchvision": torchvision.__version__, "numpy": np.__version__,
            "opencv": cv2.__version__, "device": device_name(device),
            "cpu": cpu_model(), "torch_threads": torch.get_num_threads(),
            "platform": platform.platform()}
