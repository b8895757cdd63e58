"""Throughput of the SSL training step: the full step (patch sampling on the device
included) against the model step alone on random tensors. On CUDA the first must
reach 90 % of the second, or training is waiting for data."""

from __future__ import annotations

import time
from typing import Any

import torch

from engine.bench.provenance import provenance
from engine.device import autocast, memory_format, peak_memory_mb, synchronize
from engine.models.feature_net import STRIDES
from engine.ssl.config import SSLConfig
from engine.ssl.patches import PatchBatch, sample_patch_batch
from engine.ssl.similarity import ssl_loss
from engine.ssl.train import build_networks


def bench_ssl(config: SSLConfig, device: torch.device, *, steps: int = 20,
              n_images: int = 150, warmup: int = 3) -> dict[str, Any]:
    """Samples/s of both variants, measured after ``warmup`` steps."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    fmt = memory_format(device)
    ref_net, patch_net = build_networks(config)
    ref_net.to(device, memory_format=fmt).train()
    patch_net.to(device, memory_format=fmt).train()
    opt = torch.optim.Adam(list(ref_net.parameters()) + list(patch_net.parameters()), lr=1e-4)
    gen = torch.Generator(device=device).manual_seed(0)
    s, p, b = config.image_size, config.patch_size, config.batch_size
    pixels = torch.randint(0, 256, (n_images, 1, s, s), dtype=torch.uint8, device=device)
    fixed = PatchBatch(torch.rand(b, 1, s, s, device=device), torch.rand(b, 1, p, p, device=device),
                       torch.rand(b, config.targets_per_patch, 2, device=device) * (s - 1),
                       torch.rand(b, config.targets_per_patch, 2, device=device) * (p - 1),
                       torch.ones(b, config.targets_per_patch, dtype=torch.bool, device=device))

    def step(batch: PatchBatch) -> None:
        with autocast(device):
            im = ref_net(batch.images.contiguous(memory_format=fmt))
            pm = patch_net(batch.patches.contiguous(memory_format=fmt))
            loss, _ = ssl_loss(im, pm, batch.target_image, batch.target_patch, STRIDES,
                               config.temperature, config.window, batch.valid)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def timed(make_batch: Any) -> float:
        for _ in range(warmup):
            step(make_batch())
        synchronize(device)
        t0 = time.perf_counter()
        for _ in range(steps):
            step(make_batch())
        synchronize(device)
        return steps * b / (time.perf_counter() - t0)

    model_only = timed(lambda: fixed)
    full = timed(lambda: sample_patch_batch(
        pixels, b, p, config.rotation_deg, config.jitter, gen, config.targets_per_patch))
    return {**provenance(device), "batch_size": b, "image_size": s, "patch_size": p,
            "width": config.width, "model_step_samples_per_s": round(model_only, 2),
            "full_step_samples_per_s": round(full, 2), "ratio": round(full / model_only, 3),
            "peak_memory_mb": peak_memory_mb(device)}
