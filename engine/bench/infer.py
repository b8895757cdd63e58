"""Inference latency of the TPL detector on a full-size radiograph (``cc2d bench-infer``).

Timed from a decoded float image in memory to landmarks in original pixels:
resize to the grid, network, voting, mapping back. Decoding is timed apart.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.bench.provenance import provenance
from engine.data.grid import from_grid
from engine.data.working_set import resize_to_grid
from engine.device import memory_format, peak_memory_mb, synchronize
from engine.models.landmark_unet import LandmarkUNet
from engine.tpl.config import TPLConfig
from engine.tpl.predict import locate
from engine.tpl.train import build_network, load_landmark_net


def _network(run: Path | None, config: TPLConfig, n_landmarks: int,
             device: torch.device) -> tuple[LandmarkUNet, TPLConfig, str]:
    if run is not None:
        net, config = load_landmark_net(run, device)
        return net, config, f"trained ({run})"
    net = build_network(config, n_landmarks).to(device, memory_format=memory_format(device))
    return net.eval(), config, "untrained (same architecture; timing only)"


def bench_infer(config: TPLConfig, device: torch.device, *, run: Path | None = None,
                n_landmarks: int = 19, width: int = 1935, height: int = 2400,
                repeats: int = 10, batch_size: int = 16) -> dict[str, Any]:
    """Seconds per image, one at a time and in batches of ``batch_size``."""
    net, config, which = _network(run, config, n_landmarks, device)
    rng = np.random.default_rng(0)
    image = rng.random((height, width), dtype=np.float32)
    size = config.image_size

    def one(img: np.ndarray) -> np.ndarray:
        grid = torch.from_numpy(resize_to_grid(img, size)).to(device).float().div_(255.0)
        points, _ = locate(net, grid[None, None], config.radius)
        return from_grid(points[0].cpu().numpy(), width, height, size)

    for _ in range(2):
        one(image)
    synchronize(device)
    t0 = time.perf_counter()
    for _ in range(repeats):
        one(image)
    synchronize(device)
    single = (time.perf_counter() - t0) / repeats

    batch = torch.rand(batch_size, 1, size, size, device=device)
    for _ in range(2):
        locate(net, batch, config.radius)
    synchronize(device)
    t0 = time.perf_counter()
    for _ in range(repeats):
        points, _ = locate(net, batch, config.radius)
        points.cpu()
    synchronize(device)
    batched = (time.perf_counter() - t0) / repeats / batch_size
    return {**provenance(device), "network": which, "image": f"{width}x{height}",
            "grid": size, "width": config.width, "landmarks": net.n_landmarks,
            "threads": torch.get_num_threads(),
            "single_image_s": round(single, 4), "batched_per_image_s": round(batched, 5),
            "batch_size": batch_size, "peak_memory_mb": peak_memory_mb(device)}
