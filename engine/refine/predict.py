"""Refinement inference: re-locate every coarse landmark in a fine-grid crop around it."""

from __future__ import annotations

import threading

import numpy as np
import torch

from engine.batch_predict import predict_in_batches
from engine.data.grid import to_grid
from engine.data.landmarks import LandmarkTable
from engine.data.working_set import WorkingSet
from engine.device import autocast, memory_format
from engine.models.landmark_unet import LandmarkUNet
from engine.progress import ProgressCallback
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
    coarse: LandmarkTable,
    device: torch.device,
    *,
    crops_per_batch: int = CROPS_PER_BATCH,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> LandmarkTable:
    """Refined points in original pixels for each image of ``fine`` that ``coarse`` has,
    with a ``refine_share`` column: per landmark the last pass's vote share (0: the crop
    cast no vote and the coarse point was kept). Missing coarse points stay missing."""
    if fine.pixels.shape[-1] != config.fine_size:
        raise ValueError(f"working set grid is {fine.pixels.shape[-1]} but the refinement "
                         f"expects {config.fine_size}")
    net.eval()

    def refine_batch(index: list[int]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        start = np.stack([to_grid(coarse.points[fine.keys[i]], *fine.sizes[i], config.fine_size)
                          for i in index])
        known = np.isfinite(start).all(-1)
        centres = torch.from_numpy(np.where(known[..., None], start, 0.0)).float()
        refined, share = refine_centres(net, fine.batch(index).to(device), centres.to(device),
                                        config)
        refined_np = refined.cpu().numpy().astype(np.float64)
        share_np = share.float().cpu().numpy().astype(np.float64)
        return (np.where(known[..., None], refined_np, np.nan),
                {"refine_share": np.where(known, share_np, 0.0)})

    todo = [i for i, key in enumerate(fine.keys) if key in coarse.points]
    group = max(1, crops_per_batch // max(coarse.n_landmarks, 1))
    return predict_in_batches(fine, coarse.names, refine_batch, stage=STAGE, batch_size=group,
                              columns=("refine_share",), images=todo, progress=progress,
                              cancel=cancel)
