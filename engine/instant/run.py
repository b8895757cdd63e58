"""``cc2d run --profile instant``: a normal run folder from the instant stage.

The folder holds what every run holds (``run.json``, ``template.json``,
``predictions.csv`` with a confidence column), so the project store, review, refit and
exports take it unchanged, plus ``features/``: every image's pretrained features.

Matching is cheap and features are cached, so a rerun with the same settings but other
labelled images (or another template) matches again at once instead of being refused;
the record then describes the latest matching. Other settings (the grid, the matching)
are refused as in any run folder, and so is a folder of another profile.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.data.image_keys import image_keys
from engine.data.landmarks import LandmarkTable, write_landmark_csv
from engine.data.template import Template
from engine.device import require_device
from engine.environment import environment
from engine.errors import CheckpointError, ImageReadError
from engine.instant.config import InstantConfig
from engine.instant.features import FeatureCache, FeatureExtractor, features_of
from engine.instant.predict import instant_grid, predict_instant
from engine.labelled import refuse_unreadable_truths, set_template_row, template_key, with_labelled
from engine.progress import ProgressCallback
from engine.run_folder import RunFolder, as_json
from engine.ssl.run_files import load_template, save_template

PROFILE = "instant"


def is_instant(record: dict[str, Any]) -> bool:
    settings = record.get("settings")
    return isinstance(settings, dict) and settings.get("profile") == PROFILE


def features_folder(folder: RunFolder) -> Path:
    return folder.root / "features"


def features_dir_of(folder: RunFolder) -> Path:
    """Where an instant run's features are cached (its record says; else its own)."""
    recorded = folder.read_record().get("features_dir")
    return Path(recorded) if isinstance(recorded, str) and recorded else features_folder(folder)


def run_instant(images: Sequence[Path], template: Template, run_dir: Path,
                config: InstantConfig, device: torch.device, *,
                labelled: Sequence[Template] = (), features_dir: Path | None = None,
                progress: ProgressCallback | None = None,
                cancel: threading.Event | None = None) -> dict[str, Any]:
    """Predict every image of ``images`` (plus the labelled ones) into ``run_dir``;
    returns ``run.json``'s content. ``features_dir``: where features are cached (default
    the run's ``features/``; a project or a refit shares one)."""
    require_device(device)
    folder = RunFolder(run_dir)
    truths = [template, *labelled]
    paths, keys = with_labelled(images, truths)
    record = folder.read_record()
    if record["stages"] and not is_instant(record):
        raise CheckpointError(f"{folder.root} holds a run of another profile; choose another "
                              "run folder for the instant profile")
    recorded = record.get("instant_config")
    if recorded is not None and recorded != asdict(config):
        raise CheckpointError(
            f"{folder.root} holds an instant run with other settings ({recorded}); run again "
            "with those, or choose another run folder")
    fixed = {"settings": {"profile": PROFILE}, "instant_config": asdict(config),
             "template": str(template.image.resolve()), "landmarks": list(template.names),
             "template_points": template.points.tolist(),
             "labelled": [{"image": str(t.image.resolve()), "points": t.points.tolist()}
                          for t in labelled],
             "inputs": fingerprint(paths)}
    if "predict" in record["stages"] and all(record.get(k) == as_json(v)
                                             for k, v in fixed.items()):
        return record
    cache_dir = Path(features_dir) if features_dir is not None else features_folder(folder)
    record = {"stages": {}, **fixed, "environment": environment(device),
              "features_dir": str(cache_dir.resolve())}
    folder.write_record(record)
    save_template(folder.root, template)

    skipped: list[tuple[Path, str]] = []
    table, paths, keys, stages = match_images(paths, keys, truths, config, cache_dir, device,
                                              skipped=skipped, progress=progress,
                                              cancel=cancel)
    record["stages"] = stages
    if skipped:
        record["skipped_images"] = [{"image": str(p), "reason": r} for p, r in skipped]
    record["n_images"] = len(paths)
    record["image_keys"] = {k: str(p.resolve()) for k, p in zip(keys, paths)}
    write_landmark_csv(folder.predictions, table)
    folder.write_record(record)
    return record


def match_images(paths: Sequence[Path], keys: Sequence[str], truths: Sequence[Template],
                 config: InstantConfig, cache_dir: Path, device: torch.device, *,
                 skipped: list[tuple[Path, str]],
                 progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None,
                 ) -> tuple[LandmarkTable, list[Path], list[str], dict[str, Any]]:
    """The instant stage on ``paths`` (which include the labelled images ``truths``,
    template first): (predictions with the labelled rows set to their labels, the
    readable paths, their keys, the record's stages). Unreadable images go to
    ``skipped``; an unreadable labelled image is an ImageReadError."""
    cache = FeatureCache(cache_dir, FeatureExtractor(instant_grid(truths[0], config), device))
    t0 = time.perf_counter()
    found = features_of(cache, paths, skipped=skipped, progress=progress, cancel=cancel)
    refuse_unreadable_truths(skipped, truths)
    stages: dict[str, Any] = {"features": {"seconds": time.perf_counter() - t0,
                                           "images": len(found)}}
    kept = sorted(found)
    paths, keys = [paths[i] for i in kept], [keys[i] for i in kept]
    t0 = time.perf_counter()
    table = predict_instant(cache, paths, keys, truths, config, progress=progress,
                            cancel=cancel)
    set_true_rows(table, truths, paths, keys)
    stages["predict"] = {"seconds": time.perf_counter() - t0, "images": len(paths),
                         "labelled": len(truths)}
    return table, paths, keys, stages


def set_true_rows(table: LandmarkTable, truths: Sequence[Template], paths: Sequence[Path],
                  keys: Sequence[str]) -> None:
    """The labelled images' rows hold their labels (stage "template")."""
    for t in truths:
        key = template_key(paths, keys, t.image)
        if key is not None:
            set_template_row(table, key, t.points)


def predict_with_run(run_dir: Path, paths: Sequence[Path], device: torch.device, *,
                     skipped: list[tuple[Path, str]] | None = None,
                     progress: ProgressCallback | None = None,
                     cancel: threading.Event | None = None) -> LandmarkTable:
    """Predictions of a finished instant run (its template and labelled images) for
    ``paths``, named by :func:`image_keys` of the readable ones."""
    folder = RunFolder(run_dir)
    record = folder.read_record()
    template = load_template(folder.root)
    config = InstantConfig.from_dict(record.get("instant_config"),
                                     where=f"{folder.run_json} instant_config")
    labelled = [Template(Path(item["image"]), template.names,
                         np.asarray(item["points"], dtype=np.float64))
                for item in record.get("labelled", [])]
    if any(t.points.shape != template.points.shape for t in labelled):
        raise CheckpointError(f"{folder.run_json}: a labelled image's points do not fit the "
                              "template's landmarks")
    cache = FeatureCache(features_dir_of(folder),
                         FeatureExtractor(instant_grid(template, config), device))
    paths = [Path(p) for p in paths]
    local: list[tuple[Path, str]] = []
    found = features_of(cache, paths, skipped=local, progress=progress, cancel=cancel)
    if local and skipped is None:
        raise ImageReadError(local[0][1])
    if skipped is not None:
        skipped.extend(local)
    if not found:
        raise ImageReadError(f"none of the {len(paths)} image(s) could be read")
    kept = [paths[i] for i in sorted(found)]
    keys = image_keys(kept)
    table = predict_instant(cache, kept, keys, [template, *labelled], config,
                            progress=progress, cancel=cancel)
    set_true_rows(table, [template, *labelled], kept, keys)
    return table


def fingerprint(paths: Sequence[Path]) -> str:
    """Which files, of which sizes and modification times, a run saw (order kept)."""
    digest = hashlib.sha256()
    for p in paths:
        try:
            st = Path(p).stat()
            digest.update(f"{Path(p).resolve()}|{st.st_size}|{st.st_mtime_ns}\n"
                          .encode("utf-8", "surrogateescape"))
        except OSError:
            digest.update(f"{p}|missing\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
