"""CC2D-TPL training: a landmark U-Net learns heat maps and offsets from the template's
true labels and the other images' pseudo labels (paper Sec. 2.2).

Resumable like CC2D-SSL: config.json is frozen in the run folder, the checkpoint
(network, optimizer, step, elapsed time) is written atomically every
``checkpoint_every`` steps and on cancel, and each step's batch is drawn from a
generator seeded by the step, so a resumed run sees the batches it would have seen.
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
from engine.models.landmark_unet import LandmarkUNet
from engine.models.vgg import load_backbone_weights
from engine.progress import ProgressCallback, ProgressMeter, check_cancel
from engine.ssl.train import _lr_factor, _projected_total
from engine.tpl.augment import augment
from engine.tpl.config import TPLConfig
from engine.tpl.targets import tpl_loss

CHECKPOINT = "checkpoint.pt"
CONFIG = "config.json"
SUMMARY = "train.json"
STAGE = "TPL training"


@dataclass(frozen=True)
class TPLTrainResult:
    steps: int
    seconds: float            # wall time of the training loop (this call and earlier ones)
    samples_per_s: float
    final_loss: float
    backbone_weights: str
    peak_memory_mb: float | None
    device: str


def build_network(config: TPLConfig, n_landmarks: int) -> LandmarkUNet:
    """The landmark U-Net ``config`` describes, for ``n_landmarks`` landmarks."""
    return LandmarkUNet(n_landmarks, config.width, config.batch_norm, config.output_stride)


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
    b = config.batch_size

    def draw(pool: torch.Tensor) -> torch.Tensor:
        return pool[torch.randint(0, len(pool), (b,), device=pool.device, generator=gen)]

    if len(templates) == 0 or len(others) == 0:
        index = draw(templates if len(templates) else others)
    else:
        use_template = torch.rand(b, device=pixels.device, generator=gen) < config.template_weight
        index = torch.where(use_template, draw(templates), draw(others))
    images = pixels[index].float().div_(255.0)
    return augment(images, labels[index], config.rotation_deg, config.scale, config.translate,
                   config.jitter, gen)


def _check_run_config(run_dir: Path, config: TPLConfig) -> None:
    path = run_dir / CONFIG
    if path.exists():
        saved = TPLConfig.load(path)
        if saved != config:
            diff = {k: (v, getattr(config, k)) for k, v in asdict(saved).items()
                    if getattr(config, k) != v}
            raise CheckpointError(
                f"{run_dir} holds a run with other settings {diff} (saved, asked); "
                f"use another run folder to start afresh"
            )
    else:
        atomic_write_text(path, config.to_json())


def _check_inputs(data: WorkingSet, labels: torch.Tensor, is_template: torch.Tensor,
                  config: TPLConfig) -> None:
    n_images, _, size, _ = data.pixels.shape
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
) -> TPLTrainResult:
    """Train (or resume training) CC2D-TPL; checkpoints go to ``run_dir``.

    ``labels``: (I, N, 2) x, y in working-grid pixels of ``data``'s images (NaN =
    missing), the template's true labels and everyone else's pseudo labels;
    ``is_template``: (I,) bool marks the images whose labels are true.
    """
    _check_inputs(data, labels, is_template, config)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    _check_run_config(run_dir, config)
    n_landmarks = labels.shape[1]
    torch.manual_seed(config.seed)
    net = build_network(config, n_landmarks)
    step, elapsed, weights_used, loss_value = 0, 0.0, "", math.nan
    optimizer_state = None
    ckpt_path = run_dir / CHECKPOINT
    if ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path)
        if int(ckpt.get("n_landmarks", -1)) != n_landmarks:
            raise CheckpointError(
                f"{ckpt_path} was trained for {ckpt.get('n_landmarks')} landmarks, "
                f"the labels have {n_landmarks}; use another run folder"
            )
        net.load_state_dict(ckpt["net"])
        optimizer_state = ckpt["optimizer"]
        step, elapsed = int(ckpt["step"]), float(ckpt["elapsed_s"])
        weights_used, loss_value = str(ckpt["backbone_weights"]), float(ckpt["loss"])
    else:
        weights_used = load_backbone_weights(net.encoder, config.backbone_weights,
                                             config.batch_norm)

    fmt = memory_format(device)
    net.to(device, memory_format=fmt).train()
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    gen = torch.Generator(device=device)
    labels = labels.to(device, torch.float32)
    is_template = is_template.to(device, torch.bool)
    templates = torch.nonzero(is_template).flatten()
    others = torch.nonzero(~is_template).flatten()

    def save() -> None:
        save_checkpoint(ckpt_path, {
            "net": net.state_dict(), "optimizer": optimizer.state_dict(),
            "n_landmarks": n_landmarks, "step": step, "elapsed_s": elapsed,
            "backbone_weights": weights_used, "loss": loss_value,
        })

    def fraction_done() -> float:
        frac = step / config.steps
        if config.time_budget_s > 0:
            frac = max(frac, elapsed / config.time_budget_s)
        return frac

    meter = ProgressMeter(STAGE, config.steps, progress, start_step=step)
    reset_peak_memory(device)
    start_step, t0 = step, time.perf_counter()
    elapsed0 = elapsed
    running = None
    while fraction_done() < 1.0:
        if cancel is not None and cancel.is_set():
            save()
            check_cancel(cancel, STAGE)
        # Seeded per step, so a resumed run draws the batches it would have drawn.
        gen.manual_seed(config.seed * 1_000_003 + step)
        images, points = sample_batch(data.pixels, labels, templates, others, config, gen)
        for group in optimizer.param_groups:
            group["lr"] = config.lr * _lr_factor(fraction_done())
        with autocast(device):
            heat, offsets = net(images.contiguous(memory_format=fmt))
        loss, _ = tpl_loss(heat, offsets, points, config.output_stride, config.radius,
                           config.pos_weight, config.offset_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        running = loss.detach() if running is None else 0.98 * running + 0.02 * loss.detach()
        elapsed = elapsed0 + time.perf_counter() - t0
        if step % 25 == 0 or fraction_done() >= 1.0:
            loss_value = float(running)
            if not math.isfinite(loss_value):
                raise CheckpointError(f"TPL training diverged at step {step} (loss {loss_value})")
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
    result = TPLTrainResult(
        steps=step, seconds=elapsed,
        samples_per_s=trained * config.batch_size / loop_s if loop_s > 0 else 0.0,
        final_loss=loss_value, backbone_weights=weights_used,
        peak_memory_mb=peak_memory_mb(device), device=str(device),
    )
    atomic_write_text(run_dir / SUMMARY, json.dumps(asdict(result), indent=2))
    return result


def load_landmark_net(run_dir: Path, device: torch.device) -> tuple[LandmarkUNet, TPLConfig]:
    """The trained landmark U-Net of a TPL run folder, in eval mode on ``device``."""
    run_dir = Path(run_dir)
    if not (run_dir / CONFIG).exists():
        raise CheckpointError(f"{run_dir} is not a TPL run folder (no {CONFIG})")
    config = TPLConfig.load(run_dir / CONFIG)
    ckpt = load_checkpoint(run_dir / CHECKPOINT)
    try:
        net = build_network(config, int(ckpt["n_landmarks"]))
        net.load_state_dict(ckpt["net"])
    except (KeyError, RuntimeError, ValueError) as exc:
        raise CheckpointError(f"{run_dir / CHECKPOINT} does not fit its config: {exc}") from None
    net.to(device, memory_format=memory_format(device)).eval()
    return net, config
