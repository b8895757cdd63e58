"""Cycle-consistent matching: of the few places an image offers for a landmark, keep the
one whose own features lead back to the template's landmark.

Forward, the cascade runs from each of the ``candidates`` highest coarse peaks; backward,
the image's feature vectors at each result are matched against the template's maps
with the same cascade. The candidate that lands nearest the template's landmark wins
(the global maximum on ties), and its back-match distance says how far the match
is from consistent: a confidence that does not depend on how alike two patches look.
"""

from __future__ import annotations

import torch

from engine.ssl.matching import coarse_peaks, locate_upsampled, upsampled
from engine.ssl.similarity import cosine_maps, sample_vectors


def cycle_locate(
    image_maps: list[torch.Tensor],
    vectors: list[torch.Tensor],
    template_maps: list[torch.Tensor],
    template_points: torch.Tensor,
    strides: tuple[int, ...],
    size: int,
    window: int,
    candidates: int = 3,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(B, N, 2) grid points, (B, N) confidences and (B, N) back-match distances (grid px).

    ``image_maps``/``template_maps``: per scale (B, C, h, w) and (1, C, h, w) features;
    ``vectors``: per scale (N, C) template queries; ``template_points``: (N, 2) grid x, y.
    """
    b = image_maps[0].shape[0]
    n = vectors[0].shape[0]
    sims = [cosine_maps(v[None].expand(b, -1, -1), m) for v, m in zip(vectors, image_maps)]
    up = upsampled(sims, size)
    # Peaks closer than one coarse cell are the same place seen twice.
    starts = coarse_peaks(up, candidates, strides[0])
    found = [locate_upsampled(up, strides, size, window, starts[:, :, j])
             for j in range(candidates)]
    points = torch.stack([p for p, _ in found], dim=2)          # (B, N, K, 2)
    conf = torch.stack([c for _, c in found], dim=2)            # (B, N, K)
    back = _match_back(image_maps, template_maps, points.flatten(1, 2), strides, size, window)
    dist = (back.view(b, n, candidates, 2) - template_points.to(back)[None, :, None]).norm(dim=-1)
    # Ties (within a grid pixel) go to the higher-ranked candidate.
    score = dist + 1e-3 * torch.arange(candidates, device=dist.device)
    best = score.argmin(dim=2)                                    # (B, N)
    pick = best[..., None]
    return (points.gather(2, pick[..., None].expand(-1, -1, 1, 2))[:, :, 0],
            conf.gather(2, pick)[..., 0], dist.gather(2, pick)[..., 0])


def _match_back(image_maps: list[torch.Tensor], template_maps: list[torch.Tensor],
                points: torch.Tensor, strides: tuple[int, ...], size: int,
                window: int) -> torch.Tensor:
    """(B, P, 2) grid points of the image → where their features land on the template."""
    b = points.shape[0]
    sims = []
    for m, t, s in zip(image_maps, template_maps, strides):
        queries = sample_vectors(m.float(), points, s)                       # (B, P, C)
        sims.append(cosine_maps(queries, t.float().expand(b, -1, -1, -1)))   # (B, P, h, w)
    back, _ = locate_upsampled(upsampled(sims, size), strides, size, window)
    return back
