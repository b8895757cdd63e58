"""CC2D-TPL inference: landmark positions and confidences on every image of a working set."""

from __future__ import annotations

import threading

import numpy as np
import torch

from engine.batch_predict import predict_in_batches
from engine.data.landmarks import LandmarkTable
from engine.data.working_set import WorkingSet
from engine.device import autocast, memory_format
from engine.models.landmark_unet import LandmarkUNet
from engine.progress import ProgressCallback
from engine.tpl.config import TPLConfig
from engine.tpl.voting import vote

STAGE = "TPL prediction"
COLUMNS = ("confidence", "heat_peak", "vote_share")


@torch.inference_mode()
def locate(net: LandmarkUNet, images: torch.Tensor,
           radius: float) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """(B, 1, S, S) images in [0, 1] → (B, N, 2) grid points and (B, N) confidences.

    The dict holds ``heat_peak``, ``vote_share`` and their product ``confidence``
    (all in [0, 1]). ``net`` should be in eval mode.
    """
    device = images.device
    with autocast(device):
        heat, offsets = net(images.contiguous(memory_format=memory_format(device)))
    points, conf = vote(heat, offsets, net.output_stride, radius, images.shape[-1])
    conf["confidence"] = conf["heat_peak"] * conf["vote_share"]
    return points, conf


def predict_tpl(
    net: LandmarkUNet,
    config: TPLConfig,
    data: WorkingSet,
    names: tuple[str, ...],
    device: torch.device,
    *,
    batch_size: int = 8,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> LandmarkTable:
    """Landmarks on every image of ``data`` in original pixels, with ``confidence``,
    ``heat_peak`` and ``vote_share`` columns."""
    if len(names) != net.n_landmarks:
        raise ValueError(f"{len(names)} names for a network of {net.n_landmarks} landmarks")
    size = data.pixels.shape[-1]
    if size != config.image_size:
        raise ValueError(f"working set grid is {size} but the network expects "
                         f"{config.image_size}")
    net.eval()

    def locate_batch(index: list[int]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        points, conf = locate(net, data.batch(index).to(device), config.radius)
        return points.cpu().numpy(), {k: v.float().cpu().numpy().astype(np.float64)
                                      for k, v in conf.items()}

    return predict_in_batches(data, names, locate_batch, stage=STAGE,
                              batch_size=batch_size, columns=COLUMNS, progress=progress,
                              cancel=cancel)
