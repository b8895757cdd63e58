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
This module runs the phases and writes the report; each run is ``open_folder_run.py``
(this script again with ``--child``), and what it records in the app is ``app_trace.py``.
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
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from open_folder_run import run_child  # noqa: E402
from radiograph_pool import EXT, HEIGHT, KINDS, WIDTH, ensure_data, evict, make_view  # noqa: E402

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


# ---------------------------------------------------------------- the runs and the report


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
