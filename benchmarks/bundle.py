"""`make bundle`: build the clinic bundle with app.spec, test it, pack it, log its figures.

1. ``pyinstaller --noconfirm --clean app.spec`` → ``dist/cc2d-app/`` (its output goes to
   ``build/pyinstaller.log``; the wall time of this clean build is logged);
2. ``cc2d-app --self-test`` from the bundle, run from another folder with
   ``QT_QPA_PLATFORM=offscreen`` and no PYTHONPATH;
3. ``du`` of the bundle, its ten largest files, the split between the CUDA libraries,
   torch, Qt and the rest;
4. ``dist/cc2d-app-<os>-<arch>.tar.gz`` (tar keeps the bundle's symlinks), its size; then
   the archive is unpacked in a temporary folder and the self-test runs from there too,
   so what ships is what was tested.

The log goes to ``benchmarks/results/bundle_<os>_<date>.log`` (``--log`` to change).
Exits non-zero when any step fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def files(folder: Path) -> list[tuple[int, Path]]:
    """(size, path) of every regular file; symlinks count once, at their target."""
    return [(p.lstat().st_size, p) for p in folder.rglob("*")
            if p.is_file() and not p.is_symlink()]


def part(rel: Path) -> str:
    """Which share of the bundle a file (path inside it) belongs to."""
    top = rel.parts[1] if len(rel.parts) > 2 and rel.parts[0] == "_internal" else ""
    if top == "nvidia":
        return "CUDA libraries (nvidia-* wheels)"
    if top == "torch":
        return "torch, CUDA kernels (*cuda*)" if "cuda" in rel.name else "torch, the rest"
    if top in ("PySide6", "shiboken6"):
        return "Qt (PySide6, shiboken6)"
    return "everything else (Python, numpy, OpenCV, app, ...)"


def size_report(bundle: Path, say: Callable[[str], None]) -> None:
    listed = files(bundle)
    total = sum(s for s, _ in listed)
    du = subprocess.run(["du", "-sh", str(bundle)], capture_output=True, text=True,
                        check=True).stdout.split()[0]
    links = sum(1 for p in bundle.rglob("*") if p.is_symlink())
    say(f"bundle: du -sh {du}; {total / MIB:,.0f} MiB in {len(listed)} files, {links} symlinks")
    say("ten largest files:")
    for size, path in sorted(listed, reverse=True)[:10]:
        say(f"  {size / MIB:8.1f} MiB  {path.relative_to(bundle)}")
    shares: dict[str, int] = {}
    for size, path in listed:
        key = part(path.relative_to(bundle))
        shares[key] = shares.get(key, 0) + size
    say("split:")
    for key, size in sorted(shares.items(), key=lambda kv: -kv[1]):
        say(f"  {size / MIB:8.0f} MiB  {100 * size / total:4.1f} %  {key}")


def self_test(bundle: Path, say: Callable[[str], None], qpa: str = "offscreen",
              wrapper: tuple[str, ...] = ()) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "CC2D_SETTINGS_DIR", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = qpa
    command = [*wrapper, str(bundle / "cc2d-app"), "--self-test"]
    with tempfile.TemporaryDirectory() as elsewhere:
        start = time.perf_counter()
        done = subprocess.run(command, cwd=elsewhere, env=env, capture_output=True, text=True,
                              timeout=600, check=False)
    say(f"$ cd {elsewhere} && QT_QPA_PLATFORM={qpa} {' '.join(command)}")
    for line in done.stdout.splitlines():
        say("  " + line)
    say(f"  exit {done.returncode}, {time.perf_counter() - start:.1f} s wall")
    if done.returncode:
        say(done.stderr[-3000:])
        raise SystemExit(f"the bundle's self-test failed (exit {done.returncode})")


def main() -> int:
    system, machine = platform.system().lower(), platform.machine()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    parser.add_argument("--log", type=Path,
                        default=ROOT / "benchmarks" / "results" / f"bundle_{system}_{day}.log")
    args = parser.parse_args()
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)
        args.log.write_text("\n".join(lines) + "\n")

    import PyInstaller
    import torch

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    say(f"cc2d-app bundle, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}")
    say(f"{system} {machine}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"PyInstaller {PyInstaller.__version__}, torch {torch.__version__}")

    build_log = ROOT / "build" / "pyinstaller.log"
    build_log.parent.mkdir(exist_ok=True)
    start = time.perf_counter()
    with build_log.open("w") as out:
        done = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
                               "app.spec"],
                              cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False)
    took = time.perf_counter() - start
    if done.returncode:
        say(build_log.read_text()[-5000:])
        raise SystemExit(f"pyinstaller failed (exit {done.returncode}); see {build_log}")
    say(f"build: pyinstaller --clean app.spec took {took / 60:.1f} min wall ({took:.0f} s)")

    bundle = ROOT / "dist" / "cc2d-app"
    self_test(bundle, say)
    if system == "linux" and shutil.which("xvfb-run"):
        # The X11 plugin on a real (virtual) X server: app.spec dropped nothing it needs.
        self_test(bundle, say, "xcb", ("xvfb-run", "-a"))
    size_report(bundle, say)

    tar = bundle.with_name(f"cc2d-app-{system}-{machine}.tar.gz")
    start = time.perf_counter()
    subprocess.run(["tar", "-C", str(bundle.parent), "-czf", str(tar), bundle.name], check=True)
    say(f"archive: {tar.name} {tar.stat().st_size / MIB:,.0f} MiB "
        f"(tar -czf, {time.perf_counter() - start:.0f} s)")
    with tempfile.TemporaryDirectory(dir=bundle.parent) as unpacked:
        start = time.perf_counter()
        subprocess.run(["tar", "-C", unpacked, "-xzf", str(tar)], check=True)
        say(f"unpacked in {time.perf_counter() - start:.0f} s; its self-test:")
        self_test(Path(unpacked) / bundle.name, say)
    say(f"log: {args.log.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
