"""Landmark positions from heat maps and offsets by voting (CC2D-TPL inference).

Every output cell whose heat probability reaches the threshold votes for
``cell centre + R · offset``. Votes are splatted bilinearly into a vote map on
the working grid; the winner is the argmax of the 3×3-smoothed map (smoothing
lets a tight cluster that straddles pixel borders beat a lone stray pixel),
and the sub-pixel position is the mean of the votes within ``refine_px`` of
it, re-centred once more on that mean (two mean-shift steps). All tensors stay
(B, N, …): no per-sample or per-landmark Python.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.ssl.matching import argmax_2d, refine_subpixel
from engine.tpl.targets import cell_centres


def splat_votes(vx: torch.Tensor, vy: torch.Tensor, weight: torch.Tensor,
                size: int) -> torch.Tensor:
    """Bilinear splat of (B, N, K) votes at grid x, y with ``weight`` → (B, N, size, size)."""
    b, n, _ = vx.shape
    x0, y0 = vx.floor(), vy.floor()
    fx, fy = vx - x0, vy - y0
    votes = torch.zeros(b, n, size * size, device=vx.device, dtype=torch.float32)
    # One scatter per corner keeps the peak memory at one (B, N, K) index tensor.
    for dx, wx in ((0, 1 - fx), (1, fx)):
        for dy, wy in ((0, 1 - fy), (1, fy)):
            cx, cy = x0 + dx, y0 + dy
            inside = (cx >= 0) & (cx < size) & (cy >= 0) & (cy < size)
            index = (cy.clamp(0, size - 1) * size + cx.clamp(0, size - 1)).long()
            votes.scatter_add_(-1, index, weight * wx * wy * inside)
    return votes.view(b, n, size, size)


def vote(
    heat_logits: torch.Tensor,
    offsets: torch.Tensor,
    stride: int,
    radius: float,
    size: int,
    *,
    threshold: float = 0.5,
    refine_px: float = 1.5,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Locate landmarks from heat logits (B, N, H, W) and offsets (B, N, 2, H, W).

    Returns (B, N, 2) x, y in working-grid pixels (grid ``size`` × ``size``) and
    a dict of (B, N) confidences: ``heat_peak`` (highest heat probability) and
    ``vote_share`` (fraction of all votes that fall within ``refine_px`` of the
    result). Where no cell reaches ``threshold`` the result is the sub-pixel
    heat-map maximum and ``vote_share`` is 0.
    """
    b, n, h, w = heat_logits.shape
    prob = torch.sigmoid(heat_logits.float())
    xs, ys = cell_centres(h, w, stride, heat_logits.device)
    vx = (xs + radius * offsets[:, :, 0].float()).flatten(-2)    # (B, N, K)
    vy = (ys + radius * offsets[:, :, 1].float()).flatten(-2)
    weight = (prob >= threshold).flatten(-2).float()
    total = weight.sum(-1)

    votes = splat_votes(vx, vy, weight, size)
    smoothed = F.avg_pool2d(votes.view(b * n, 1, size, size), 3, stride=1, padding=1)
    centre = argmax_2d(smoothed.view(b, n, size, size)).float()
    near_count = torch.zeros_like(total)
    for _ in range(2):
        near = weight * ((vx - centre[..., 0:1]).square() + (vy - centre[..., 1:2]).square()
                         <= refine_px * refine_px)
        near_count = near.sum(-1)
        mean = torch.stack([(near * vx).sum(-1), (near * vy).sum(-1)], -1)
        mean = mean / near_count.clamp_min(1e-12)[..., None]
        centre = torch.where(near_count[..., None] > 0, mean, centre)

    # Fallback: the heat map's own maximum, refined on the output cells, in grid pixels.
    cell = refine_subpixel(prob, argmax_2d(prob))
    fallback = (cell + 0.5) * stride - 0.5
    voted = total > 0
    points = torch.where(voted[..., None], centre, fallback)
    share = torch.where(voted, near_count / total.clamp_min(1.0), torch.zeros_like(total))
    return points, {"heat_peak": prob.flatten(-2).amax(-1), "vote_share": share}
