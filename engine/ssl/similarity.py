"""Cosine similarity between query feature vectors and feature maps, and the per-scale
cross-entropy of CC2D-SSL (paper Eq. 1–3)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.geometry import pixel_to_normalized


def sample_vectors(maps: torch.Tensor, points: torch.Tensor, stride: int) -> torch.Tensor:
    """Bilinear feature vectors of (B, C, h, w) ``maps`` at (B, K, 2) input-pixel ``points``
    → (B, K, C). A map of stride s covers input pixels [s·i, s·(i+1)) with cell i."""
    b, c, h, w = maps.shape
    fx = (points[..., 0] + 0.5) / stride - 0.5
    fy = (points[..., 1] + 0.5) / stride - 0.5
    grid = torch.stack([pixel_to_normalized(fx, w), pixel_to_normalized(fy, h)], dim=-1)
    out = F.grid_sample(maps, grid.unsqueeze(1), mode="bilinear", padding_mode="border",
                        align_corners=False)
    return out[:, :, 0].transpose(1, 2)


def cosine_maps(queries: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
    """(B, K, C) queries against (B, C, h, w) maps → (B, K, h, w) cosine similarity."""
    q = F.normalize(queries.float(), dim=-1)
    m = F.normalize(maps.float(), dim=1)
    return torch.einsum("bkc,bchw->bkhw", q, m)


def cell_index(points: torch.Tensor, stride: int, h: int,
               w: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer cell (col, row) of input-pixel ``points`` at ``stride``, clamped to the map."""
    col = torch.div(points[..., 0] + 0.5, stride, rounding_mode="floor").long().clamp(0, w - 1)
    row = torch.div(points[..., 1] + 0.5, stride, rounding_mode="floor").long().clamp(0, h - 1)
    return col, row


def window_cross_entropy(
    logits: torch.Tensor, col: torch.Tensor, row: torch.Tensor, window: int | None
) -> torch.Tensor:
    """Mean cross-entropy of (B, h, w) ``logits`` against the one-hot cell (col, row).

    With ``window`` the softmax runs over the window × window cells around the
    target (shifted to stay inside the map); None uses the whole map.
    """
    b, h, w = logits.shape
    if window is None or (window >= h and window >= w):
        return F.cross_entropy(logits.reshape(b, -1), row * w + col)
    wh, ww = min(window, h), min(window, w)
    r0 = (row - wh // 2).clamp(0, h - wh)
    c0 = (col - ww // 2).clamp(0, w - ww)
    rows = r0[:, None] + torch.arange(wh, device=logits.device)[None]
    cols = c0[:, None] + torch.arange(ww, device=logits.device)[None]
    flat = (rows[:, :, None] * w + cols[:, None, :]).reshape(b, -1)
    sub = logits.reshape(b, -1).gather(1, flat)
    target = (row - r0) * ww + (col - c0)
    return F.cross_entropy(sub, target)


def ssl_loss(
    image_maps: list[torch.Tensor],
    patch_maps: list[torch.Tensor],
    target_image: torch.Tensor,
    target_patch: torch.Tensor,
    strides: tuple[int, ...],
    temperature: float,
    window: int,
    valid: torch.Tensor | None = None,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Sum over scales of the cross-entropy between the target cell and the softmax of
    cos(patch feature at target, image features)/temperature. The coarsest scale uses
    the whole map, the others an α×α window (paper Eq. 3).

    Targets are (B, K, 2): K points per patch; ``valid`` (B, K) masks points that
    fall outside the image.
    """
    total = image_maps[0].new_zeros((), dtype=torch.float32)
    parts: list[torch.Tensor] = []
    keep = None if valid is None else valid.reshape(-1)
    for k, (imap, pmap, stride) in enumerate(zip(image_maps, patch_maps, strides)):
        query = sample_vectors(pmap.float(), target_patch, stride)
        logits = (cosine_maps(query, imap) / temperature).flatten(0, 1)
        col, row = cell_index(target_image.reshape(-1, 2), stride, *logits.shape[-2:])
        if keep is not None:
            logits, col, row = logits[keep], col[keep], row[keep]
        loss = window_cross_entropy(logits, col, row, None if k == 0 else window)
        total = total + loss
        parts.append(loss.detach())  # no sync: read only when reported
    return total, parts
