"""One-shot matching: template feature vectors against a query image's feature maps,
combined coarse to fine (the cascade of CC2D).

The two coarsest similarity maps are multiplied over the whole image to pick a
neighbourhood; each finer map then only votes inside an α-cell window around
the current estimate. Multiplying all maps over the whole image instead lets
rare far-away peaks win.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def argmax_2d(maps: torch.Tensor) -> torch.Tensor:
    """(B, N, H, W) → (B, N, 2) integer x, y of each map's maximum."""
    w = maps.shape[-1]
    flat = maps.flatten(-2).argmax(-1)
    return torch.stack([flat % w, flat // w], dim=-1)


def window_mask(centre: torch.Tensor, radius: int, h: int, w: int) -> torch.Tensor:
    """(B, N, H, W) bool: pixels within Chebyshev ``radius`` of integer ``centre`` (B, N, 2)."""
    ys = torch.arange(h, device=centre.device).view(1, 1, h, 1)
    xs = torch.arange(w, device=centre.device).view(1, 1, 1, w)
    return ((xs - centre[..., 0, None, None]).abs() <= radius) & (
        (ys - centre[..., 1, None, None]).abs() <= radius
    )


def refine_subpixel(maps: torch.Tensor, peak: torch.Tensor, radius: int = 2) -> torch.Tensor:
    """Weighted centroid of ``maps`` in a (2r+1)² box around integer ``peak`` → float (B, N, 2)."""
    b, n, h, w = maps.shape
    offs = torch.arange(-radius, radius + 1, device=maps.device)
    xs = (peak[..., 0, None] + offs).clamp(0, w - 1)  # (B, N, K)
    ys = (peak[..., 1, None] + offs).clamp(0, h - 1)
    idx = (ys[..., :, None] * w + xs[..., None, :]).flatten(-2)  # (B, N, K*K)
    vals = maps.flatten(-2).gather(-1, idx).clamp_min(0)
    total = vals.sum(-1, keepdim=True)
    px = (xs[..., None, :].expand(-1, -1, len(offs), -1).flatten(-2).float() * vals).sum(-1)
    py = (ys[..., :, None].expand(-1, -1, -1, len(offs)).flatten(-2).float() * vals).sum(-1)
    centroid = torch.stack([px, py], -1) / total.clamp_min(1e-12)
    return torch.where(total > 1e-12, centroid, peak.float())


def cascade_locate(
    sims: list[torch.Tensor], strides: tuple[int, ...], size: int, window: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Locate N landmarks from per-scale similarity maps, coarsest first.

    ``sims[k]``: (B, N, size/stride_k, size/stride_k) cosine similarities.
    Returns (B, N, 2) float x, y in working-grid pixels and (B, N) confidence:
    the geometric mean over scales of the clipped similarity at the result.
    """
    return locate_upsampled(upsampled(sims, size), strides, size, window)


def upsampled(sims: list[torch.Tensor], size: int) -> list[torch.Tensor]:
    """Each scale's similarity, clipped to [0, 1], at the working grid's size."""
    return [F.interpolate(s.float().clamp(0, 1), size=(size, size), mode="bilinear",
                          align_corners=False) for s in sims]


def coarse_map(up: list[torch.Tensor]) -> torch.Tensor:
    """The two coarsest scales' product, which picks the neighbourhood over the whole image."""
    return up[0] * up[1] if len(up) > 1 else up[0]


def coarse_peaks(up: list[torch.Tensor], k: int, min_dist: int) -> torch.Tensor:
    """(B, N, k, 2) integer x, y of the ``k`` highest peaks of :func:`coarse_map`, each at
    least ``min_dist`` grid pixels (Chebyshev) from the higher ones; the first is the
    maximum."""
    remaining = coarse_map(up).clone()
    size = remaining.shape[-1]
    peaks = []
    for _ in range(k):
        pos = argmax_2d(remaining)
        peaks.append(pos)
        remaining[window_mask(pos, min_dist, size, size)] = -1.0
    return torch.stack(peaks, dim=2)


def locate_upsampled(
    up: list[torch.Tensor], strides: tuple[int, ...], size: int, window: int,
    start: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`cascade_locate` on :func:`upsampled` maps, from ``start`` (B, N, 2) integer
    positions instead of the coarse maximum when given."""
    combined = coarse_map(up)
    pos = argmax_2d(combined) if start is None else start
    for k in range(2, len(up)):
        mask = window_mask(pos, (window // 2) * strides[k], size, size)
        candidate = torch.where(mask, combined * up[k], torch.zeros_like(combined))
        found = candidate.flatten(-2).amax(-1) > 0
        new_pos = argmax_2d(candidate)
        # Keep the coarser estimate where the finer map has nothing positive in the window.
        pos = torch.where(found[..., None], new_pos, pos)
        combined = torch.where(found[..., None, None], candidate, combined)
    point = refine_subpixel(combined, pos)
    peak = combined.flatten(-2).gather(-1, (pos[..., 1] * size + pos[..., 0])[..., None])[..., 0]
    confidence = peak.clamp_min(0) ** (1.0 / len(up))
    return point, confidence
