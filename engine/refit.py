"""A finished run improved with more labelled images (``cc2d refit``).

The SSL network does not depend on labels, so it is reused as it is; pseudo-labels are
matched again with every labelled image, the TPL network is fine-tuned from the run's
own (a fraction of its steps, at a lower rate), the refinement network (where the run
has one) is reused, and every image is predicted again. The result is a new run folder;
the old one is left untouched.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from engine.config_io import checked
from engine.data.template import Template
from engine.errors import CheckpointError, LandmarkFileError
from engine.instant.config import InstantConfig
from engine.instant.run import features_dir_of, is_instant, run_instant
from engine.pipeline import PipelineSettings, run_pipeline
from engine.progress import ProgressCallback
from engine.run_folder import RunFolder
from engine.ssl.run_files import load_template
from engine.training import CHECKPOINT

STEP_FRACTION = 0.4  # of the run's TPL steps: its network is a good start already
LR_FACTOR = 0.5      # a restart at the full rate would undo much of what it learned


def refit_settings(record: dict[str, Any], previous: RunFolder) -> PipelineSettings:
    """The run's settings, with TPL fine-tuned from its network for a fixed step count."""
    try:
        settings = PipelineSettings(**record["settings"])
        base = base_steps(record)
        configs = settings.configs()
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{previous.run_json} lacks what a refit needs ({exc})") from None
    tpl_cfg = [checked(c, f"{previous.run_json} settings") for c in configs][1]
    # A refit of a refit starts from the lr the first run had, not a halved one again.
    lr = float(record.get("tpl_base_lr") or tpl_cfg.lr)
    tpl = {**(settings.tpl or {}), "init_from": str((previous.tpl / CHECKPOINT).resolve()),
           "steps": max(1, round(base * STEP_FRACTION)), "time_budget_s": 0.0,
           "lr": lr * LR_FACTOR}
    return PipelineSettings(settings.profile, settings.ssl, tpl, settings.refine,
                            settings.instant)


def base_steps(record: dict[str, Any]) -> int:
    """The TPL steps of the run a chain of refits started from (so each refit of a refit
    trains as long as the first refit did)."""
    return int(record.get("tpl_base_steps", record["stages"]["tpl_train"]["steps"]))


def refit(previous: Path, out: Path, labelled: Sequence[Template], device: torch.device, *,
          images: Sequence[Path] | None = None, progress: ProgressCallback | None = None,
          cancel: threading.Event | None = None) -> dict[str, Any]:
    """Refit the finished run ``previous`` into ``out`` with ``labelled`` images (besides
    its template); returns the new ``run.json``. ``images`` default to the run's own.
    A refit interrupted mid-way resumes when called again with the same arguments."""
    prev = RunFolder(previous)
    record = prev.read_record()
    if "predict" not in record["stages"]:
        raise CheckpointError(f"{prev.root} holds no finished cc2d run; finish it first")
    if not labelled:
        raise LandmarkFileError("a refit needs at least one labelled image besides the "
                                "template")
    template = load_template(prev.root)
    new = RunFolder(out)
    if Path(out).resolve() == prev.root.resolve():
        raise CheckpointError("the refit goes to a new run folder; choose another --out")
    paths = images if images is not None else [Path(p) for p in record["image_keys"].values()]
    if is_instant(record):   # nothing to fine-tune: match again, sharing the features
        config = InstantConfig.from_dict(record.get("instant_config"),
                                         where=f"{prev.run_json} instant_config")
        return run_instant(paths, template, new.root, config, device, labelled=labelled,
                           features_dir=features_dir_of(prev), progress=progress,
                           cancel=cancel)
    settings = refit_settings(record, prev)
    if not new.run_json.exists():
        # The pseudo-labels are matched again with the new labels: SSL's network (where
        # the run trained one) and the refinement's are reused.
        reused = tuple(s for s in ("ssl_train", "refine_train") if s in record["stages"])
        first_lr = record.get("tpl_base_lr", record.get("tpl_config", {}).get("lr"))
        new.seed_from(prev, reused, refit_of=str(prev.root.resolve()),
                      tpl_base_steps=base_steps(record), tpl_base_lr=first_lr)
    shared = features_dir_of(prev) if "features_dir" in record else None
    return run_pipeline(paths, template, new.root, settings, device, labelled=labelled,
                        features_dir=shared, progress=progress, cancel=cancel)
