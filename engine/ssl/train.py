"""CC2D-SSL training: two feature extractors (same architecture, separate weights) learn
to find the centre of an augmented patch in its whole image (paper Sec. 2.1).

Resumable through :mod:`engine.training`: running again on the same run folder
continues from its checkpoint.
"""

from __future__ import annotations

import threading
from pathlib import Path

import torch

from engine.checkpoint import load_checkpoint
from engine.data.working_set import WorkingSet
from engine.device import autocast, memory_format
from engine.models.feature_net import STRIDES, FeatureNet
from engine.models.vgg import load_backbone_weights
from engine.progress import ProgressCallback
from engine.ssl.config import SSLConfig
from engine.ssl.patches import sample_patch_batch
from engine.ssl.similarity import ssl_loss
from engine.training import (
    CHECKPOINT,
    TrainResult,
    load_states,
    open_run,
    read_run_config,
    train_loop,
)

STAGE = "SSL training"


def build_networks(config: SSLConfig) -> tuple[FeatureNet, FeatureNet]:
    """The reference (whole-image) extractor and the patch extractor."""
    return tuple(FeatureNet(config.feature_channels, config.width, config.batch_norm)  # type: ignore[return-value]
                 for _ in range(2))


def train_ssl(
    data: WorkingSet,
    run_dir: Path,
    config: SSLConfig,
    device: torch.device,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> TrainResult:
    """Train (or resume training) CC2D-SSL on ``data``; checkpoints go to ``run_dir``."""
    state = open_run(run_dir, config)
    torch.manual_seed(config.seed)
    ref_net, patch_net = build_networks(config)
    weights = ""
    if state is None:
        weights = load_backbone_weights(ref_net.encoder, config.backbone_weights,
                                        config.batch_norm)
        load_backbone_weights(patch_net.encoder, config.backbone_weights, config.batch_norm)
    fmt = memory_format(device)

    def loss_fn(gen: torch.Generator) -> torch.Tensor:
        batch = sample_patch_batch(data.pixels, config.batch_size, config.patch_size,
                                   config.rotation_deg, config.jitter, gen,
                                   config.targets_per_patch)
        with autocast(device):
            image_maps = ref_net(batch.images.contiguous(memory_format=fmt))
            patch_maps = patch_net(batch.patches.contiguous(memory_format=fmt))
        loss, _ = ssl_loss(image_maps, patch_maps, batch.target_image, batch.target_patch,
                           STRIDES, config.temperature, config.window, batch.valid)
        return loss

    return train_loop(run_dir, config, {"ref_net": ref_net, "patch_net": patch_net}, loss_fn,
                      device, stage=STAGE, state=state, backbone_weights=weights,
                      progress=progress, cancel=cancel)


def load_reference_net(run_dir: Path, device: torch.device) -> tuple[FeatureNet, SSLConfig]:
    """The trained reference extractor of an SSL run folder, in eval mode on ``device``."""
    config = read_run_config(run_dir, SSLConfig, "an SSL")
    net = FeatureNet(config.feature_channels, config.width, config.batch_norm)
    path = Path(run_dir) / CHECKPOINT
    load_states({"ref_net": net}, load_checkpoint(path), path)
    net.to(device, memory_format=memory_format(device)).eval()
    return net, config
