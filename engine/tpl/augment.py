"""Whole-image augmentation for CC2D-TPL on the device, landmarks moved exactly with it.

One random similarity transform per sample (rotation, zoom, shift about the
image centre) is applied by a single ``grid_sample`` over the batch (via
engine.ssl.patches.random_affine_crops), then colour jitter; the landmark
coordinates go through the inverse of the same transform.
"""

from __future__ import annotations

import math

import torch

from engine.ssl.patches import colour_jitter, random_affine_crops


def random_similarity(batch_size: int, size: int, rotation_deg: float, scale: float,
                      translate: float, gen: torch.Generator,
                      device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-sample angle (rad), zoom and shift (px): output pixel q shows source pixel
    ``zoom · Rot(angle) · (q − c) + c + shift`` with c the image centre."""
    def uniform(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, device=device, generator=gen) * 2 - 1

    angle = uniform(batch_size) * math.radians(rotation_deg)
    zoom = 1 + uniform(batch_size) * scale
    shift = uniform(batch_size, 2) * translate * size
    return angle, zoom, shift


def transform_points(points: torch.Tensor, angle: torch.Tensor, zoom: torch.Tensor,
                     shift: torch.Tensor, size: int) -> torch.Tensor:
    """Source grid points (B, N, 2) → where the augmented image shows them (NaN stays NaN)."""
    c = (size - 1) / 2
    rel = points - c - shift[:, None]
    cos, sin = torch.cos(angle)[:, None], torch.sin(angle)[:, None]
    # Inverse of zoom · Rot(angle): Rot(−angle) / zoom.
    out = torch.stack([cos * rel[..., 0] + sin * rel[..., 1],
                       -sin * rel[..., 0] + cos * rel[..., 1]], -1)
    return out / zoom[:, None, None] + c


def augment(images: torch.Tensor, points: torch.Tensor, rotation_deg: float, scale: float,
            translate: float, jitter: float,
            gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Randomly transform (B, 1, S, S) images in [0, 1] and their (B, N, 2) grid points."""
    b, _, size, _ = images.shape
    angle, zoom, shift = random_similarity(b, size, rotation_deg, scale, translate, gen,
                                           images.device)
    centre = torch.full((b, 2), (size - 1) / 2, device=images.device)
    out = random_affine_crops(images, centre + shift, centre, size, angle, zoom)
    return colour_jitter(out, jitter, gen), transform_points(points, angle, zoom, shift, size)
