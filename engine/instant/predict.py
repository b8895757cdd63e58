"""The instant stage over a set of images: references from every labelled image, each
image located, a landmark table in original pixels with per-point confidence."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.data.grid import from_grid
from engine.data.header import read_image_size
from engine.data.landmarks import STAGE_COLUMN, LandmarkTable
from engine.data.template import Template
from engine.instant.config import InstantConfig
from engine.instant.features import FeatureCache, features_of, grid_shape
from engine.instant.locate import locate, make_reference
from engine.progress import ProgressCallback, ProgressMeter, check_cancel

STAGE = "instant"
COLUMNS = ("confidence", "shape_kept", "spread_px")


def instant_grid(template: Template, config: InstantConfig) -> tuple[int, int]:
    """The working grid of a run: the template's aspect, ``config.long_side`` long."""
    return grid_shape(*read_image_size(template.image), config.long_side)


def predict_instant(cache: FeatureCache, paths: Sequence[Path], keys: Sequence[str],
                    truths: Sequence[Template], config: InstantConfig, *,
                    skipped: list[tuple[Path, str]] | None = None,
                    progress: ProgressCallback | None = None,
                    cancel: threading.Event | None = None) -> LandmarkTable:
    """Landmarks of ``paths`` (rows named by ``keys``) from the labelled ``truths``
    (template first), with the columns of :data:`COLUMNS` and ``stage`` "instant".

    ``spread_px`` is in the image's own pixels: how far the labelled images' matches lie
    from the fused point (0 with the template alone).
    """
    grid = cache.extractor.grid
    refs = [make_reference(cache.get(t.image), t.points, grid) for t in truths]
    found = features_of(cache, paths, skipped=skipped, progress=progress, cancel=cancel)
    table = LandmarkTable(tuple(truths[0].names), values={c: {} for c in COLUMNS})
    table.text[STAGE_COLUMN] = {}
    meter = ProgressMeter("instant matching", len(found), progress)
    for done, (i, features) in enumerate(found.items(), start=1):
        check_cancel(cancel, "instant matching")
        key = keys[i]
        where = locate(features, refs, config, grid)
        table.points[key] = from_grid(where.points, features.width, features.height, grid)
        scale = float(np.mean([features.width / grid[0], features.height / grid[1]]))
        table.values["confidence"][key] = where.confidence
        table.values["shape_kept"][key] = where.shape_kept
        table.values["spread_px"][key] = where.spread * scale
        table.text[STAGE_COLUMN][key] = [STAGE] * len(truths[0].names)
        meter.update(done)
    meter.update(len(found), force=True)
    return table
