"""Batched patch sampling on the device: crop, rotate and colour-jitter with one grid_sample.

No per-sample Python: every random draw is a tensor and the crop of all
patches is one ``grid_sample`` call over the working set.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from engine.geometry import Similarity


@dataclass
class PatchBatch:
    images: torch.Tensor        # (B, 1, S, S) the whole reference images
    patches: torch.Tensor       # (B, 1, P, P) augmented patches
    target_image: torch.Tensor  # (B, K, 2) target x, y in image grid pixels
    target_patch: torch.Tensor  # (B, K, 2) the same points in patch pixels
    valid: torch.Tensor         # (B, K) bool: the point lies inside the image


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
    same transform. They cost no extra network pass, only more loss terms.
    """
    n, _, size, _ = pixels.shape
    dev = pixels.device

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, device=dev, generator=gen)

    index = torch.randint(0, n, (batch_size,), device=dev, generator=gen)
    images = pixels[index].float().div_(255.0)
    target_image = rand(batch_size, 2) * (size - 1)
    target_patch = rand(batch_size, 2) * (patch_size - 1)
    crop = Similarity.draw(gen, target_image, target_patch, patch_size,
                           rotation_deg=rotation_deg)
    patches = colour_jitter(crop.apply_to_images(images), jitter, gen)
    extra = rand(batch_size, targets_per_patch - 1, 2) * (patch_size - 1)
    extra_image = crop.invert_points(extra)
    all_patch = torch.cat([target_patch[:, None], extra], 1)
    all_image = torch.cat([target_image[:, None], extra_image], 1)
    valid = ((all_image >= 0) & (all_image <= size - 1)).all(-1)
    return PatchBatch(images, patches, all_image, all_patch, valid)
