"""Training-free matching of labelled landmarks on an image's pretrained feature maps.

Coordinates are pixels of the working grid (origin at the centre of the top-left pixel).
A map of stride ``s`` holds at index ``u`` the grid position ``(u + 0.5) * s - 0.5``, for
every level alike, so template vectors sampled there and peaks found there agree.

Each landmark's score is the sum over levels of its cosine map upsampled to the finest
level, divided by a temperature: the log of the product of the per-level similarities,
sharpened. Its softmax is a distribution over positions; the mass near the peak is the
point's confidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

FINEST = 4   # stride of the level scores live on

# How far a peak's neighbourhood reaches (cells of the finest level), for the sub-cell
# position and for the confidence.
_SUBCELL_RADIUS = 1
_CONFIDENCE_RADIUS = 2


def _normalised(points: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """Grid pixels → grid_sample's [-1, 1] (align_corners=False); the same for every
    stride, since a level's extent times its stride is the grid's."""
    size = torch.tensor(grid, dtype=points.dtype, device=points.device)
    return (points + 0.5) / size * 2 - 1


def sample_vectors(maps: Sequence[torch.Tensor], points: np.ndarray,
                   grid: tuple[int, int]) -> list[torch.Tensor]:
    """Per level, the (N, C) unit feature vectors at ``points`` (N, 2) grid pixels
    (bilinear between cells)."""
    pts = _normalised(torch.as_tensor(points, dtype=torch.float32), grid)
    out = []
    for m in maps:
        v = F.grid_sample(m[None].float(), pts[None, None], mode="bilinear",
                          padding_mode="border", align_corners=False)[0, :, 0].T
        out.append(F.normalize(v, dim=1))
    return out


def score_maps(maps: Sequence[torch.Tensor], vectors: Sequence[torch.Tensor],
               temperature: float) -> torch.Tensor:
    """(N, h, w) scores on the finest level for the (N, C) query ``vectors`` per level."""
    finest = maps[0].shape[-2:]
    total = None
    for m, v in zip(maps, vectors):
        cos = torch.einsum("nc,chw->nhw", v, m.float())
        if cos.shape[-2:] != finest:
            cos = F.interpolate(cos[None], size=finest, mode="bilinear",
                                align_corners=False)[0]
        total = cos if total is None else total + cos
    return total / temperature


def peaks(scores: torch.Tensor, centres: torch.Tensor | None = None,
          radius_px: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 2) grid-pixel peaks of (N, h, w) scores and their (N,) confidences in [0, 1].

    With ``centres`` (N, 2), each landmark is searched only within ``radius_px`` of its
    centre. The position is refined below a cell by the softmax-weighted mean of the
    peak's 3×3 neighbourhood; the confidence is the softmax mass within two cells of it.
    """
    n, h, w = scores.shape
    if centres is not None:
        ys = (torch.arange(h, dtype=torch.float32) + 0.5) * FINEST - 0.5
        xs = (torch.arange(w, dtype=torch.float32) + 0.5) * FINEST - 0.5
        d2 = (xs[None, None, :] - centres[:, 0, None, None]) ** 2 \
            + (ys[None, :, None] - centres[:, 1, None, None]) ** 2
        # Never empty: the cell nearest the centre is always inside.
        near = d2 <= torch.maximum(torch.full((n, 1, 1), radius_px ** 2),
                                   d2.flatten(1).min(1).values[:, None, None])
        scores = scores.masked_fill(~near, float("-inf"))
    flat = scores.flatten(1)
    prob = torch.softmax(flat, dim=1).view(n, h, w)
    best = flat.argmax(1)
    by, bx = best // w, best % w
    offsets = torch.arange(-_CONFIDENCE_RADIUS, _CONFIDENCE_RADIUS + 1)
    ry, rx = by[:, None] + offsets[None], bx[:, None] + offsets[None]    # (N, 5), may leave
    yy, xx = ry.clamp(0, h - 1), rx.clamp(0, w - 1)                     # the map: clamped,
    inside = ((ry == yy)[:, :, None] & (rx == xx)[:, None, :]).float()  # then not counted
    rows = torch.arange(n)[:, None, None]
    window = prob[rows, yy[:, :, None], xx[:, None, :]] * inside        # (N, 5, 5)
    confidence = window.flatten(1).sum(1)
    inner = slice(_CONFIDENCE_RADIUS - _SUBCELL_RADIUS, _CONFIDENCE_RADIUS + _SUBCELL_RADIUS + 1)
    core = window[:, inner, inner]
    weight = core / core.flatten(1).sum(1).clamp_min(1e-12)[:, None, None]
    cy = (weight * yy[:, inner, None].float()).flatten(1).sum(1)
    cx = (weight * xx[:, None, inner].float()).flatten(1).sum(1)
    points = torch.stack([(cx + 0.5) * FINEST - 0.5, (cy + 0.5) * FINEST - 0.5], dim=1)
    return points, confidence.clamp(0.0, 1.0)
