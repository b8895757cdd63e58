"""Whole-image augmentation for CC2D-TPL on the device, landmarks moved exactly with it.

One random similarity transform per sample (rotation, zoom, shift about the
image centre, :class:`engine.geometry.Similarity`) is applied by a single
``grid_sample`` over the batch, then colour jitter; the landmark coordinates go
through the same transform.
"""

from __future__ import annotations

import torch

from engine.geometry import Similarity
from engine.ssl.patches import colour_jitter


def augment(images: torch.Tensor, points: torch.Tensor, rotation_deg: float, scale: float,
            translate: float, jitter: float,
            gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Randomly transform (B, 1, S, S) images in [0, 1] and their (B, N, 2) grid points."""
    b, _, size, _ = images.shape
    centre = torch.full((b, 2), (size - 1) / 2, device=images.device)
    move = Similarity.draw(gen, centre, centre, size, rotation_deg=rotation_deg, scale=scale,
                           translate=translate)
    return colour_jitter(move.apply_to_images(images), jitter, gen), move.apply_to_points(points)
