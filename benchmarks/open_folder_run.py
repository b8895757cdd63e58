"""One run of the folder-opening benchmark, in a process of its own: open the folder in the
real GUI (offscreen Qt), wait for the first usable image; with ``--full`` also wait for the
whole add, browse every image and scroll the image list; return what it measured."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from app_trace import StallMeter, Trace, percentile, proc_status, refcount_guard, refs
from radiograph_pool import KIND_OF_EXT, KINDS


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

    stall = StallMeter(trace)
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
