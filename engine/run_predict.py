"""Predicting landmarks with a finished run folder: coarse CC2D-TPL on the working grid,
then (when the run trained one) the refinement detector on the fine grid.

Used by ``cc2d run`` for its own images, by ``cc2d predict`` and the benchmark
for new ones, and by the GUI.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import torch

from engine.data.image_keys import image_keys
from engine.data.landmarks import STAGE_COLUMN, LandmarkTable
from engine.data.working_set import WorkingSet, build_working_set
from engine.device import out_of_memory_as_error, require_device
from engine.errors import CheckpointError
from engine.instant.run import is_instant, predict_with_run
from engine.labelled import set_template_row, template_key
from engine.progress import ProgressCallback
from engine.refine.predict import refine_table
from engine.refine.train import load_refine_net
from engine.run_folder import RunFolder
from engine.ssl.run_files import load_template
from engine.tpl.config import TPLConfig
from engine.tpl.predict import predict_tpl
from engine.tpl.train import load_landmark_net
from engine.training import read_run_config


def predict_coarse(run_dir: Path, data: WorkingSet, device: torch.device, *,
                   progress: ProgressCallback | None = None,
                   cancel: threading.Event | None = None) -> LandmarkTable:
    """CC2D-TPL predictions (original pixels) for every image of ``data``, ``stage`` "tpl"."""
    folder = RunFolder(run_dir)
    template = load_template(folder.root)
    net, config = load_landmark_net(folder.tpl, device)
    if net.n_landmarks != len(template.names):
        raise CheckpointError(
            f"{folder.tpl} holds a network for {net.n_landmarks} landmarks but the run's "
            f"template ({folder.template_json}) has {len(template.names)}; the run folder "
            "is inconsistent: train it again in a new folder")
    table = predict_tpl(net, config, data, template.names, device, progress=progress,
                        cancel=cancel)
    table.text[STAGE_COLUMN] = {key: ["tpl"] * len(template.names) for key in table.points}
    return table


def refine(run_dir: Path, paths: Sequence[Path], coarse: LandmarkTable, device: torch.device,
           *, keys: Sequence[str] | None = None, fine: WorkingSet | None = None,
           progress: ProgressCallback | None = None,
           cancel: threading.Event | None = None) -> LandmarkTable:
    """``coarse`` refined where the run trained a refinement detector (else a copy).

    Adds ``refine_share`` (vote share of the crop detector; 0 where it cast no
    vote and the coarse point was kept) and marks refined points ``stage`` "refined".
    ``keys``: how ``coarse`` names each of ``paths`` (default :func:`image_keys`);
    ``fine``: the images already loaded on the refinement's grid (else ``paths`` are read).
    """
    folder = RunFolder(run_dir)
    out = LandmarkTable(coarse.names, dict(coarse.points),
                        {k: dict(v) for k, v in coarse.values.items()},
                        {k: dict(v) for k, v in coarse.text.items()})
    if "refine_train" not in folder.finished_stages():
        return out
    net, config = load_refine_net(folder.refine, device)
    if fine is None or fine.pixels.shape[-1] != config.fine_size:
        paths = [Path(p) for p in paths]
        keys = list(keys) if keys is not None else image_keys(paths)
        wanted = [i for i, key in enumerate(keys) if key in coarse.points]
        fine = build_working_set([paths[i] for i in wanted], config.fine_size, device,
                                 progress=progress, cancel=cancel,
                                 keys=[keys[i] for i in wanted])
    refined = refine_table(net, config, fine, coarse, device, progress=progress,
                           cancel=cancel)
    shares = refined.values["refine_share"]
    stages = out.text.setdefault(STAGE_COLUMN, {})
    for key, pts in refined.points.items():
        out.points[key] = pts
        stages[key] = ["refined" if s > 0 else old
                       for s, old in zip(shares[key], stages.get(key, ["tpl"] * len(pts)))]
    out.values["refine_share"] = shares
    return out


def predict_images(run_dir: Path, paths: Sequence[Path], device: torch.device, *,
                   skipped: list[tuple[Path, str]] | None = None,
                   progress: ProgressCallback | None = None,
                   cancel: threading.Event | None = None) -> LandmarkTable:
    """Final predictions of a finished run for ``paths``, named by :func:`image_keys` of
    ``paths``; the template (when among them) keeps its labels.

    With a ``skipped`` list, unreadable images are left out and listed there
    (see :func:`engine.data.working_set.build_working_set`); without, they raise.
    """
    require_device(device)
    folder = RunFolder(run_dir)
    if is_instant(folder.read_record()):
        return predict_with_run(folder.root, paths, device, skipped=skipped, progress=progress,
                                cancel=cancel)
    if "tpl_train" not in folder.finished_stages():
        raise CheckpointError(
            f"{folder.root} holds no finished cc2d run (its TPL stage is not done); "
            "run cc2d run on it first")
    with out_of_memory_as_error(device, "prediction"):
        template = load_template(folder.root)
        grid = read_run_config(folder.tpl, TPLConfig, "a TPL").image_size
        data = build_working_set(paths, grid, device, progress=progress, cancel=cancel,
                                 skipped=skipped)
        coarse = predict_coarse(folder.root, data, device, progress=progress, cancel=cancel)
        table = refine(folder.root, data.paths, coarse, device, keys=data.keys,
                       progress=progress, cancel=cancel)
    t_key = template_key(data.paths, data.keys, template.image)
    if t_key is not None:
        set_template_row(table, t_key, template.points)
    return table
