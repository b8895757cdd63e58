"""Batched similarity transforms of images and points: the geometry of every augmentation.

Sample ``b`` maps output pixel ``q`` to source pixel

    ``zoom · Rot(angle) · (q − output_centre) + source_centre + shift``

so a source point ``p`` appears at ``Rot(−angle) · (p − source_centre − shift) / zoom
+ output_centre``. :meth:`Similarity.draw` is the random part (torchio's rule: draw the
parameters, then apply a deterministic, invertible transform); the rest is deterministic.
Pixel coordinates have their origin at the centre of the top-left pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def pixel_to_normalized(points: torch.Tensor, size: int) -> torch.Tensor:
    """Pixel-centre coordinates → grid_sample's [-1, 1] (align_corners=False)."""
    return (points + 0.5) * (2.0 / size) - 1.0


@dataclass(frozen=True)
class Similarity:
    """One rotation, zoom and shift per sample, onto a ``size`` × ``size`` output.

    ``shift`` could be folded into ``source_centre``; it is kept apart so that points
    round exactly as the augmentations always rounded them (same seed, same batch).
    """

    angle: torch.Tensor          # (B,) radians
    zoom: torch.Tensor           # (B,) source pixels per output pixel
    source_centre: torch.Tensor  # (B, 2) the source point the output centre shows (before shift)
    output_centre: torch.Tensor  # (B, 2) output pixel the rotation and zoom pivot about
    shift: torch.Tensor          # (B, 2) source pixels, added after rotation and zoom
    size: int                    # output side in pixels

    @classmethod
    def draw(cls, gen: torch.Generator, source_centre: torch.Tensor,
             output_centre: torch.Tensor, size: int, *, rotation_deg: float,
             scale: float | None = None, translate: float | None = None) -> Similarity:
        """Angle uniform in ±``rotation_deg``, zoom in 1 ± ``scale``, shift in
        ±``translate`` × ``size`` per axis, drawn from ``gen`` in that order.

        ``None`` draws nothing (zoom 1, no shift), so callers that never zoom or shift
        keep their stream of random numbers; 0.0 still draws.
        """
        b, dev = source_centre.shape[0], source_centre.device

        def uniform(*shape: int) -> torch.Tensor:
            return torch.rand(*shape, device=dev, generator=gen) * 2 - 1

        angle = uniform(b) * math.radians(rotation_deg)
        zoom = (1 + uniform(b) * scale if scale is not None
                else torch.ones(b, device=dev))
        shift = (uniform(b, 2) * translate * size if translate is not None
                 else torch.zeros(b, 2, device=dev))
        return cls(angle, zoom, source_centre, output_centre, shift, size)

    def apply_to_images(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) source images → (B, C, size, size) outputs, one bilinear
        ``grid_sample`` for the batch (zeros outside the source)."""
        b, _, h, w = images.shape
        coords = torch.arange(self.size, device=images.device, dtype=torch.float32)
        yy, xx = torch.meshgrid(coords, coords, indexing="ij")
        rel = torch.stack([xx, yy], dim=-1).view(1, -1, 2) - self.output_centre.view(b, 1, 2)
        cos, sin = torch.cos(self.angle), torch.sin(self.angle)
        rot = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
        rot = rot * self.zoom.view(b, 1, 1)
        # Shift the centre first: the rounding every earlier batch had.
        src = rel @ rot.transpose(1, 2) + (self.source_centre + self.shift).view(b, 1, 2)
        norm = torch.stack(
            [pixel_to_normalized(src[..., 0], w), pixel_to_normalized(src[..., 1], h)], dim=-1
        ).view(b, self.size, self.size, 2)
        return F.grid_sample(images, norm, mode="bilinear", padding_mode="zeros",
                             align_corners=False)

    def apply_to_points(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N, 2) source points → where the outputs show them (NaN stays NaN)."""
        rel = points - self.source_centre[:, None] - self.shift[:, None]
        cos, sin = torch.cos(self.angle)[:, None], torch.sin(self.angle)[:, None]
        out = torch.stack([cos * rel[..., 0] + sin * rel[..., 1],
                           -sin * rel[..., 0] + cos * rel[..., 1]], -1)
        return out / self.zoom[:, None, None] + self.output_centre[:, None]

    def invert_points(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N, 2) output points → the source points they show."""
        rel = points - self.output_centre[:, None]
        cos, sin = torch.cos(self.angle)[:, None], torch.sin(self.angle)[:, None]
        out = torch.stack([cos * rel[..., 0] - sin * rel[..., 1],
                           sin * rel[..., 0] + cos * rel[..., 1]], -1)
        return out * self.zoom[:, None, None] + (self.source_centre + self.shift)[:, None]
