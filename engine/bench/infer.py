"""Inference latency on a full-size radiograph (``cc2d bench-infer``): the coarse TPL
detector and the refinement, apart and together.

Timed from a decoded float image in memory to landmarks in original pixels:
resize to the grid(s), networks, voting, mapping back. Decoding is not timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.bench.provenance import provenance
from engine.data.grid import from_grid, to_grid
from engine.data.working_set import resize_to_grid
from engine.device import memory_format, peak_memory_mb, synchronize
from engine.models.landmark_unet import LandmarkUNet
from engine.refine import train as refine_train
from engine.refine.config import RefineConfig
from engine.refine.predict import CROPS_PER_BATCH, refine_centres
from engine.run_folder import RunFolder
from engine.tpl import train as tpl_train
from engine.tpl.config import TPLConfig
from engine.tpl.predict import locate
from engine.training import CHECKPOINT


def _network(run: Path | None, load: Callable, build: Callable, config: Any, n_landmarks: int,
             device: torch.device) -> tuple[LandmarkUNet, Any, str]:
    """The trained network of ``run`` (a stage folder), else an untrained one for timing."""
    if run is not None:
        net, config = load(run, device)
        return net, config, f"trained ({run})"
    net = build(config, n_landmarks).to(device, memory_format=memory_format(device))
    return net.eval(), config, "untrained (same architecture; timing only)"


def _seconds(fn: Callable[[], object], repeats: int, device: torch.device) -> float:
    for _ in range(2):
        fn()
    synchronize(device)
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    synchronize(device)
    return (time.perf_counter() - t0) / repeats


def bench_infer(config: TPLConfig, device: torch.device, *, run: Path | None = None,
                refine: RefineConfig | None = None, n_landmarks: int = 19,
                width: int = 1935, height: int = 2400, repeats: int = 10,
                batch_size: int = 16) -> dict[str, Any]:
    """Seconds per image, one at a time and in batches of ``batch_size``.

    ``run`` is a ``cc2d run`` folder (its tpl/ and, when trained, refine/
    networks are timed) or None (untrained networks of ``config`` and ``refine``).
    """
    tpl_dir = refine_dir = None
    if run is not None:
        folder = RunFolder(run)
        tpl_dir = folder.tpl if folder.tpl.is_dir() else run
        refine_dir = folder.refine if (folder.refine / CHECKPOINT).exists() else None
        if refine_dir is None:
            refine = None
    net, config, which = _network(tpl_dir, tpl_train.load_landmark_net,
                                  tpl_train.build_network, config, n_landmarks, device)
    rng = np.random.default_rng(0)
    image = rng.random((height, width), dtype=np.float32)
    size = config.image_size

    def coarse() -> np.ndarray:
        grid = torch.from_numpy(resize_to_grid(image, size)).to(device).float().div_(255.0)
        points, _ = locate(net, grid[None, None], config.radius)
        return from_grid(points[0].cpu().numpy(), width, height, size)

    batch = torch.rand(batch_size, 1, size, size, device=device)
    result: dict[str, Any] = {
        **provenance(device), "network": which, "image": f"{width}x{height}", "grid": size,
        "width": config.width, "landmarks": net.n_landmarks, "threads": torch.get_num_threads(),
        "single_image_s": round(_seconds(coarse, repeats, device), 4),
        "batched_per_image_s": round(
            _seconds(lambda: locate(net, batch, config.radius)[0].cpu(), repeats, device)
            / batch_size, 5),
        "batch_size": batch_size,
    }
    if refine is not None:
        rnet, refine, rwhich = _network(refine_dir, refine_train.load_refine_net,
                                        refine_train.build_network, refine, net.n_landmarks,
                                        device)
        start = coarse()

        def fine_one() -> np.ndarray:
            fine = resize_to_grid(image, refine.fine_size)
            img = torch.from_numpy(fine).to(device).float().div_(255.0)[None, None]
            centres = torch.from_numpy(to_grid(start, width, height, refine.fine_size))
            out, _ = refine_centres(rnet, img, centres[None].float().to(device), refine)
            return from_grid(out[0].cpu().numpy(), width, height, refine.fine_size)

        group = max(1, CROPS_PER_BATCH // net.n_landmarks)   # as refine_table batches
        fine_batch = torch.rand(group, 1, refine.fine_size, refine.fine_size, device=device)
        centres = torch.rand(group, net.n_landmarks, 2, device=device) * refine.fine_size
        single = _seconds(fine_one, repeats, device)
        batched = _seconds(lambda: refine_centres(rnet, fine_batch, centres, refine)[0].cpu(),
                           repeats, device) / group
        result.update({
            "refine_network": rwhich, "fine_grid": refine.fine_size,
            "refine_single_image_s": round(single, 4),
            "refine_batched_per_image_s": round(batched, 5),
            "total_single_image_s": round(result["single_image_s"] + single, 4),
            "total_batched_per_image_s": round(result["batched_per_image_s"] + batched, 5),
        })
    result["peak_memory_mb"] = peak_memory_mb(device)
    return result
