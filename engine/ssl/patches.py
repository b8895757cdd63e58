"""Batched patch sampling on the device: crop, rotate and colour-jitter with one grid_sample.

No per-sample Python: every random draw is a tensor and the crop of all
patches is one ``grid_sample`` call over the working set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class PatchBatch:
    images: torch.Tensor        # (B, 1, S, S) the whole reference images
    patches: torch.Tensor       # (B, 1, P, P) augmented patches
    target_image: torch.Tensor  # (B, K, 2) target x, y in image grid pixels
    target_patch: torch.Tensor  # (B, K, 2) the same points in patch pixels
    valid: torch.Tensor         # (B, K) bool: the point lies inside the image


def pixel_to_normalized(points: torch.Tensor, size: int) -> torch.Tensor:
    """Pixel-centre coordinates → grid_sample's [-1, 1] (align_corners=False)."""
    return (points + 0.5) * (2.0 / size) - 1.0


def colour_jitter(x: torch.Tensor, strength: float, gen: torch.Generator) -> torch.Tensor:
    """Per-sample random gamma, contrast and brightness on (B, 1, H, W) images in [0, 1]."""
    if strength <= 0:
        return x
    b = x.shape[0]

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return (torch.rand(b, 1, 1, 1, device=x.device, generator=gen) * (hi - lo) + lo)

    gamma = torch.exp(uniform(-strength, strength))
    contrast = uniform(1 - strength, 1 + strength)
    brightness = uniform(-strength / 3, strength / 3)
    x = x.clamp(0, 1).pow(gamma)
    mean = x.mean(dim=(2, 3), keepdim=True)
    return ((x - mean) * contrast + mean + brightness).clamp_(0, 1)


def random_affine_crops(
    images: torch.Tensor,
    centre_image: torch.Tensor,
    centre_patch: torch.Tensor,
    patch_size: int,
    angle: torch.Tensor,
    scale: torch.Tensor | None = None,
) -> torch.Tensor:
    """Crop (B, 1, P, P) patches so that patch pixel ``centre_patch`` shows image pixel
    ``centre_image``, rotated by ``angle`` (radians) and zoomed by ``scale`` about it."""
    b, _, h, w = images.shape
    dev = images.device
    coords = torch.arange(patch_size, device=dev, dtype=torch.float32)
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    rel = torch.stack([xx, yy], dim=-1).view(1, -1, 2) - centre_patch.view(b, 1, 2)
    cos, sin = torch.cos(angle), torch.sin(angle)
    rot = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)  # (B,2,2)
    if scale is not None:
        rot = rot * scale.view(b, 1, 1)
    src = rel @ rot.transpose(1, 2) + centre_image.view(b, 1, 2)
    norm = torch.stack(
        [pixel_to_normalized(src[..., 0], w), pixel_to_normalized(src[..., 1], h)], dim=-1
    ).view(b, patch_size, patch_size, 2)
    return F.grid_sample(images, norm, mode="bilinear", padding_mode="zeros", align_corners=False)


def sample_patch_batch(
    pixels: torch.Tensor,
    batch_size: int,
    patch_size: int,
    rotation_deg: float,
    jitter: float,
    gen: torch.Generator,
    targets_per_patch: int = 1,
) -> PatchBatch:
    """Random images, random target points, patches around them (paper Sec. 2.1).

    The first target fixes the crop; the other ``targets_per_patch - 1`` are
    further random points of the same patch, mapped into the image through the
    same affine transform. They cost no extra network pass, only more loss terms.
    """
    n, _, size, _ = pixels.shape
    dev = pixels.device

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, device=dev, generator=gen)

    index = torch.randint(0, n, (batch_size,), device=dev, generator=gen)
    images = pixels[index].float().div_(255.0)
    target_image = rand(batch_size, 2) * (size - 1)
    target_patch = rand(batch_size, 2) * (patch_size - 1)
    angle = (rand(batch_size) * 2 - 1) * math.radians(rotation_deg)
    patches = random_affine_crops(images, target_image, target_patch, patch_size, angle)
    patches = colour_jitter(patches, jitter, gen)
    extra = rand(batch_size, targets_per_patch - 1, 2) * (patch_size - 1)
    cos, sin = torch.cos(angle)[:, None], torch.sin(angle)[:, None]
    rel = extra - target_patch[:, None]
    extra_image = torch.stack([cos * rel[..., 0] - sin * rel[..., 1],
                               sin * rel[..., 0] + cos * rel[..., 1]], -1) + target_image[:, None]
    all_patch = torch.cat([target_patch[:, None], extra], 1)
    all_image = torch.cat([target_image[:, None], extra_image], 1)
    valid = ((all_image >= 0) & (all_image <= size - 1)).all(-1)
    return PatchBatch(images, patches, all_image, all_patch, valid)
