"""Pieces shared by the sub-commands: progress printing, device, template arguments."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from engine.data.images import list_images
from engine.data.landmarks import read_landmark_csv
from engine.errors import CC2DError
from engine.progress import Progress
from engine.ssl.predict import Template


def print_progress(p: Progress) -> None:
    """CLI progress callback: one line per report on stderr."""
    eta = "" if p.eta_s is None else f" ETA {int(p.eta_s // 60)}m{int(p.eta_s % 60):02d}s"
    loss = "" if p.loss is None else f" loss {p.loss:.4f}"
    print(f"[{time.strftime('%H:%M:%S')}] {p.stage}: {p.step}/{p.total}{loss}{eta} {p.message}",
          file=sys.stderr, flush=True)


@contextlib.contextmanager
def cancel_on_interrupt() -> Iterator[threading.Event]:
    """A cancel event that the first Ctrl-C sets, so training saves a checkpoint and stops;
    a second Ctrl-C interrupts at once."""
    cancel = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield cancel
        return

    def handler(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        print("\nstopping after this step (Ctrl-C again to abort)…", file=sys.stderr)
        cancel.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default=None,
                        help="cuda, cuda:N or cpu (default: CUDA when present)")


def add_template_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--template", type=Path, required=required,
                        help="the one annotated image")
    parser.add_argument("--labels", type=Path, required=required,
                        help="long-format landmark CSV holding the template's landmarks")


def template_from_args(args: argparse.Namespace) -> Template | None:
    """The template named by --template/--labels, or None when neither is given."""
    if args.template is None and args.labels is None:
        return None
    if args.template is None or args.labels is None:
        raise CC2DError("--template and --labels go together")
    if not args.template.is_file():
        raise CC2DError(f"template image not found: {args.template}")
    return Template.from_table(args.template, read_landmark_csv(args.labels))


def images_from_args(folder: Path) -> list[Path]:
    return list_images(folder)
