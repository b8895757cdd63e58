"""The one prediction loop: a working set in batches, cancellable, with progress, to a table.

Each stage (SSL matching, CC2D-TPL, refinement) supplies only how a batch of
images is located on the working grid; this loop maps the points back to
original pixels and collects the per-point value columns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from engine.data.grid import from_grid
from engine.data.landmarks import LandmarkTable
from engine.data.working_set import WorkingSet
from engine.progress import ProgressCallback, ProgressMeter, check_cancel

LocateBatch = Callable[[list[int]], tuple[np.ndarray, dict[str, np.ndarray]]]
"""Indices into the working set → their (B, N, 2) grid points (NaN = none) and, per value
column, (B, N) values."""


def predict_in_batches(
    data: WorkingSet,
    names: tuple[str, ...],
    locate: LocateBatch,
    *,
    stage: str,
    batch_size: int,
    columns: Sequence[str],
    images: Sequence[int] | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> LandmarkTable:
    """Landmarks in original pixels for ``images`` (default: all) of ``data``, keyed as
    ``data.keys``, with the value ``columns`` (of those ``locate`` returns)."""
    todo = list(range(len(data)) if images is None else images)
    size = data.pixels.shape[-1]
    table = LandmarkTable(names=tuple(names), values={name: {} for name in columns})
    meter = ProgressMeter(stage, len(todo), progress)
    for start in range(0, len(todo), batch_size):
        check_cancel(cancel, stage)
        index = todo[start:start + batch_size]
        points, values = locate(index)
        for j, i in enumerate(index):
            key = data.keys[i]
            table.points[key] = from_grid(points[j], *data.sizes[i], size)
            for name in columns:
                table.values[name][key] = values[name][j]
        meter.update(start + len(index))
    meter.update(len(todo), force=True)
    return table
