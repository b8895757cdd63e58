"""Crops of the fine grid around landmarks, for training (augmented) and inference (plain).

A training crop is a :class:`engine.geometry.Similarity` whose middle shows a
point near a landmark, rotated and zoomed about it. One ``grid_sample`` cuts a batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.geometry import Similarity, pixel_to_normalized
from engine.refine.config import RefineConfig
from engine.ssl.patches import colour_jitter
from engine.tpl.sampling import draw_images


def crop_middle(crop_size: int) -> float:
    """Pixel coordinate of a crop's centre."""
    return (crop_size - 1) / 2


def sample_crops(
    pixels: torch.Tensor, labels: torch.Tensor, templates: torch.Tensor, others: torch.Tensor,
    config: RefineConfig, gen: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Augmented (B, 1, C, C) crops and every landmark's (B, N, 2) position in them.

    Each crop is centred on one labelled landmark of a drawn image, displaced by
    up to ``shift`` pixels per axis (as far as a coarse prediction may be off),
    then rotated, zoomed and colour-jittered. ``labels`` are fine-grid pixels
    (NaN = missing); images without any label must not be in the pools.
    """
    b, dev = config.batch_size, pixels.device
    index = draw_images(templates, others, b, config.template_weight, gen)
    labelled = torch.isfinite(labels[index]).all(-1).float()          # (B, N)
    which = torch.multinomial(labelled, 1, generator=gen).squeeze(1)   # (B,)
    points = labels[index]
    chosen = points[torch.arange(b, device=dev), which]
    centre = chosen + (torch.rand(b, 2, device=dev, generator=gen) * 2 - 1) * config.shift
    middle = torch.full((b, 2), crop_middle(config.crop_size), device=dev)
    crop = Similarity.draw(gen, centre, middle, config.crop_size,
                           rotation_deg=config.rotation_deg, scale=config.scale)
    images = pixels[index].float().div_(255.0)
    crops = colour_jitter(crop.apply_to_images(images), config.jitter, gen)
    return crops, crop.apply_to_points(points)


def crops_at(images: torch.Tensor, centres: torch.Tensor, crop_size: int) -> torch.Tensor:
    """Plain (G·K, 1, C, C) crops of (G, 1, F, F) float images at (G, K, 2) fine-grid centres.

    The K crops of an image are stacked into one tall sampling grid, so no
    image is copied K times.
    """
    g, k, _ = centres.shape
    size = images.shape[-1]
    offsets = torch.arange(crop_size, device=images.device, dtype=torch.float32)
    offsets = offsets - crop_middle(crop_size)
    xs = centres[..., 0, None, None] + offsets.view(1, 1, 1, -1)      # (G, K, 1, C)
    ys = centres[..., 1, None, None] + offsets.view(1, 1, -1, 1)      # (G, K, C, 1)
    grid = torch.stack([pixel_to_normalized(xs.expand(g, k, crop_size, crop_size), size),
                        pixel_to_normalized(ys.expand(g, k, crop_size, crop_size), size)], -1)
    out = F.grid_sample(images, grid.view(g, k * crop_size, crop_size, 2), mode="bilinear",
                        padding_mode="zeros", align_corners=False)
    return out.view(g * k, 1, crop_size, crop_size)
