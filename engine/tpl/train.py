"""CC2D-TPL training: a landmark U-Net learns heat maps and offsets from the template's
true labels and the other images' pseudo labels (paper Sec. 2.2).

Resumable through :mod:`engine.training`, like CC2D-SSL.
"""

from __future__ import annotations

import threading
from pathlib import Path

import torch

from engine.data.working_set import WorkingSet
from engine.device import autocast, memory_format
from engine.models.landmark_unet import LandmarkUNet
from engine.progress import ProgressCallback
from engine.tpl.augment import augment
from engine.tpl.config import TPLConfig
from engine.tpl.sampling import draw_images
from engine.tpl.targets import tpl_loss
from engine.training import (
    TrainResult,
    load_trained,
    start_landmark_run,
    train_loop,
)

STAGE = "TPL training"


def build_network(config: TPLConfig, n_landmarks: int) -> LandmarkUNet:
    """The landmark U-Net ``config`` describes, for ``n_landmarks`` landmarks."""
    net = LandmarkUNet(n_landmarks, config.width, config.batch_norm, config.output_stride,
                       encoder=config.encoder)
    if config.frozen_stride:
        net.encoder.freeze_through(config.frozen_stride)
    return net


def sample_batch(
    pixels: torch.Tensor, labels: torch.Tensor, templates: torch.Tensor, others: torch.Tensor,
    config: TPLConfig, gen: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Augmented (B, 1, S, S) images and their (B, N, 2) landmarks.

    ``templates`` and ``others`` index the two kinds of image (one may be empty).
    Each batch slot is a template with probability ``template_weight`` (when
    there are both kinds), so the few true labels are seen far more often than
    their share of the set.
    """
    index = draw_images(templates, others, config.batch_size, config.template_weight, gen)
    images = pixels[index].float().div_(255.0)
    return augment(images, labels[index], config.rotation_deg, config.scale, config.translate,
                   config.jitter, gen)


def _check_inputs(data: WorkingSet, labels: torch.Tensor, is_template: torch.Tensor,
                  config: TPLConfig) -> None:
    n_images, _, size, _ = data.pixels.shape
    if n_images == 0:
        raise ValueError("no images to train on")
    if size != config.image_size:
        raise ValueError(f"working set grid is {size} but the config asks {config.image_size}")
    if labels.ndim != 3 or labels.shape[0] != n_images or labels.shape[2] != 2:
        raise ValueError(f"labels must be ({n_images}, N, 2), got {tuple(labels.shape)}")
    if is_template.shape != (n_images,):
        raise ValueError(f"is_template must be ({n_images},), got {tuple(is_template.shape)}")


def train_tpl(
    data: WorkingSet,
    labels: torch.Tensor,
    is_template: torch.Tensor,
    run_dir: Path,
    config: TPLConfig,
    device: torch.device,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> TrainResult:
    """Train (or resume training) CC2D-TPL; checkpoints go to ``run_dir``.

    ``labels``: (I, N, 2) x, y in working-grid pixels of ``data``'s images (NaN =
    missing), the template's true labels and everyone else's pseudo labels;
    ``is_template``: (I,) bool marks the images whose labels are true.
    """
    _check_inputs(data, labels, is_template, config)
    n_landmarks = labels.shape[1]
    state, net, weights = start_landmark_run(run_dir, config, n_landmarks, build_network)
    fmt = memory_format(device)
    labels = labels.to(device, torch.float32)
    is_template = is_template.to(device, torch.bool)
    templates = torch.nonzero(is_template).flatten()
    others = torch.nonzero(~is_template).flatten()

    def loss_fn(gen: torch.Generator) -> torch.Tensor:
        images, points = sample_batch(data.pixels, labels, templates, others, config, gen)
        with autocast(device):
            heat, offsets = net(images.contiguous(memory_format=fmt))
        loss, _ = tpl_loss(heat, offsets, points, config.output_stride, config.radius,
                           config.pos_weight, config.offset_weight)
        return loss

    return train_loop(run_dir, config, {"net": net}, loss_fn, device, stage=STAGE, state=state,
                      backbone_weights=weights, extra={"n_landmarks": n_landmarks},
                      progress=progress, cancel=cancel)


def load_landmark_net(run_dir: Path, device: torch.device) -> tuple[LandmarkUNet, TPLConfig]:
    """The trained landmark U-Net of a TPL run folder, in eval mode on ``device``."""
    return load_trained(run_dir, TPLConfig, "a TPL", build_network, device)
