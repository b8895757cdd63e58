"""CC2D-SSL training: two feature extractors (same architecture, separate weights) learn
to find the centre of an augmented patch in its whole image (paper Sec. 2.1).

Resumable: the checkpoint (both networks, optimizer, step, elapsed time) is
written atomically every ``checkpoint_every`` steps and on cancel; running
again on the same run folder continues from it.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from engine.atomic import atomic_write_text
from engine.checkpoint import load_checkpoint, save_checkpoint
from engine.data.working_set import WorkingSet
from engine.device import autocast, memory_format, peak_memory_mb, reset_peak_memory
from engine.errors import CheckpointError
from engine.models.feature_net import STRIDES, FeatureNet
from engine.models.vgg import load_backbone_weights
from engine.progress import ProgressCallback, ProgressMeter, check_cancel
from engine.ssl.config import SSLConfig
from engine.ssl.patches import sample_patch_batch
from engine.ssl.similarity import ssl_loss

CHECKPOINT = "checkpoint.pt"
CONFIG = "config.json"
SUMMARY = "train.json"


@dataclass(frozen=True)
class SSLTrainResult:
    steps: int
    seconds: float            # wall time of the training loop (this call and earlier ones)
    samples_per_s: float
    final_loss: float
    backbone_weights: str
    peak_memory_mb: float | None
    device: str


def build_networks(config: SSLConfig) -> tuple[FeatureNet, FeatureNet]:
    """The reference (whole-image) extractor and the patch extractor."""
    make = lambda: FeatureNet(config.feature_channels, config.width, config.batch_norm)  # noqa: E731
    return make(), make()


def _lr_factor(progress: float) -> float:
    return 0.5 * (1.0 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))


def _check_run_config(run_dir: Path, config: SSLConfig) -> None:
    path = run_dir / CONFIG
    if path.exists():
        saved = SSLConfig.load(path)
        if saved != config:
            diff = {k: (v, getattr(config, k)) for k, v in asdict(saved).items()
                    if getattr(config, k) != v}
            raise CheckpointError(
                f"{run_dir} holds a run with other settings {diff} (saved, asked); "
                f"use another run folder to start afresh"
            )
    else:
        atomic_write_text(path, config.to_json())


def train_ssl(
    data: WorkingSet,
    run_dir: Path,
    config: SSLConfig,
    device: torch.device,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> SSLTrainResult:
    """Train (or resume training) CC2D-SSL on ``data``; checkpoints go to ``run_dir``."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    _check_run_config(run_dir, config)
    torch.manual_seed(config.seed)
    ref_net, patch_net = build_networks(config)
    step, elapsed, weights_used, loss_value = 0, 0.0, "", math.nan
    optimizer_state = None
    ckpt_path = run_dir / CHECKPOINT
    if ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path)
        ref_net.load_state_dict(ckpt["ref_net"])
        patch_net.load_state_dict(ckpt["patch_net"])
        optimizer_state = ckpt["optimizer"]
        step, elapsed = int(ckpt["step"]), float(ckpt["elapsed_s"])
        weights_used, loss_value = str(ckpt["backbone_weights"]), float(ckpt["loss"])
    else:
        weights_used = load_backbone_weights(ref_net.encoder, config.backbone_weights,
                                             config.batch_norm)
        load_backbone_weights(patch_net.encoder, config.backbone_weights, config.batch_norm)

    fmt = memory_format(device)
    ref_net.to(device, memory_format=fmt).train()
    patch_net.to(device, memory_format=fmt).train()
    params = list(ref_net.parameters()) + list(patch_net.parameters())
    optimizer = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    gen = torch.Generator(device=device)

    def save() -> None:
        save_checkpoint(ckpt_path, {
            "ref_net": ref_net.state_dict(), "patch_net": patch_net.state_dict(),
            "optimizer": optimizer.state_dict(), "step": step, "elapsed_s": elapsed,
            "backbone_weights": weights_used, "loss": loss_value,
        })

    def fraction_done() -> float:
        frac = step / config.steps
        if config.time_budget_s > 0:
            frac = max(frac, elapsed / config.time_budget_s)
        return frac

    meter = ProgressMeter("SSL training", config.steps, progress, start_step=step)
    reset_peak_memory(device)
    start_step, t0 = step, time.perf_counter()
    elapsed0 = elapsed
    running = None
    while fraction_done() < 1.0:
        if cancel is not None and cancel.is_set():
            save()
            check_cancel(cancel, "SSL training")
        # Seeded per step, so a resumed run draws the batches it would have drawn.
        gen.manual_seed(config.seed * 1_000_003 + step)
        batch = sample_patch_batch(data.pixels, config.batch_size, config.patch_size,
                                   config.rotation_deg, config.jitter, gen,
                                   config.targets_per_patch)
        for group in optimizer.param_groups:
            group["lr"] = config.lr * _lr_factor(fraction_done())
        with autocast(device):
            image_maps = ref_net(batch.images.contiguous(memory_format=fmt))
            patch_maps = patch_net(batch.patches.contiguous(memory_format=fmt))
            loss, _ = ssl_loss(image_maps, patch_maps, batch.target_image, batch.target_patch,
                               STRIDES, config.temperature, config.window, batch.valid)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        running = loss.detach() if running is None else 0.98 * running + 0.02 * loss.detach()
        elapsed = elapsed0 + time.perf_counter() - t0
        if step % 25 == 0 or fraction_done() >= 1.0:
            loss_value = float(running)
            if not math.isfinite(loss_value):
                raise CheckpointError(f"SSL training diverged at step {step} (loss {loss_value})")
            meter.total = _projected_total(step, config, elapsed)
            meter.update(step, loss_value)
        if step % config.checkpoint_every == 0:
            save()
    if running is not None:
        loss_value = float(running)
    save()
    meter.update(step, loss_value, force=True)
    trained = step - start_step
    loop_s = elapsed - elapsed0
    result = SSLTrainResult(
        steps=step, seconds=elapsed,
        samples_per_s=trained * config.batch_size / loop_s if loop_s > 0 else 0.0,
        final_loss=loss_value, backbone_weights=weights_used,
        peak_memory_mb=peak_memory_mb(device), device=str(device),
    )
    atomic_write_text(run_dir / SUMMARY, json.dumps(asdict(result), indent=2))
    return result


def _projected_total(step: int, config: SSLConfig, elapsed: float) -> int:
    """Steps the run will make: ``steps``, or fewer when the time budget ends it first."""
    if config.time_budget_s > 0 and elapsed > 0:
        return min(config.steps, max(step, int(step * config.time_budget_s / elapsed)))
    return config.steps


def load_reference_net(run_dir: Path, device: torch.device) -> tuple[FeatureNet, SSLConfig]:
    """The trained reference extractor of an SSL run folder, in eval mode on ``device``."""
    run_dir = Path(run_dir)
    if not (run_dir / CONFIG).exists():
        raise CheckpointError(f"{run_dir} is not an SSL run folder (no {CONFIG})")
    config = SSLConfig.load(run_dir / CONFIG)
    ckpt = load_checkpoint(run_dir / CHECKPOINT)
    net = FeatureNet(config.feature_channels, config.width, config.batch_norm)
    try:
        net.load_state_dict(ckpt["ref_net"])
    except (KeyError, RuntimeError) as exc:
        raise CheckpointError(f"{run_dir / CHECKPOINT} does not fit its config: {exc}") from None
    net.to(device, memory_format=memory_format(device)).eval()
    return net, config

