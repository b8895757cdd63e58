"""Landmarks of one image from every labelled image's features: match, check the shape,
search the outliers again near where the shape puts them, fuse the labelled images."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from engine.data.grid import to_grid
from engine.instant.config import InstantConfig
from engine.instant.features import ImageFeatures
from engine.instant.match import peaks, sample_vectors, score_maps
from engine.instant.shape import MIN_LANDMARKS, robust_similarity


@dataclass(frozen=True, eq=False)
class Reference:
    """A labelled image ready to match: per level its (N, C) unit vectors at the
    landmarks, and the landmarks' (N, 2) grid positions."""

    vectors: tuple[torch.Tensor, ...]
    points: np.ndarray


def make_reference(features: ImageFeatures, points: np.ndarray,
                   grid: tuple[int, int]) -> Reference:
    """The reference of a labelled image from its features and (N, 2) original pixels."""
    on_grid = to_grid(points, features.width, features.height, grid)
    return Reference(tuple(sample_vectors(features.float_maps(), on_grid, grid)), on_grid)


@dataclass(frozen=True, eq=False)
class Located:
    """One image's (N, 2) grid points with, per point, the confidence in [0, 1], whether
    the shape check kept the first match (1) or searched again (0), and how far (grid px)
    the labelled images' matches lie from the fused point (0 with one labelled image)."""

    points: np.ndarray
    confidence: np.ndarray
    shape_kept: np.ndarray
    spread: np.ndarray


def locate(features: ImageFeatures, refs: Sequence[Reference], config: InstantConfig,
           grid: tuple[int, int]) -> Located:
    """Match every reference on ``features``; the coordinate median fuses several."""
    maps = features.float_maps()
    n = len(refs[0].points)
    k = len(refs)
    stacked = [torch.cat([r.vectors[level] for r in refs]) for level in range(len(maps))]
    scores = score_maps(maps, stacked, config.temperature)          # (K·N, h, w)
    found, conf = peaks(scores)
    found = found.numpy().astype(np.float64).reshape(k, n, 2)
    conf = conf.numpy().astype(np.float64).reshape(k, n)
    kept = np.ones((k, n))
    if config.shape_check and n >= MIN_LANDMARKS:
        long_side = max(grid)
        for j, ref in enumerate(refs):
            fit, inliers = robust_similarity(ref.points, found[j],
                                             config.inlier_share * long_side, config.seed)
            out = np.flatnonzero(~inliers)
            if len(out) == 0:
                continue
            centres = torch.from_numpy(fit.apply(ref.points[out])).float()
            again, again_conf = peaks(scores[j * n + out], centres,
                                      config.research_share * long_side)
            found[j, out] = again.numpy()
            conf[j, out] = again_conf.numpy()
            kept[j, out] = 0.0
    if k == 1:
        return Located(found[0], conf[0], kept[0], np.zeros(n))
    fused = np.median(found, axis=0)
    spread = np.median(np.linalg.norm(found - fused[None], axis=2), axis=0)
    return Located(fused, conf.mean(0), kept.mean(0), spread)
