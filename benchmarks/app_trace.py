"""What the folder-opening benchmark records inside the running app: wall-clock spans of
its slow functions, GUI event-loop stalls, resident memory, and the PySide6 refcount leak."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any


def proc_status() -> dict[str, float]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in MiB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(rest.split()[0]) / 1024, 1)  # MiB
    return out


class Trace:
    """Wall-clock spans of the app's slow functions, per thread (monkeypatched wrappers)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.events: list[tuple[str, str, float, float]] = []
        self.on = False

    def wrap(self, owner: Any, name: str, label: str) -> None:
        fn = getattr(owner, name)
        trace = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not trace.on:
                return fn(*args, **kwargs)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                if len(trace.events) < 20000:
                    trace.events.append((label, threading.current_thread().name,
                                         start - trace.t0, time.perf_counter() - trace.t0))

        wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
        setattr(owner, name, wrapper)

    def install(self) -> None:
        import engine.data.display as display
        import engine.project.registry as registry
        from cc2d_app.canvas.view import ImageCanvas
        from cc2d_app.session import ProjectSession
        from cc2d_app.views.workspace import Workspace
        from engine.project.store import Project

        self.wrap(registry, "expand", "add: list folder")
        self.wrap(registry, "read_image_size", "add: header")
        self.wrap(registry, "file_sha256", "add: sha256")
        self.wrap(registry, "load_image", "add: full decode (load_image)")
        self.wrap(Project, "_edit", "add: commit chunk")
        self.wrap(Project, "add_images", "add: chunk total")
        self.wrap(display, "load_display", "loader: full image (load_display)")
        self.wrap(display, "load_thumbnail", "loader: thumbnail")
        self.wrap(ProjectSession, "images_added", "gui: images_added")
        self.wrap(Workspace, "show_image", "gui: show_image")
        self.wrap(Workspace, "_display_ready", "gui: display_ready")
        self.wrap(ImageCanvas, "set_image", "gui: canvas.set_image")
        self.wrap(ImageCanvas, "set_window", "gui: canvas.set_window")

    def between(self, start: float, end: float) -> list[dict[str, Any]]:
        return [{"what": w, "thread": th, "start_s": round(a, 4), "end_s": round(b, 4),
                 "ms": round((b - a) * 1000, 1)}
                for w, th, a, b in sorted(self.events, key=lambda e: e[2])
                if a < end and b > start]

    def totals(self, start: float, end: float) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for w, _th, a, b in self.events:
            if a >= start and b <= end:
                d = out.setdefault(w, {"count": 0, "total_s": 0.0})
                d["count"] += 1
                d["total_s"] += b - a
        for d in out.values():
            d["mean_ms"] = round(d["total_s"] / d["count"] * 1000, 1)
            d["total_s"] = round(d["total_s"], 2)
        return out


def refcount_guard(enable: bool) -> dict[str, Any]:
    """Probe for a binding that returns None/True without a new reference; compensate.

    PySide6 6.12.0 (cp310-abi3 wheel) drops one reference to None on each call of a void
    method and one to True on each Python ``signal.emit``. From Python 3.12 on these
    objects are immortal and nothing happens; on 3.10/3.11 their count reaches zero and
    the process aborts ("Fatal Python error: none_dealloc") after a few hundred image
    changes. With ``enable`` the counts are raised by 2**40 so that the run can measure
    what it is meant to; the drift per phase is recorded either way.
    """
    import ctypes

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QLabel

    class _Probe(QObject):
        ping = Signal(int)

    label, probe = QLabel(), _Probe()
    probe.ping.connect(lambda _v: None)
    n0, t0 = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(20):
        label.setText("x")
        probe.ping.emit(1)
    none_leak = (n0 - sys.getrefcount(None)) / 20
    true_leak = (t0 - sys.getrefcount(True)) / 20
    detected = none_leak > 0.5 or true_leak > 0.5
    out = {"detected": detected, "none_refs_lost_per_void_call": round(none_leak, 2),
           "true_refs_lost_per_emit": round(true_leak, 2),
           "start_refcounts": {"None": sys.getrefcount(None), "True": sys.getrefcount(True)},
           "compensated": False}
    if detected and enable and sys.version_info < (3, 12):
        for obj in (None, True, False):
            ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40
        out["compensated"] = True
    return out


def refs() -> dict[str, int]:
    """The reference counts of None and True, which the PySide6 bug drains."""
    return {"None": sys.getrefcount(None), "True": sys.getrefcount(True)}


def percentile(values: list[float], q: float) -> float:
    """Percentile ``q`` (0–100), interpolated linearly; NaN for no values."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


class StallMeter:
    """The GUI thread's worst blocking: gaps between the ticks of a 10 ms timer."""

    def __init__(self, trace: Trace) -> None:
        # Imported here, not at the top: the run times its Qt imports itself.
        from PySide6.QtCore import Qt, QTimer

        self.trace = trace  # its t0 moves when a phase starts; read at each tick
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[tuple[float, float]] = []  # (at, gap) in seconds
        self.last = 0.0

    def start(self) -> None:
        self.gaps.clear()
        self.last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self.trace.t0, now - self.last))
        self.last = now

    def stop(self) -> dict[str, Any]:
        self.timer.stop()
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        gaps = [g for _, g in self.gaps]
        if not gaps:
            return {}
        worst = max(self.gaps, key=lambda x: x[1])
        return {
            "ticks": len(gaps),
            "max_gap_ms": round(worst[1] * 1000, 1),
            "max_gap_at_s": round(worst[0], 3),
            "p99_gap_ms": round(percentile(gaps, 99) * 1000, 1),
            "gaps_over_50ms": sum(g > 0.05 for g in gaps),
            "gaps_over_100ms": sum(g > 0.1 for g in gaps),
            "worst5_ms": [round(g * 1000, 1) for g in sorted(gaps)[-5:][::-1]],
        }
