"""The whole method in one resumable call: pseudo-labels → TPL training → coarse
predictions → refinement training → final predictions for every image (``cc2d run``).

Pseudo-labels come from the instant stage's pretrained features (profiles ``clinic`` and
``full``; TPL then has the pretrained encoder too) or from CC2D-SSL trained on the images
themselves (``paper``, the paper's from-scratch setting, and ``quick``, ``tiny``).

Each stage leaves its output in the run folder (:class:`engine.run_folder.RunFolder`)
and is recorded as done in ``run.json``; calling again on the same folder with the
same settings skips finished stages and resumes the interrupted one from its checkpoint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.data.grid import to_grid
from engine.data.landmarks import LandmarkTable, read_landmark_csv, write_landmark_csv
from engine.data.template import Template
from engine.data.working_set import WorkingSet, build_working_set
from engine.device import (
    out_of_memory_as_error,
    peak_memory_mb,
    require_device,
    reset_peak_memory,
)
from engine.environment import environment
from engine.instant import config as instant_config
from engine.instant.config import InstantConfig
from engine.instant.run import features_folder, match_images, run_instant
from engine.labelled import refuse_unreadable_truths, set_template_row, template_key, with_labelled
from engine.progress import ProgressCallback, in_plan
from engine.pseudo_labels import trusted
from engine.refine import config as refine_config
from engine.refine.train import train_refine
from engine.run_folder import RunFolder, input_fingerprint
from engine.run_predict import predict_coarse, refine
from engine.ssl import config as ssl_config
from engine.ssl.predict import predict_ssl
from engine.ssl.run_files import save_template
from engine.ssl.train import load_reference_net, train_ssl
from engine.tpl import config as tpl_config
from engine.tpl.train import train_tpl

PROFILE_INSTANT = "instant"   # training-free: pretrained features matched (engine.instant)
PROFILES = ("instant", "clinic", "full", "paper", "quick", "tiny")
# Profiles whose TPL learns from the instant stage's pseudo-labels, not from CC2D-SSL's.
FROM_INSTANT = ("clinic", "full")


def default_profile(device: torch.device) -> str:
    """The learned profile for ``device``: full on a CUDA GPU, clinic elsewhere (a CPU, or
    Apple's MPS, which is not measured; ADR 0013)."""
    return "full" if device.type == "cuda" else "clinic"


@dataclass(frozen=True)
class PipelineSettings:
    """Which profile, plus per-stage overrides (e.g. ``{"steps": 100}``)."""

    profile: str = "full"
    ssl: dict[str, Any] | None = None
    tpl: dict[str, Any] | None = None
    refine: dict[str, Any] | None = None
    instant: dict[str, Any] | None = None   # InstantConfig fields (instant, clinic, full)

    def configs(self) -> tuple[ssl_config.SSLConfig | InstantConfig, tpl_config.TPLConfig,
                               refine_config.RefineConfig]:
        """(what makes the pseudo-labels: the SSL or the instant config, TPL's, the
        refinement's)."""
        first = (instant_config.profile_config(self.profile, **(self.instant or {}))
                 if self.profile in FROM_INSTANT
                 else ssl_config.profile_config(self.profile, **(self.ssl or {})))
        return (first, tpl_config.profile_config(self.profile, **(self.tpl or {})),
                refine_config.profile_config(self.profile, **(self.refine or {})))


class _Record:
    """run.json of one pipeline call: stages are saved as they finish."""

    def __init__(self, folder: RunFolder) -> None:
        self.folder = folder
        self.data = folder.read_record()

    def done(self, stage: str) -> bool:
        return stage in self.data["stages"]

    def finish(self, stage: str, **info: Any) -> None:
        self.data["stages"][stage] = info
        self.save()

    def save(self) -> None:
        self.folder.write_record(self.data)


def _grid_labels(table: LandmarkTable, data: WorkingSet) -> torch.Tensor:
    """(I, N, 2) working-grid coordinates of ``table`` for each image of ``data`` (NaN = none)."""
    size = data.pixels.shape[-1]
    out = np.full((len(data), table.n_landmarks, 2), np.nan)
    for i, key in enumerate(data.keys):
        if key in table.points:
            w, h = data.sizes[i]
            out[i] = to_grid(table.points[key], w, h, size)
    return torch.from_numpy(out).float()


def run_pipeline(
    images: Sequence[Path],
    template: Template,
    run_dir: Path,
    settings: PipelineSettings,
    device: torch.device,
    *,
    labelled: Sequence[Template] = (),
    features_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Run (or resume) the full method; returns the content of ``run.json``.

    The instant profile runs no training (:mod:`engine.instant.run`). ``features_dir``:
    where the instant stage caches features (default the run's ``features/``).

    ``labelled``: more images with true labels (e.g. corrected ones) besides the template.
    Pseudo-labels match all of them together and TPL trains on their labels as on the
    template's (``template_weight`` of each batch); their rows in the outputs keep their
    labels.

    Output tables name images by :func:`engine.data.image_keys.image_keys` of ``images``
    (plus the template); ``run.json`` maps each key to its file under ``"image_keys"``.
    A folder whose done stages were made with other settings or another template is
    refused (CheckpointError listing what differs); running out of GPU memory or asking
    for an absent GPU is a DeviceError.
    """
    require_device(device)
    if settings.profile == PROFILE_INSTANT:
        config = instant_config.profile_config(PROFILE_INSTANT, **(settings.instant or {}))
        return run_instant(images, template, run_dir, config, device, labelled=labelled,
                           features_dir=features_dir, progress=progress, cancel=cancel)
    folder = RunFolder(run_dir)
    with out_of_memory_as_error(device, "the pipeline"):
        return _run(images, template, list(labelled), folder, settings, device,
                    Path(features_dir) if features_dir else features_folder(folder),
                    progress, cancel)


def _run(images: Sequence[Path], template: Template, labelled: list[Template],
         folder: RunFolder, settings: PipelineSettings, device: torch.device,
         features_dir: Path, progress: ProgressCallback | None,
         cancel: threading.Event | None) -> dict[str, Any]:
    first_cfg, tpl_cfg, refine_cfg = settings.configs()
    from_instant = isinstance(first_cfg, InstantConfig)
    progress = in_plan(progress, [
        "loading images",
        *(("image features", "instant matching") if from_instant
          else ("SSL training", "SSL prediction")),
        "TPL training", "TPL prediction",
        *(("refinement training", "refining") if refine_cfg.enabled else ("refining",))])
    truths = [template, *labelled]
    paths, keys = with_labelled(images, truths)
    # Each labelled image's key, template first; all are among the paths now.
    t_keys = [template_key(paths, keys, t.image) for t in truths]
    record = _Record(folder)
    fixed = {"settings": asdict(settings),
             ("instant_config" if from_instant else "ssl_config"): asdict(first_cfg),
             "tpl_config": asdict(tpl_cfg), "refine_config": asdict(refine_cfg),
             "template": str(template.image.resolve()), "landmarks": list(template.names),
             "template_points": template.points.tolist(),
             "labelled": [{"image": str(t.image.resolve()), "points": t.points.tolist()}
                          for t in labelled],
             "inputs": input_fingerprint(images, template.image)}
    folder.check_same(record.data, fixed)   # before anything is written
    record.data.update(fixed, environment=environment(device), n_images=len(paths))
    if from_instant:
        record.data["features_dir"] = str(features_dir.resolve())
    record.save()
    save_template(folder.root, template)

    t0 = time.perf_counter()
    skipped: list[tuple[Path, str]] = []
    grid = tpl_cfg.image_size if from_instant else first_cfg.image_size
    data = build_working_set(paths, grid, device, progress=progress, cancel=cancel,
                             skipped=skipped, keys=keys)
    refuse_unreadable_truths(skipped, truths)
    paths, keys = list(data.paths), list(data.keys)
    if skipped:
        record.data["skipped_images"] = [{"image": str(p), "reason": r} for p, r in skipped]
        record.data["n_images"] = len(paths)
    record.data["image_keys"] = {k: str(p.resolve()) for k, p in zip(keys, paths)}
    record.save()
    load_s = time.perf_counter() - t0

    if from_instant:
        _instant_pseudo_labels(record, paths, keys, truths, first_cfg, features_dir, device,
                               progress, cancel)
    else:
        _ssl_pseudo_labels(record, data, truths, t_keys, first_cfg, load_s, device,
                           progress, cancel)
    pseudo = read_landmark_csv(folder.pseudo_labels)

    if data.pixels.shape[-1] != tpl_cfg.image_size:
        data = build_working_set(paths, tpl_cfg.image_size, device, progress=progress,
                                 cancel=cancel, keys=keys)
    if not record.done("tpl_train"):
        reset_peak_memory(device)
        is_template = torch.tensor([k in t_keys for k in data.keys])
        learned = trusted(pseudo, first_cfg.pseudo_keep, t_keys)
        result = train_tpl(data, _grid_labels(learned, data), is_template, folder.tpl,
                           tpl_cfg, device, progress=progress, cancel=cancel)
        record.finish("tpl_train", **asdict(result))

    if not record.done("tpl_predict"):
        t0 = time.perf_counter()
        coarse = predict_coarse(folder.root, data, device, progress=progress, cancel=cancel)
        _set_true_rows(coarse, truths, t_keys)
        write_landmark_csv(folder.tpl_predictions, coarse)
        record.finish("tpl_predict", seconds=time.perf_counter() - t0, images=len(data),
                      peak_memory_mb=peak_memory_mb(device))
    coarse = read_landmark_csv(folder.tpl_predictions)
    del data

    fine = None   # the refinement's images, kept for its predictions when trained here
    if refine_cfg.enabled and not record.done("refine_train"):
        reset_peak_memory(device)
        fine = build_working_set(paths, refine_cfg.fine_size, device, progress=progress,
                                 cancel=cancel, keys=keys)
        is_template = torch.tensor([k in t_keys for k in fine.keys])
        result = train_refine(fine, _grid_labels(coarse, fine), is_template, folder.refine,
                              refine_cfg, device, progress=progress, cancel=cancel)
        record.finish("refine_train", **asdict(result))

    if not record.done("predict"):
        t0 = time.perf_counter()
        final = refine(folder.root, paths, coarse, device, keys=keys, fine=fine,
                       progress=progress, cancel=cancel)
        _set_true_rows(final, truths, t_keys)
        write_landmark_csv(folder.predictions, final)
        record.finish("predict", seconds=time.perf_counter() - t0, images=len(paths),
                      peak_memory_mb=peak_memory_mb(device))
    return record.data


def _ssl_pseudo_labels(record: _Record, data: WorkingSet, truths: Sequence[Template],
                       t_keys: Sequence[str], ssl_cfg: ssl_config.SSLConfig, load_s: float,
                       device: torch.device, progress: ProgressCallback | None,
                       cancel: threading.Event | None) -> None:
    """CC2D-SSL trained on the images, then its matches as pseudo-labels."""
    folder = record.folder
    if not record.done("ssl_train"):
        reset_peak_memory(device)
        result = train_ssl(data, folder.ssl, ssl_cfg, device, progress=progress, cancel=cancel)
        record.finish("ssl_train", **asdict(result), load_images_s=load_s)
    if record.done("pseudo_labels"):
        return
    t0 = time.perf_counter()
    net, _ = load_reference_net(folder.ssl, device)
    # Medoid: on ISBI pseudo-labels 0.2-0.3 mm better than the mean for k = 3, 5, 10
    # (benchmarks/results/pseudo_label_levers_*.json).
    pseudo = predict_ssl(net, data, truths, ssl_cfg.window, device,
                         candidates=ssl_cfg.cycle_candidates, fusion="medoid",
                         progress=progress, cancel=cancel)
    del net
    for t, key in zip(truths, t_keys):
        pseudo.points[key] = t.points.copy()
        pseudo.values["confidence"][key] = np.ones(len(t.names))
    write_landmark_csv(folder.pseudo_labels, pseudo)
    record.finish("pseudo_labels", seconds=time.perf_counter() - t0,
                  peak_memory_mb=peak_memory_mb(device))


def _instant_pseudo_labels(record: _Record, paths: Sequence[Path], keys: Sequence[str],
                           truths: Sequence[Template], config: InstantConfig,
                           features_dir: Path, device: torch.device,
                           progress: ProgressCallback | None,
                           cancel: threading.Event | None) -> None:
    """The instant stage's matches (pretrained features, no training) as pseudo-labels."""
    if record.done("pseudo_labels"):
        return
    t0 = time.perf_counter()
    pseudo, _, _, stages = match_images(paths, keys, truths, config, features_dir, device,
                                        skipped=[], progress=progress, cancel=cancel)
    write_landmark_csv(record.folder.pseudo_labels, pseudo)
    record.finish("pseudo_labels", source="instant", seconds=time.perf_counter() - t0,
                  features_s=stages["features"]["seconds"],
                  matching_s=stages["predict"]["seconds"])


def _set_true_rows(table: LandmarkTable, truths: Sequence[Template],
                   keys: Sequence[str]) -> None:
    for t, key in zip(truths, keys):
        set_template_row(table, key, t.points)
