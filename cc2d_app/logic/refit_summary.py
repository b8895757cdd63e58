""""Improve with my corrections" in words: when it can run, and how far the points moved (no Qt).

A point "moved" when its position changed by more than :data:`MOVED_PX` between the
prediction shown before the refit and the one stored after it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.project import Landmark

MOVED_PX = 0.5  # below this a point looks where it was; not worth a mention

Points = Sequence[Landmark | None]


@dataclass(frozen=True)
class MoveSummary:
    """How the points of the compared images changed."""

    images: int                 # images compared (the unreviewed ones)
    moved_points: int           # points that moved by more than MOVED_PX
    moved_images: int           # images with at least one such point
    median_px: float | None     # of the moved points' distances
    max_px: float | None
    new_points: int = 0         # points that had no position before and have one now


def summarize_moves(before: Mapping[int, Points], after: Mapping[int, Points],
                    threshold: float = MOVED_PX) -> MoveSummary:
    """Compare each image's points before and after (images of ``after``)."""
    distances: list[float] = []
    moved_images = new_points = 0
    for image_id, now in after.items():
        old = before.get(image_id, [None] * len(now))
        moved_here = False
        for a, b in zip(old, now):
            if b is None:
                continue
            if a is None:
                new_points += 1
                continue
            d = math.hypot(b.x - a.x, b.y - a.y)
            if d > threshold:
                distances.append(d)
                moved_here = True
        moved_images += moved_here
    return MoveSummary(
        images=len(after), moved_points=len(distances), moved_images=moved_images,
        median_px=statistics.median(distances) if distances else None,
        max_px=max(distances) if distances else None, new_points=new_points)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _px(value: float) -> str:
    return f"{value:.0f} px" if value >= 10 else f"{value:.1f} px"


def improved_message(n_labelled: int, summary: MoveSummary) -> str:
    """"Improved with 3 corrected images: 412 points on 147 unreviewed images moved
    (median 1.8 px, max 23 px)." """
    head = f"Improved with {plural(n_labelled, 'corrected image')}"
    if summary.images == 0:
        return f"{head}; every image is reviewed, so no prediction changed."
    if summary.moved_points:
        text = (f"{head}: {plural(summary.moved_points, 'point')} on "
                f"{plural(summary.moved_images, 'unreviewed image')} moved (median "
                f"{_px(summary.median_px or 0.0)}, max {_px(summary.max_px or 0.0)})")
    else:
        text = (f"{head}: no point on the {plural(summary.images, 'unreviewed image')} moved "
                f"by more than {MOVED_PX:g} px")
    if summary.new_points:
        text += f"; {plural(summary.new_points, 'point')} predicted for the first time"
    return text + "."


def matched_message(n_labelled: int, summary: MoveSummary, n_doubtful: int) -> str:
    """What an instant match changed: "Instant predictions: 551 points on 29 images, 87 of
    them doubtful; the list shows the least confident first." the first time, then
    "Matched again with 3 reviewed images: 45 points on 12 unreviewed images moved (…)"."""
    if summary.images == 0:
        return "Every image is reviewed: nothing left to predict."
    if summary.new_points:
        source = ("the template" if n_labelled == 0
                  else f"the template and {plural(n_labelled, 'reviewed image')}")
        return (f"Instant predictions from {source}: {plural(summary.new_points, 'point')} "
                f"on {plural(summary.images, 'image')}, {n_doubtful} doubtful. The list shows "
                "the least confident images first; Enter marks one reviewed and opens the next.")
    head = ("Matched again with the template" if n_labelled == 0
            else f"Matched again with {plural(n_labelled, 'reviewed image')}")
    if not summary.moved_points:
        return (f"{head}: no point on the {plural(summary.images, 'unreviewed image')} moved "
                f"by more than {MOVED_PX:g} px.")
    return (f"{head}: {plural(summary.moved_points, 'point')} on "
            f"{plural(summary.moved_images, 'unreviewed image')} moved (median "
            f"{_px(summary.median_px or 0.0)}, max {_px(summary.max_px or 0.0)}).")


def trained_message(summary: MoveSummary) -> str:
    """What a finished training changed on the images still to review."""
    if summary.images == 0:
        return "Every image is reviewed, so no point changed."
    parts = []
    if summary.moved_points:
        parts.append(f"{plural(summary.moved_points, 'point')} on "
                     f"{plural(summary.moved_images, 'unreviewed image')} moved (median "
                     f"{_px(summary.median_px or 0.0)}, max {_px(summary.max_px or 0.0)})")
    if summary.new_points:
        parts.append(f"{plural(summary.new_points, 'point')} predicted for the first time")
    if not parts:
        return f"No point on the {plural(summary.images, 'unreviewed image')} moved."
    return "The trained detector's points: " + "; ".join(parts) + "."


def improve_availability(has_finished_run: bool, busy: bool, n_labelled: int) -> tuple[bool, str]:
    """Whether "Improve with my corrections" can start, and the tooltip saying so or why not."""
    if busy:
        return False, "Wait until the running training or prediction has finished."
    if not has_finished_run:
        return False, "Train first: there is no finished run to improve."
    if n_labelled == 0:
        return False, ("Correct the points of a predicted image and mark it reviewed (Enter): "
                       "the detector then learns from the images you reviewed.")
    return True, (f"Fine-tune the detector with the {plural(n_labelled, 'image')} you reviewed "
                  "and predict the unreviewed ones again.")


def labelled_record(labelled: Sequence[Any]) -> list[dict[str, Any]]:
    """Labelled images as a run's ``run.json`` records them (``"labelled"``), to compare."""
    return [{"image": str(Path(t.image).resolve()),
             "points": [[float(v) for v in p] for p in t.points]} for t in labelled]
