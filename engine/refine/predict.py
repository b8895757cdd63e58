"""Refinement inference: re-locate every coarse landmark in a fine-grid crop around it."""

from __future__ import annotations

import threading

import numpy as np
import torch

from engine.data.grid import from_grid, to_grid
from engine.data.working_set import WorkingSet
from engine.device import autocast, memory_format
from engine.models.landmark_unet import LandmarkUNet
from engine.progress import ProgressCallback, ProgressMeter, check_cancel
from engine.refine.config import RefineConfig
from engine.refine.crops import crop_middle, crops_at
from engine.tpl.voting import vote

STAGE = "refining"
CROPS_PER_BATCH = 128   # crops per network call: images per call = this // landmarks


@torch.inference_mode()
def refine_centres(net: LandmarkUNet, images: torch.Tensor, centres: torch.Tensor,
                   config: RefineConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(G, 1, F, F) images, (G, N, 2) fine-grid starting points → refined points and
    (G, N) vote shares of the last pass. Landmark n is read from its own channel of
    the crop around its own point; where that crop casts no vote the point stays."""
    g, n, _ = centres.shape
    eye = torch.arange(n, device=images.device)
    share = torch.zeros(g, n, device=images.device)
    for _ in range(config.iterations):
        crops = crops_at(images, centres, config.crop_size)
        with autocast(images.device):
            heat, offsets = net(crops.contiguous(memory_format=memory_format(images.device)))
        c = heat.shape[-1]
        heat = heat.reshape(g, n, n, c, c)[:, eye, eye]                 # (G, N, C, C)
        offsets = offsets.reshape(g, n, n, 2, c, c)[:, eye, eye]        # (G, N, 2, C, C)
        points, conf = vote(heat, offsets, 1, config.radius, config.crop_size)
        share = conf["vote_share"]
        moved = centres + points - crop_middle(config.crop_size)
        centres = torch.where(share[..., None] > 0, moved, centres)
    return centres, share


def refine_table(
    net: LandmarkUNet,
    config: RefineConfig,
    fine: WorkingSet,
    coarse: dict[str, np.ndarray],
    device: torch.device,
    *,
    crops_per_batch: int = CROPS_PER_BATCH,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Refined (N, 2) points in original pixels for each image of ``fine`` that has
    ``coarse`` points, and per landmark the last pass's vote share (0: kept coarse)."""
    if fine.pixels.shape[-1] != config.fine_size:
        raise ValueError(f"working set grid is {fine.pixels.shape[-1]} but the refinement "
                         f"expects {config.fine_size}")
    net.eval()
    todo = [i for i, name in enumerate(fine.keys) if name in coarse]
    if not todo:
        return {}, {}
    n = len(coarse[fine.keys[todo[0]]])
    group = max(1, crops_per_batch // max(n, 1))
    points: dict[str, np.ndarray] = {}
    shares: dict[str, np.ndarray] = {}
    meter = ProgressMeter(STAGE, len(todo), progress)
    for start in range(0, len(todo), group):
        check_cancel(cancel, STAGE)
        index = todo[start:start + group]
        start_pts = np.stack([to_grid(coarse[fine.keys[i]], *fine.sizes[i], config.fine_size)
                              for i in index])
        known = np.isfinite(start_pts).all(-1)
        centres = torch.from_numpy(np.where(known[..., None], start_pts, 0.0)).float()
        refined, share = refine_centres(net, fine.batch(index).to(device), centres.to(device),
                                        config)
        refined_np = refined.cpu().numpy().astype(np.float64)
        share_np = share.float().cpu().numpy().astype(np.float64)
        for j, i in enumerate(index):
            pts = from_grid(refined_np[j], *fine.sizes[i], config.fine_size)
            points[fine.keys[i]] = np.where(known[j][:, None], pts, np.nan)
            shares[fine.keys[i]] = np.where(known[j], share_np[j], 0.0)
        meter.update(start + len(index))
    meter.update(len(todo), force=True)
    return points, shares
