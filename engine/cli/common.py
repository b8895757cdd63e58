"""Pieces shared by the sub-commands: progress printing, device, template arguments."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from engine.data.csv_cells import number_text
from engine.data.header import read_image_size
from engine.data.images import list_images
from engine.data.landmarks import points_outside, read_landmark_csv
from engine.data.spacing import MAX_MM, MIN_MM
from engine.data.template import Template
from engine.errors import CC2DError, ImageReadError, LandmarkFileError
from engine.output_paths import ProtectedFiles
from engine.progress import Progress


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


def count(minimum: int, maximum: int = 10**7) -> Callable[[str], int]:
    """An argparse type: a whole number in ``minimum..maximum`` (0 steps would divide by
    zero, a negative count would never end, a huge one runs unbounded)."""
    def parse(text: str) -> int:
        try:
            if "_" in text:   # int() reads "1_0" as 10; a person does not
                raise ValueError(text)
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the minimum of {minimum}")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"{value} is above the maximum of {maximum}")
        return value
    parse.__name__ = "count"  # argparse names the type in its messages
    return parse


SPACING_LOW, SPACING_HIGH = MIN_MM, MAX_MM   # a pixel size a radiograph can have


def number(*, positive: bool, low: float = 0.0, high: float = math.inf
           ) -> Callable[[str], float]:
    """An argparse type: a finite number, > 0 when ``positive``, else ≥ 0; and within
    ``low..high`` (e.g. a pixel size of 1e-300 mm is no pixel size)."""
    def parse(text: str) -> float:
        try:
            value = number_text(text)   # not "2_97.9", which float() reads as 297.9
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise argparse.ArgumentTypeError(
                f"{text} must be a {'positive' if positive else 'non-negative'} finite number")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low:g}..{high:g}")
        return value
    parse.__name__ = "number"
    return parse


def check_output_file(path: Path, option: str,
                      inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Refuse, before any work, an output file that is a folder, a special file, one of
    the command's ``inputs``, or that cannot be created."""
    if path.is_dir():
        raise CC2DError(f"{option} {path} is a folder; name the file to write")
    ProtectedFiles(inputs, "one of this command's inputs").check(path)
    _check_writable_parent(path, option)


def check_output_folder(path: Path, option: str) -> None:
    """Refuse, before any work, an output folder that is a file or cannot be created."""
    if path.exists() and not path.is_dir():
        raise CC2DError(f"{option} {path} is a file; name a (new or earlier) folder")
    _check_writable_parent(path, option)


def _check_writable_parent(path: Path, option: str) -> None:
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise CC2DError(f"{option} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK):
        raise CC2DError(f"{option} {path}: cannot write in {parent} (permission denied)")


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
    template = Template.from_table(args.template, read_landmark_csv(args.labels))
    check_template_inside(template)
    return template


def labelled_from_args(csv: Path, images: list[Path], template: Template) -> list[Template]:
    """The labelled images of ``csv`` (see :func:`engine.labelled.labelled_from_table`);
    the rows left out are listed on stderr."""
    from engine.labelled import labelled_from_table

    labelled, unused = labelled_from_table(read_landmark_csv(csv), images, template)
    for reason in unused:
        print(f"not used as a labelled image: {reason}", file=sys.stderr)
    print(f"labelled images: the template and {len(labelled)} more from {csv.name}")
    return labelled


def check_template_inside(template: Template) -> None:
    """Refuse template landmarks outside the image: training would learn from the border."""
    try:
        width, height = read_image_size(template.image)
    except ImageReadError as exc:
        raise ImageReadError(f"the template cannot be read: {exc}") from None
    outside = points_outside(template.points, width, height)
    if outside:
        shown = "; ".join(f"{template.names[i]} at ({template.points[i, 0]:g}, "
                          f"{template.points[i, 1]:g})" for i in outside[:5])
        raise LandmarkFileError(
            f"{len(outside)} landmark(s) of the template {template.image.name} lie outside the "
            f"image ({width}x{height} pixels): {shown}; correct them in {template.image.name}'s "
            "rows of the labels")


def images_from_args(folder: Path) -> list[Path]:
    return list_images(folder)
