"""CC2D-TPL augmentation moves the landmarks exactly with the image."""

import math

import torch

from engine.tpl.augment import augment


def _blobs(points, size, sigma=1.5):
    """(B, 1, S, S) images with a Gaussian dot at each (B, N, 2) point."""
    ax = torch.arange(size, dtype=torch.float32)
    dx = ax.view(1, 1, 1, -1) - points[..., 0, None, None]
    dy = ax.view(1, 1, -1, 1) - points[..., 1, None, None]
    return torch.exp(-(dx**2 + dy**2) / (2 * sigma**2)).sum(1, keepdim=True).clamp(0, 1)


def test_a_dot_at_a_landmark_stays_under_the_transformed_landmark():
    gen = torch.Generator().manual_seed(3)
    pts = torch.tensor([[20.3, 15.6], [44.0, 40.7], [30.5, 50.2]]).expand(6, 3, 2).clone()
    images = _blobs(pts, 64)
    out, moved = augment(images, pts, rotation_deg=30, scale=0.2, translate=0.1, jitter=0.0,
                         gen=gen)
    assert not torch.allclose(moved, pts)
    ax = torch.arange(64, dtype=torch.float32)
    for b in range(6):
        for p in moved[b]:
            near = ((ax.view(1, -1) - p[0]) ** 2 + (ax.view(-1, 1) - p[1]) ** 2) <= 16
            if not near.all() and p.min() > 5 and p.max() < 58:
                w = out[b, 0] * near
                centroid = torch.stack([(w * ax.view(1, -1)).sum(), (w * ax.view(-1, 1)).sum()])
                assert (centroid / w.sum() - p).abs().max() < 0.2, (b, p)


def test_identity_parameters_change_nothing_and_nan_stays_nan():
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(2, 1, 32, 32)
    pts = torch.tensor([[[3.0, 4.0], [math.nan, math.nan]]]).expand(2, 2, 2)
    out, moved = augment(images, pts, 0.0, 0.0, 0.0, 0.0, gen)
    assert torch.allclose(out, images, atol=1e-5)
    assert torch.allclose(moved[:, 0], pts[:, 0], atol=1e-5) and moved[:, 1].isnan().all()
