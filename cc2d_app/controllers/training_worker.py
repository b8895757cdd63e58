"""Training in the background: ``run_pipeline`` in a :class:`~cc2d_app.controllers.workers.Task`.

The engine's ``Progress`` reports become the ``report`` signal, delivered (queued) on
the GUI thread. Cancel sets the engine's cancel event; the engine saves a checkpoint and
raises ``CancelledError``, which arrives as ``cancelled``, not as a failure, because
training again on the same folder resumes (docs/adr/0004).

Importing torch takes seconds, and initialising a C extension (torch, torchvision, cv2)
holds the GIL for 100–300 ms: done mid-run it freezes the GUI. So this module imports
the engine only inside functions, and :func:`warm_up` does the imports once, early, in a
background Task (and keeps the garbage collector off what they created).
"""

from __future__ import annotations

import functools
import gc
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from cc2d_app.controllers.workers import Task
from engine.errors import CancelledError
from engine.progress import Progress

if TYPE_CHECKING:
    from engine.data.landmarks import LandmarkTable
    from engine.pipeline import PipelineSettings
    from engine.project.jobs import TrainInputs


def warm_up() -> str | None:
    """Import what training needs and look for a GPU; returns :func:`detect_gpu`'s answer.

    The main window runs it in a background Task when it opens, so that neither the Train
    dialog, the first instant match nor the first run stalls the GUI on imports or CUDA's
    start-up.
    """
    import cv2  # noqa: F401  (engine.pipeline imports cv2 and torchvision mid-run)
    import torchvision  # noqa: F401

    import engine.pipeline  # noqa: F401

    gpu = detect_gpu()
    # torch and friends leave millions of long-lived objects; a full garbage collection
    # walking them held the GIL for 300-500 ms mid-run. Frozen, they are never walked.
    gc.freeze()
    return gpu


@functools.cache
def detect_gpu() -> str | None:
    """"NVIDIA H200, 139 GiB" for the first CUDA GPU, or None without one (cached)."""
    import torch

    if not torch.cuda.is_available():
        return None
    props = torch.cuda.get_device_properties(0)
    return f"{props.name}, {props.total_memory / 2**30:.0f} GiB"


class TrainingTask(Task):
    """A training run. ``succeeded`` carries what the work returned."""

    report = Signal(object)   # engine.progress.Progress
    cancelled = Signal()

    def __init__(self, fn: Callable[[Callable[[Progress], None], threading.Event], Any],
                 parent: QObject | None = None) -> None:
        super().__init__(fn, parent)  # type: ignore[arg-type]  # reports Progress, not counts
        self._t0: float | None = None
        self._t1: float | None = None

    @property
    def elapsed_s(self) -> float:
        """Wall time of the run so far (its whole length once it has ended)."""
        if self._t0 is None:
            return 0.0
        return (self._t1 or time.perf_counter()) - self._t0

    def run(self) -> None:
        self._t0, self._t1 = time.perf_counter(), None
        try:
            result = self._fn(lambda p: self.send(self.report, p), self.cancel_event)
        except CancelledError:
            self._t1 = time.perf_counter()
            self.send(self.cancelled)
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the user
            self._t1 = time.perf_counter()
            self.send(self.failed, exc, traceback.format_exc())
        else:
            self._t1 = time.perf_counter()
            self.send(self.succeeded, result)


def start_training(
    inputs: TrainInputs,
    run_dir: Path,
    settings: PipelineSettings,
    device: str,
    parent: QObject | None,
    *,
    deferred: bool = True,
) -> TrainingTask:
    """Train (or resume) in ``run_dir`` on ``device`` ("auto", "cuda" or "cpu") through the
    engine's project job (:func:`engine.project.jobs.run_train`); ``succeeded`` carries the
    run's record and its landmark table, read and checked in the worker.

    The thread starts on the next turn of the event loop, so signals connected right
    after this call miss nothing, not even an immediate failure; ``deferred=False``
    leaves the start to the caller (who then connects first and calls ``start()``).
    """

    def work(progress: Callable[[Progress], None],
             cancel: threading.Event) -> tuple[dict[str, Any], LandmarkTable]:
        from engine.device import pick_device
        from engine.project.jobs import run_train

        dev = pick_device(None if device == "auto" else device)
        return run_train(inputs, run_dir, settings, dev, progress=progress, cancel=cancel)

    task = TrainingTask(work, parent)
    if deferred:
        QTimer.singleShot(0, task.start)
    return task
