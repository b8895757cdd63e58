"""Training of the refinement detector on fine-grid crops around the (pseudo) labels.

Same network family, targets and loss as CC2D-TPL (heat-map disk + offsets,
every landmark's channel supervised in every crop); resumable through
:mod:`engine.training`.
"""

from __future__ import annotations

import threading
from pathlib import Path

import torch

from engine.data.working_set import WorkingSet
from engine.device import autocast, memory_format
from engine.models.landmark_unet import LandmarkUNet
from engine.progress import ProgressCallback
from engine.refine.config import RefineConfig
from engine.refine.crops import sample_crops
from engine.tpl.targets import tpl_loss
from engine.training import (
    TrainResult,
    load_trained,
    start_landmark_run,
    train_loop,
)

STAGE = "refinement training"


def build_network(config: RefineConfig, n_landmarks: int) -> LandmarkUNet:
    """The crop detector ``config`` describes, for ``n_landmarks`` landmarks."""
    return LandmarkUNet(n_landmarks, config.width, config.batch_norm, output_stride=1)


def train_refine(
    data: WorkingSet,
    labels: torch.Tensor,
    is_template: torch.Tensor,
    run_dir: Path,
    config: RefineConfig,
    device: torch.device,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> TrainResult:
    """Train (or resume) the refinement detector; checkpoints go to ``run_dir``.

    ``data`` is the fine working set; ``labels`` (I, N, 2) are in its pixels
    (NaN = missing); ``is_template`` (I,) marks images with true labels.
    """
    n_images, _, size, _ = data.pixels.shape
    if size != config.fine_size:
        raise ValueError(f"working set grid is {size} but the config asks {config.fine_size}")
    if labels.shape[:1] != (n_images,) or labels.ndim != 3 or is_template.shape != (n_images,):
        raise ValueError(f"labels must be ({n_images}, N, 2) and is_template ({n_images},)")
    labelled = torch.isfinite(labels).all(-1).any(-1)
    if not labelled.any():
        raise ValueError("no labelled image to train on")
    n_landmarks = labels.shape[1]
    state, net, weights = start_landmark_run(run_dir, config, n_landmarks, build_network)
    fmt = memory_format(device)
    labels = labels.to(device, torch.float32)
    is_template = is_template.to(device, torch.bool)
    labelled = labelled.to(device)
    templates = torch.nonzero(is_template & labelled).flatten()
    others = torch.nonzero(~is_template & labelled).flatten()

    def loss_fn(gen: torch.Generator) -> torch.Tensor:
        crops, points = sample_crops(data.pixels, labels, templates, others, config, gen)
        with autocast(device):
            heat, offsets = net(crops.contiguous(memory_format=fmt))
        loss, _ = tpl_loss(heat, offsets, points, 1, config.radius, config.pos_weight,
                           config.offset_weight)
        return loss

    return train_loop(run_dir, config, {"net": net}, loss_fn, device, stage=STAGE, state=state,
                      backbone_weights=weights, extra={"n_landmarks": n_landmarks},
                      progress=progress, cancel=cancel)


def load_refine_net(run_dir: Path, device: torch.device) -> tuple[LandmarkUNet, RefineConfig]:
    """The trained crop detector of a refinement run folder, in eval mode on ``device``."""
    return load_trained(run_dir, RefineConfig, "a refinement", build_network, device)
