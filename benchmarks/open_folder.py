"""Benchmark: open a folder of full-size radiographs in the app, browse them all.

What a user sees, measured on the real GUI (offscreen Qt) with generated data:

* first usable image: wall time from ``MainWindow.add_images([folder])`` (window shown,
  empty project open) until the first image is registered in the project (a click places
  a landmark) AND drawn on the canvas at full resolution;
* time until all images are registered (the background add, chunks of 1, 8, 32);
* the GUI thread's worst event-loop stall during the add (a 10 ms QTimer; the largest gap
  between two ticks, so 10 ms means "never blocked");
* browsing: ``workspace.step(+1)`` through every image, waiting at each until it is on the
  canvas; per-image time (median, p95, per file kind);
* resident memory (VmRSS) after the add, after browsing everything, after scrolling the
  image list to the end (all thumbnails requested and decoded), and the peak (VmHWM).

The folder holds ``--n`` images of 1935×2400 px, cycling 8-bit JPEG, 16-bit PNG (12-bit
data scaled into 16 bits) and DICOM (16-bit allocated, 12 stored, MONOCHROME2, PixelSpacing
0.1\\0.1, a WindowCenter/Width). Content: the ISBI 2015 cephalograms from
``../shared/data/isbi2015`` resized up (INTER_CUBIC) with per-file noise, so decoding
costs what real radiographs cost; a phantom resized up where that copy is missing. The
files are generated once into ``--data-dir`` (outside the repository) and reused.

Each ``--first`` kind (the kind of the folder's first file, by sorted name) runs in a
fresh process with a fresh project and settings folder. By default the files' pages
are dropped from the OS page cache before each run (``posix_fadvise DONTNEED``), so the
first image is read from disk as after a reboot; ``--warm`` keeps them cached.
PySide6 6.12.0 on Python < 3.12 drops a reference to None on each void call and to True
on each ``emit`` (the app aborts with "Fatal Python error: none_dealloc" after some
hundred image changes); the child probes for this and, unless ``--no-refcount-guard``,
raises those counts so that the measurement can finish (recorded in the JSON).
The first kind runs the whole benchmark; the others stop after the first usable image
unless ``--full-all``.

    .venv/bin/python benchmarks/open_folder.py                 # 300 images, all three kinds
    .venv/bin/python benchmarks/open_folder.py --n 12          # a quick check

Writes ``benchmarks/results/open_folder_cpu_<date>.json`` (and a ``.log`` beside it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from radiograph_pool import (  # noqa: E402
    EXT,
    HEIGHT,
    KIND_OF_EXT,
    KINDS,
    WIDTH,
    ensure_data,
    evict,
    make_view,
)

TARGET_FIRST_S = 2.0
TARGET_RSS_MB = 1536.0
RESULT_TAG = "OPEN_FOLDER_RESULT "


# ---------------------------------------------------------------------------- provenance


def git_commit() -> str:
    if os.environ.get("CC2D_COMMIT"):
        return os.environ["CC2D_COMMIT"]
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=ROOT, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, Any]:
    import cv2
    import numpy as np
    import PySide6
    from PySide6.QtCore import qVersion

    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "pyside6": PySide6.__version__,
        "qt": qVersion(),
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }
    try:
        import pydicom

        info["pydicom"] = pydicom.__version__
    except ImportError:
        info["pydicom"] = None
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu_model"] = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                                  if line.startswith("model name")), None)
        mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
        info["memory_total_gb"] = round(int(mem[1]) / 2**20, 1)
    except (OSError, IndexError, ValueError):
        pass
    info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


# --------------------------------------------------------------------- child: the GUI run


def proc_status() -> dict[str, float]:
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
        from cc2d_app.workspace import Workspace
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
    return {"None": sys.getrefcount(None), "True": sys.getrefcount(True)}


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.work)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["CC2D_SETTINGS_DIR"] = str(work / "settings")
    t_start = time.perf_counter()
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from cc2d_app.main_window import MainWindow
    from cc2d_app.session import ProjectSession
    from engine.project.schema import load_schema

    guard = refcount_guard(not args.no_refcount_guard)
    trace = Trace()
    trace.install()
    t_imports = time.perf_counter() - t_start

    def wait_until(cond: Any, timeout: float) -> float | None:
        """Run the event loop until ``cond()``; the perf_counter time it held, None on timeout."""
        if cond():
            return time.perf_counter()
        deadline = time.perf_counter() + timeout
        loop = QEventLoop()
        hit: list[float] = []

        def check() -> None:
            if cond():
                hit.append(time.perf_counter())
                loop.quit()
            elif time.perf_counter() > deadline:
                loop.quit()

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(2)
        timer.timeout.connect(check)
        timer.start()
        loop.exec()
        timer.stop()
        return hit[0] if hit else None

    def pump(seconds: float) -> None:
        end = time.perf_counter() + seconds
        wait_until(lambda: time.perf_counter() >= end, seconds + 1)

    class StallMeter:
        def __init__(self) -> None:
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
            self.gaps.append((now - trace.t0, now - self.last))
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

    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    pump(0.3)
    project = work / "project_cc2d"
    ProjectSession.create(project, load_schema("isbi2015_cephalometric")).close()
    window.open_project(str(project))
    pump(0.3)
    session, ws = window.session, window.workspace
    assert session is not None and ws is not None
    result: dict[str, Any] = {"first_kind": args.first, "n": args.n,
                              "startup_imports_s": round(t_imports, 2),
                              "rss_mb_before_add": proc_status(),
                              "pyside_refcount_bug": guard}
    r0 = refs()
    for _ in range(10):
        pump(0.002)
    harness_per_wait = {k: (r0[k] - v) / 10 for k, v in refs().items()}  # our own Qt calls
    refs_before_add = refs()

    def on_screen(image_id: int | None = None) -> bool:
        cid = ws.current_id if image_id is None else image_id
        if cid is None or ws.current_id != cid or not session.has_image(cid):
            return False
        rec = session.image(cid)
        shown = getattr(ws, "_display", None)
        return (ws.canvas.image_size() == (rec.width, rec.height) and shown is not None
                and str(shown.path) == str(rec.path))

    registered: list[float] = []
    session.imagesChanged.connect(
        lambda: registered.append(time.perf_counter()) if session.images() else None)

    stall = StallMeter()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    trace.t0 = time.perf_counter()
    trace.on = True
    stall.start()
    if profiler:
        profiler.enable()
    t0 = time.perf_counter()
    window.add_images([args.view])
    t_first = wait_until(on_screen, 300)
    if t_first is None:
        raise SystemExit("the first image never appeared on the canvas (300 s)")
    first_rec = session.image(ws.current_id)
    result["first_image"] = {
        "file": first_rec.name,
        "registered_s": round(registered[0] - t0, 3) if registered else None,
        "usable_s": round(t_first - t0, 3),
        "stall_until_usable": {k: v for k, v in stall.snapshot().items() if k != "worst5_ms"},
        "timeline": trace.between(0.0, t_first - t0),
    }

    if args.full:
        def all_added() -> bool:
            return len(session.images()) >= args.n and window.progress.isHidden()

        t_all = wait_until(all_added, 3600)
        if t_all is None:
            raise SystemExit("the add did not finish within an hour")
        add_stall = stall.stop()
        if profiler:
            profiler.disable()
        result["all_added_s"] = round(t_all - t0, 2)
        result["images_added"] = len(session.images())
        result["stall_during_add"] = add_stall
        result["add_trace_totals"] = trace.totals(0.0, t_all - t0)
        ws.loader.wait()
        pump(0.3)
        result["rss_mb_after_add"] = proc_status()
        refs_after_add = refs()

        # -- browse every image ----------------------------------------------------------
        ids = [r.id for r in session.images()]
        ws.show_image(ids[0])
        wait_until(lambda: on_screen(ids[0]), 60)
        pump(0.1)
        per_image: list[tuple[str, float]] = []
        rss_peak_browse = 0.0
        trace.events.clear()
        t_browse0 = time.perf_counter()
        b0 = t_browse0 - trace.t0
        stall.start()
        if profiler:
            profiler.enable()
        for image_id in ids[1:]:
            t = time.perf_counter()
            ws.step(1)
            hit = wait_until(lambda i=image_id: on_screen(i), 120)
            if hit is None:
                raise SystemExit(f"image {image_id} never appeared on the canvas")
            per_image.append((KIND_OF_EXT.get(session.image(image_id).path.suffix, "?"),
                              hit - t))
            pump(args.dwell_ms / 1000.0)  # thumbnails and paint
            rss_peak_browse = max(rss_peak_browse, proc_status()["VmRSS"])
        browse_stall = stall.stop()
        if profiler:
            profiler.disable()
        b1 = time.perf_counter() - trace.t0
        times = [s for _, s in per_image]
        by_kind = {}
        for kind in KINDS:
            ks = [s for k, s in per_image if k == kind]
            if ks:
                by_kind[kind] = {"median_ms": round(statistics.median(ks) * 1000, 1),
                                 "p95_ms": round(percentile(ks, 95) * 1000, 1),
                                 "max_ms": round(max(ks) * 1000, 1), "count": len(ks)}
        ws.loader.wait()
        pump(0.3)
        result["browse"] = {
            "images": len(per_image),
            "dwell_ms": args.dwell_ms,
            "total_s": round(time.perf_counter() - t_browse0, 1),
            "median_ms": round(statistics.median(times) * 1000, 1) if times else None,
            "p95_ms": round(percentile(times, 95) * 1000, 1) if times else None,
            "max_ms": round(max(times) * 1000, 1) if times else None,
            "by_kind": by_kind,
            "stall": browse_stall,
            "trace_totals": trace.totals(b0, b1),
            "rss_mb_peak_sampled": rss_peak_browse,
        }
        result["rss_mb_after_browse"] = proc_status()
        refs_after_browse = refs()
        guard["refs_lost"] = {
            "add_all": {k: refs_before_add[k] - refs_after_add[k] for k in refs_before_add},
            # the app's share: the harness waits twice per image (wait_until, pump)
            "per_browsed_image": {
                k: round((refs_after_add[k] - refs_after_browse[k]) / max(1, len(per_image))
                         - 2 * harness_per_wait[k], 1)
                for k in refs_before_add},
            "harness_per_wait": harness_per_wait,
        }

        # -- scroll the list to the end: every thumbnail requested -----------------------
        view = ws.images.view
        bar = view.verticalScrollBar()
        bar.setValue(0)
        pump(0.05)
        step = max(1, bar.pageStep())
        for value in range(0, bar.maximum() + step, step):
            bar.setValue(min(value, bar.maximum()))
            pump(0.02)
        ws.loader.wait()
        pump(0.3)
        thumbs = getattr(ws.loader, "_thumbs", {})
        result["thumbnails_cached"] = len(thumbs)
        result["full_images_cached"] = len(getattr(ws.loader, "_cache", {}))
        result["rss_mb_after_scroll"] = proc_status()
    else:
        stall.stop()
        if profiler:
            profiler.disable()
        # Stop the add and let its last queued signals arrive before closing: closing
        # while they are in flight makes them hit the closed project (an app race; see
        # the report), which is not what this run measures.
        t_cancel = time.perf_counter()
        for task in list(getattr(window, "_tasks", ())):
            task.cancel()
        wait_until(lambda: not getattr(window, "_tasks", ()), 600)
        result["cancel_add_s"] = round(time.perf_counter() - t_cancel, 2)

    if profiler:
        import io
        import pstats

        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(25)
        print("cProfile of the GUI thread (add + browse), by own time:\n" + buf.getvalue(),
              file=sys.stderr)
    t_close = time.perf_counter()
    window.close()  # cancels an unfinished add, waits for the loader
    result["close_s"] = round(time.perf_counter() - t_close, 2)
    result["rss_mb_final"] = proc_status()
    app.processEvents()
    return result


# ------------------------------------------------------------------------- parent: report


def fmt_ms(v: Any) -> str:
    return "—" if v is None else f"{v:,.0f} ms"


def main() -> int:
    today = datetime.date.today().isoformat()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="images in the folder (default 300)")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "benchmarks" / "results" / f"open_folder_cpu_{today}.json")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/cc2d_open_folder"))
    parser.add_argument("--first", choices=(*KINDS, "all"), default="all",
                        help="kind of the folder's first file (default: each in turn)")
    parser.add_argument("--full-all", action="store_true",
                        help="add and browse everything for every --first kind, not just the first")
    parser.add_argument("--warm", action="store_true",
                        help="keep the files in the page cache (default: dropped before each run)")
    parser.add_argument("--dwell-ms", type=float, default=20.0,
                        help="event-loop time after each image while browsing (default 20)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the GUI thread (printed to the log)")
    parser.add_argument("--no-refcount-guard", action="store_true",
                        help="do not compensate the PySide6 6.12 None/True refcount bug "
                             "(the run then aborts on Python < 3.12)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per run, seconds")
    # internal: one GUI run in this process
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--view", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = run_child(args)
        print(RESULT_TAG + json.dumps(result), flush=True)
        return 0

    if ROOT in args.data_dir.resolve().parents or args.data_dir.resolve() == ROOT:
        parser.error("--data-dir must be outside the repository")
    log_lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        log_lines.append(text)

    command = " ".join([Path(sys.executable).name, *sys.argv])
    say(f"$ {command}")
    info = machine()
    say(f"machine: {info['cpu_count']} CPUs ({info.get('cpu_model')}), Python {info['python']}, "
        f"Qt {info['qt']}, load {info['load_average_at_start']}")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    source, pool = ensure_data(args.data_dir, args.n, say)
    gen_s = time.perf_counter() - t
    sizes = {k: [p.stat().st_size for p in pool if p.suffix == EXT[k]] for k in KINDS}
    say("files: " + ", ".join(
        f"{len(v)} {k} ({statistics.mean(v) / 2**20:.1f} MiB each)" for k, v in sizes.items() if v))

    firsts = list(KINDS) if args.first == "all" else [args.first]
    runs = []
    for k, first in enumerate(firsts):
        full = k == 0 or args.full_all
        view = make_view(args.data_dir, pool, first)
        cold = False if args.warm else evict(pool)
        say(f"\n== run: first file {first}, {'full' if full else 'first image only'}, "
            f"page cache {'dropped' if cold else 'warm'}, load {os.getloadavg()[0]:.2f} ==")
        with tempfile.TemporaryDirectory(prefix="cc2d_open_folder_run_",
                                         dir=args.data_dir) as work:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--n", str(args.n),
                   "--first", first, "--view", str(view), "--work", work,
                   "--dwell-ms", str(args.dwell_ms)]
            cmd += ["--full"] if full else []
            cmd += ["--profile"] if args.profile else []
            cmd += ["--no-refcount-guard"] if args.no_refcount_guard else []
            t = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                                  cwd=ROOT)
            wall = time.perf_counter() - t
        result = None
        for line in proc.stdout.splitlines():
            if line.startswith(RESULT_TAG):
                result = json.loads(line[len(RESULT_TAG):])
            elif line.strip():
                say("  | " + line)
        for line in proc.stderr.splitlines():
            if line.strip() and "does not support propagateSizeHints" not in line:
                say("  ! " + line)
        if proc.returncode != 0 or result is None:
            say(f"run failed (exit {proc.returncode})")
            return 1
        result["page_cache"] = "dropped" if cold else "warm"
        result["process_wall_s"] = round(wall, 1)
        runs.append(result)
        bug = result.get("pyside_refcount_bug", {})
        if bug.get("detected"):
            say(f"  WARNING: this PySide6 drops references to None/True "
                f"({bug['none_refs_lost_per_void_call']} per void call, "
                f"{bug['true_refs_lost_per_emit']} per emit); Python {platform.python_version()} "
                f"aborts when they reach 0 (start: {bug['start_refcounts']}); "
                + ("compensated for this run" if bug.get("compensated") else "NOT compensated")
                + (f"; lost per browsed image: {bug['refs_lost']['per_browsed_image']}"
                   if "refs_lost" in bug else ""))
        fi = result["first_image"]
        say(f"first usable image ({fi['file']}): {fi['usable_s']:.2f} s "
            f"(registered at {fi['registered_s']} s); GUI max gap until then "
            f"{fi['stall_until_usable'].get('max_gap_ms')} ms")
        say("  timeline to the first usable image (s from add_images):")
        for ev in fi["timeline"]:
            say(f"    {ev['start_s']:7.3f} → {ev['end_s']:7.3f}  {ev['ms']:7.1f} ms  "
                f"{ev['what']}  [{ev['thread']}]")

    main_run = runs[0]
    summary: dict[str, Any] = {
        "first_usable_s": {r["first_kind"]: r["first_image"]["usable_s"] for r in runs},
        "first_registered_s": {r["first_kind"]: r["first_image"]["registered_s"] for r in runs},
    }
    if "all_added_s" in main_run:
        b = main_run["browse"]
        summary.update({
            "all_added_s": main_run["all_added_s"],
            "max_gui_stall_during_add_ms": main_run["stall_during_add"]["max_gap_ms"],
            "browse_median_ms": b["median_ms"],
            "browse_p95_ms": b["p95_ms"],
            "browse_max_gui_stall_ms": b["stall"]["max_gap_ms"],
            "rss_mb_after_browse": main_run["rss_mb_after_browse"]["VmRSS"],
            "rss_mb_after_scroll": main_run["rss_mb_after_scroll"]["VmRSS"],
            "peak_rss_mb": main_run["rss_mb_after_scroll"]["VmHWM"],
        })
    bug = main_run.get("pyside_refcount_bug", {})
    summary["pyside_refcount_bug"] = bool(bug.get("detected"))
    if bug.get("detected") and "refs_lost" in bug:
        lost, start = bug["refs_lost"]["per_browsed_image"], bug["start_refcounts"]
        summary["image_changes_before_abort_without_guard"] = min(
            int(start[k] / lost[k]) for k in lost if lost[k] > 0)
    worst_first = max(summary["first_usable_s"].values())
    summary["meets_first_image_target"] = worst_first <= TARGET_FIRST_S
    if "peak_rss_mb" in summary:
        summary["meets_memory_target"] = max(summary["rss_mb_after_scroll"],
                                             summary["rss_mb_after_browse"]) <= TARGET_RSS_MB
        summary["peak_within_memory_target"] = summary["peak_rss_mb"] <= TARGET_RSS_MB

    say("\n== summary ==")
    rows = [(f"first usable image, first file {k}", f"{v:.2f} s", f"≤ {TARGET_FIRST_S:g} s")
            for k, v in summary["first_usable_s"].items()]
    if "all_added_s" in summary:
        b = main_run["browse"]
        rows += [
            (f"all {main_run['images_added']} images registered", f"{summary['all_added_s']:.1f} s",
             "background"),
            ("GUI max event-loop gap during the add (10 ms = none)",
             fmt_ms(summary["max_gui_stall_during_add_ms"]),
             f"{main_run['stall_during_add']['gaps_over_50ms']} gaps > 50 ms"),
            ("browse: per image to screen, median", fmt_ms(b["median_ms"]), ""),
            ("browse: per image to screen, p95", fmt_ms(b["p95_ms"]), f"max {fmt_ms(b['max_ms'])}"),
        ]
        rows += [(f"  browse {k}: median / p95", f"{v['median_ms']:.0f} / {v['p95_ms']:.0f} ms",
                  f"n={v['count']}") for k, v in b["by_kind"].items()]
        rows += [
            ("browse: GUI max event-loop gap", fmt_ms(b["stall"]["max_gap_ms"]),
             f"{b['stall']['gaps_over_50ms']} gaps > 50 ms"),
            ("RSS after the add", f"{main_run['rss_mb_after_add']['VmRSS']:.0f} MiB", ""),
            ("RSS after browsing all", f"{summary['rss_mb_after_browse']:.0f} MiB",
             f"≤ {TARGET_RSS_MB:.0f} MiB"),
            ("RSS after scrolling the list (all thumbnails)",
             f"{summary['rss_mb_after_scroll']:.0f} MiB",
             f"{main_run['thumbnails_cached']} thumbnails"),
            ("peak RSS (VmHWM)", f"{summary['peak_rss_mb']:.0f} MiB", f"≤ {TARGET_RSS_MB:.0f} MiB"),
        ]
    if "image_changes_before_abort_without_guard" in summary:
        rows.append(("PySide6 None/True refcount bug: image changes to abort",
                     f"~{summary['image_changes_before_abort_without_guard']}",
                     "compensated in this run"))
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        say(f"  {name:<{width}}  {value:>12}  {note}")
    say(f"  targets: first image ≤ {TARGET_FIRST_S:g} s: "
        f"{'met' if summary['meets_first_image_target'] else 'MISSED'}"
        + (f"; RSS ≤ {TARGET_RSS_MB:.0f} MiB: "
           f"{'met' if summary['meets_memory_target'] else 'MISSED'}"
           if "meets_memory_target" in summary else ""))

    doc = {
        "command": command,
        "commit": git_commit(),
        "date": today,
        "machine": info,
        "data": {"n": args.n, "size": [WIDTH, HEIGHT], "source": source,
                 "kinds": "cycling jpeg (8-bit), png16 (12-bit data ×16), dicom (16/12-bit, "
                          "MONOCHROME2, PixelSpacing 0.1)",
                 "file_mib_mean": {k: round(statistics.mean(v) / 2**20, 2)
                                   for k, v in sizes.items() if v},
                 "generated_s": round(gen_s, 1),
                 "page_cache": "warm" if args.warm else "dropped before each run"},
        "targets": {"first_usable_s": TARGET_FIRST_S, "rss_mb": TARGET_RSS_MB},
        "summary": summary,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    say(f"\nwrote {args.out}")
    args.out.with_suffix(".log").write_text("\n".join(log_lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
