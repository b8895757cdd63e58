"""Progress reporting and cancellation for long work, as plain callbacks.

The engine never knows who listens: the CLI prints, the GUI adapts the callback
to a Qt signal. Work checks a ``threading.Event`` between steps and raises
:class:`~engine.errors.CancelledError` when it is set.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from engine.errors import CancelledError


@dataclass(frozen=True)
class Progress:
    """One report: ``step`` of ``total`` done in ``stage``; ``eta_s`` is None until known.
    ``part`` of ``parts``: where the stage lies in a longer job (0: not said), whose
    stages in order are ``plan``."""

    stage: str
    step: int
    total: int
    loss: float | None = None
    eta_s: float | None = None
    message: str = ""
    part: int = 0
    parts: int = 0
    plan: tuple[str, ...] = ()


ProgressCallback = Callable[[Progress], None]


def check_cancel(cancel: threading.Event | None, what: str) -> None:
    """Raise CancelledError if ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise CancelledError(f"{what} was cancelled")


def in_plan(progress: ProgressCallback | None, plan: Sequence[str]) -> ProgressCallback | None:
    """``progress`` with each report's place in ``plan`` (stage names in order) added, so
    a listener can say "stage 2 of 4"; stages outside the plan pass as they are."""
    if progress is None:
        return None
    plan = tuple(plan)

    def report(p: Progress) -> None:
        if p.stage in plan:
            p = replace(p, part=plan.index(p.stage) + 1, parts=len(plan), plan=plan)
        progress(p)

    return report


class ProgressMeter:
    """Turns step counts into Progress reports with an ETA, rate-limited to ``interval_s``."""

    def __init__(
        self,
        stage: str,
        total: int,
        callback: ProgressCallback | None,
        *,
        start_step: int = 0,
        interval_s: float = 0.5,
    ) -> None:
        self.stage = stage
        self.total = total
        self.callback = callback
        self.interval_s = interval_s
        self._start_step = start_step
        self._t0 = time.perf_counter()
        self._last = -1e9

    def update(self, step: int, loss: float | None = None, *, force: bool = False,
               message: str = "") -> None:
        if self.callback is None:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.interval_s and step < self.total:
            return
        self._last = now
        done = step - self._start_step
        eta = (now - self._t0) / done * (self.total - step) if done > 0 else None
        self.callback(Progress(self.stage, step, self.total, loss, eta, message))
