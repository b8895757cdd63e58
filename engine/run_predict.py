"""Predicting landmarks with a finished run folder: coarse CC2D-TPL on the working grid,
then (when the run trained one) the refinement detector on the fine grid.

Used by ``cc2d run`` for its own images, by ``cc2d predict`` and the benchmark
for new ones, and by the GUI.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from engine.data.landmarks import LandmarkTable
from engine.data.working_set import WorkingSet, build_working_set
from engine.errors import CheckpointError
from engine.progress import ProgressCallback
from engine.refine.predict import refine_table
from engine.refine.train import load_refine_net
from engine.ssl.run_files import load_template
from engine.tpl.config import TPLConfig
from engine.tpl.predict import predict_tpl
from engine.tpl.train import load_landmark_net
from engine.training import read_run_config

RUN_JSON = "run.json"
STAGE_COLUMN = "stage"


def finished_stages(run_dir: Path) -> set[str]:
    """Stages ``run.json`` records as done (empty when the folder has none)."""
    path = Path(run_dir) / RUN_JSON
    if not path.is_file():
        return set()
    try:
        return set(json.loads(path.read_text(encoding="utf-8"))["stages"])
    except (OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from None


def predict_coarse(run_dir: Path, data: WorkingSet, device: torch.device, *,
                   progress: ProgressCallback | None = None,
                   cancel: threading.Event | None = None) -> LandmarkTable:
    """CC2D-TPL predictions (original pixels) for every image of ``data``, ``stage`` "tpl"."""
    template = load_template(run_dir)
    net, config = load_landmark_net(Path(run_dir) / "tpl", device)
    table = predict_tpl(net, config, data, template.names, device, progress=progress,
                        cancel=cancel)
    table.text[STAGE_COLUMN] = {name: ["tpl"] * len(template.names) for name in table.points}
    return table


def refine(run_dir: Path, paths: Sequence[Path], coarse: LandmarkTable, device: torch.device,
           *, fine: WorkingSet | None = None, progress: ProgressCallback | None = None,
           cancel: threading.Event | None = None) -> LandmarkTable:
    """``coarse`` refined where the run trained a refinement detector (else a copy).

    Adds ``refine_share`` (vote share of the crop detector; 0 where it cast no
    vote and the coarse point was kept) and marks refined points ``stage`` "refined".
    ``fine``: the images already loaded on the refinement's grid (else ``paths`` are read).
    """
    out = LandmarkTable(coarse.names, dict(coarse.points),
                        {k: dict(v) for k, v in coarse.values.items()},
                        {k: dict(v) for k, v in coarse.text.items()})
    if "refine_train" not in finished_stages(run_dir):
        return out
    net, config = load_refine_net(Path(run_dir) / "refine", device)
    if fine is None or fine.pixels.shape[-1] != config.fine_size:
        wanted = [Path(p) for p in paths if Path(p).name in coarse.points]
        fine = build_working_set(wanted, config.fine_size, device, progress=progress,
                                 cancel=cancel)
    points, shares = refine_table(net, config, fine, coarse.points, device,
                                  progress=progress, cancel=cancel)
    stages = out.text.setdefault(STAGE_COLUMN, {})
    for name, pts in points.items():
        out.points[name] = pts
        stages[name] = ["refined" if s > 0 else old
                        for s, old in zip(shares[name], stages.get(name, ["tpl"] * len(pts)))]
    out.values["refine_share"] = shares
    return out


def predict_images(run_dir: Path, paths: Sequence[Path], device: torch.device, *,
                   skipped: list[tuple[Path, str]] | None = None,
                   progress: ProgressCallback | None = None,
                   cancel: threading.Event | None = None) -> LandmarkTable:
    """Final predictions of a finished run for ``paths``; the template keeps its labels.

    With a ``skipped`` list, unreadable images are left out and listed there
    (see :func:`engine.data.working_set.build_working_set`); without, they raise.
    """
    paths = [Path(p) for p in paths]
    template = load_template(run_dir)
    grid = read_run_config(Path(run_dir) / "tpl", TPLConfig, "a TPL").image_size
    data = build_working_set(paths, grid, device, progress=progress, cancel=cancel,
                             skipped=skipped)
    paths = list(data.paths)
    table = refine(run_dir, paths, predict_coarse(run_dir, data, device, progress=progress,
                                                  cancel=cancel),
                   device, progress=progress, cancel=cancel)
    set_template_row(table, template.image, template.points)
    return table


def set_template_row(table: LandmarkTable, image: Path, points: np.ndarray) -> None:
    """Give the template image (if ``table`` has it) its true labels and full confidence."""
    name = Path(image).name
    if name not in table.points:
        return
    table.points[name] = np.asarray(points, dtype=np.float64).copy()
    for column in table.values.values():
        column[name] = np.ones(len(points))
    table.text.setdefault(STAGE_COLUMN, {})[name] = ["template"] * len(points)
