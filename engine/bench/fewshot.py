"""Few-shot growth on ISBI-style data (``cc2d bench-fewshot``): the template plus k - 1
labelled training images, scored on test1.

The labelled images are the first k - 1 of one seeded permutation of the other training
images, so each k's set holds the smaller k's. The SSL network does not depend on labels:
it is trained once (in the k = 1 run) and copied into every other run, which then trains
its own TPL from scratch ("run") or fine-tunes the k = 1 run's ("refit", ``cc2d refit``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.bench.isbi import split_images, template_named
from engine.bench.provenance import provenance
from engine.data.landmarks import LandmarkTable, read_landmark_csv
from engine.data.template import Template
from engine.errors import CC2DError
from engine.instant.config import InstantConfig
from engine.instant.run import run_instant
from engine.metrics import evaluate
from engine.pipeline import FROM_INSTANT, PROFILE_INSTANT, PipelineSettings, run_pipeline
from engine.progress import ProgressCallback
from engine.refit import refit
from engine.run_folder import RunFolder
from engine.run_predict import predict_images

MODES = ("run", "refit")


def labelled_order(train: Sequence[Path], template: Path, seed: int) -> list[Path]:
    """The training images other than ``template`` in the seeded order they are labelled."""
    others = [p for p in sorted(train) if p.resolve() != template.resolve()]
    order = np.random.default_rng(seed).permutation(len(others))
    return [others[i] for i in order]


def _score(run_dir: Path, test: list[Path], truth: LandmarkTable, spacing_mm: float,
           device: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    pred = predict_images(run_dir, test, device)
    seconds = time.perf_counter() - t0
    ev = evaluate(pred, truth, spacing_mm)
    return {"mre": ev.mre, "std": ev.std, "sdr": ev.sdr, "n_images": ev.n_images,
            "predict_test1_s": seconds}


def bench_fewshot(data_dir: Path, template_name: str, ks: Sequence[int], modes: Sequence[str],
                  settings: PipelineSettings, work: Path, device: Any, spacing_mm: float,
                  seed: int = 0, progress: ProgressCallback | None = None,
                  cancel: threading.Event | None = None,
                  command: str | None = None) -> dict[str, Any]:
    """MRE/SDR on test1 for each k and mode; run folders under ``work`` are resumed."""
    if sorted(ks)[0] != 1 and "refit" in modes:
        raise CC2DError("a refit starts from the k = 1 run: include k = 1")
    unknown = set(modes) - set(MODES)
    if unknown:
        raise CC2DError(f"unknown mode(s) {', '.join(sorted(unknown))}; use {', '.join(MODES)}")
    truth = read_landmark_csv(data_dir / "landmarks.csv")
    splits = split_images(data_dir, truth)
    train, test = splits["train"], splits["test1"]
    found = [p for p in train if template_named(template_name, p)]
    if not found:
        raise CC2DError(f"template '{template_name}' is not a training image of {data_dir}")
    template = Template.from_table(found[0], truth)
    order = labelled_order(train, template.image, seed)
    if max(ks) - 1 > len(order):
        raise CC2DError(f"k = {max(ks)} needs {max(ks) - 1} more training images; "
                        f"there are {len(order)}")
    origin = provenance(device, command)
    one = RunFolder(work / "k1")
    rows: list[dict[str, Any]] = []
    for k in sorted(set(ks)):
        labelled = [Template.from_table(p, truth) for p in order[:k - 1]]
        for mode in (["run"] if k == 1 else list(modes)):
            folder = RunFolder(work / (f"k{k}" if mode == "run" else f"refit-k{k}"))
            t0 = time.perf_counter()
            if mode == "run" and settings.profile == PROFILE_INSTANT:
                # Nothing is trained: every k matches on one shared feature cache.
                record = run_instant(train, template, folder.root,
                                     InstantConfig(**(settings.instant or {})), device,
                                     labelled=labelled, features_dir=work / "features",
                                     progress=progress, cancel=cancel)
            elif mode == "run" and settings.profile in FROM_INSTANT:
                # No SSL to share; every k's pseudo-labels match on one feature cache.
                record = run_pipeline(train, template, folder.root, settings, device,
                                      labelled=labelled, features_dir=work / "features",
                                      progress=progress, cancel=cancel)
            elif mode == "run":
                if k > 1 and not folder.run_json.exists():
                    run_pipeline(train, template, one.root, settings, device,
                                 progress=progress, cancel=cancel)   # its SSL is shared
                    folder.seed_from(one, ("ssl_train",), ssl_shared_with=str(one.root))
                record = run_pipeline(train, template, folder.root, settings, device,
                                      labelled=labelled, progress=progress, cancel=cancel)
            else:
                record = refit(one.root, folder.root, labelled, device, images=train,
                               progress=progress, cancel=cancel)
            wall = time.perf_counter() - t0
            stages = record["stages"]
            # Stages copied from the k = 1 run took no time here.
            reused = set() if k == 1 else {"ssl_train"} if mode == "run" \
                else {"ssl_train", "refine_train"}
            trained_s = sum(stages[s].get("seconds", 0.0) for s in stages if s not in reused)
            rows.append({"k": k, "mode": mode, "labelled": [p.name for p in order[:k - 1]],
                         **_score(folder.root, test, truth, spacing_mm, device),
                         "stage_seconds": {s: stages[s].get("seconds") for s in stages},
                         "seconds_without_shared_ssl": trained_s, "wall_s": wall})
    return {**origin, "profile": settings.profile, "template": template.image.name,
            "seed": seed, "spacing_mm": spacing_mm,
            "protocol": "train on the 150 training images (labels unused but for the k "
                        "labelled ones), score on test1 against the doctors' mean",
            "results": rows}


def format_growth(results: dict[str, Any]) -> str:
    """One line per (k, mode): MRE ± std, SDR 2/2.5/3/4 mm, training seconds."""
    head = f"{'k':>3} {'mode':<6} {'MRE ± std (mm)':>16} {'2mm':>7} {'2.5mm':>7} {'3mm':>7} " \
           f"{'4mm':>7} {'train s':>8}"
    lines = [head, "-" * len(head)]
    for r in results["results"]:
        sdr = " ".join(f"{r['sdr'][t]:>6.2f}%" for t in ("2", "2.5", "3", "4"))
        lines.append(f"{r['k']:>3} {r['mode']:<6} {r['mre']:>8.2f} ± {r['std']:<5.2f} {sdr} "
                     f"{r['seconds_without_shared_ssl']:>8.0f}")
    lines.append(f"test1, template {results['template']}, profile {results['profile']}, "
                 f"device {results['device']}, seed {results['seed']}")
    return "\n".join(lines)
