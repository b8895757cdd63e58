"""The whole method in one resumable call: SSL training → pseudo-labels → TPL training →
coarse predictions → refinement training → final predictions for every image
(``cc2d run``).

Each stage leaves its output in the run folder and is recorded as done in
``run.json``; calling again on the same folder skips finished stages and resumes
the interrupted one from its checkpoint.
"""

from __future__ import annotations

import json
import platform
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.atomic import atomic_write_text
from engine.data.grid import to_grid
from engine.data.landmarks import LandmarkTable, read_landmark_csv, write_landmark_csv
from engine.data.working_set import WorkingSet, build_working_set
from engine.device import device_name, peak_memory_mb, reset_peak_memory
from engine.errors import ImageReadError
from engine.progress import ProgressCallback
from engine.refine import config as refine_config
from engine.refine.train import train_refine
from engine.run_predict import RUN_JSON, predict_coarse, refine, set_template_row
from engine.ssl import config as ssl_config
from engine.ssl.predict import Template, predict_ssl
from engine.ssl.run_files import save_template
from engine.ssl.train import load_reference_net, train_ssl
from engine.tpl import config as tpl_config
from engine.tpl.train import train_tpl

PSEUDO_LABELS = "pseudo_labels.csv"
TPL_PREDICTIONS = "tpl_predictions.csv"
PREDICTIONS = "predictions.csv"
PROFILES = ("full", "quick", "tiny")


@dataclass(frozen=True)
class PipelineSettings:
    """Which profile, plus per-stage overrides (e.g. ``{"steps": 100}``)."""

    profile: str = "full"
    ssl: dict[str, Any] | None = None
    tpl: dict[str, Any] | None = None
    refine: dict[str, Any] | None = None

    def configs(self) -> tuple[ssl_config.SSLConfig, tpl_config.TPLConfig,
                               refine_config.RefineConfig]:
        return (ssl_config.profile_config(self.profile, **(self.ssl or {})),
                tpl_config.profile_config(self.profile, **(self.tpl or {})),
                refine_config.profile_config(self.profile, **(self.refine or {})))


class _Record:
    """run.json: settings, environment, and per stage its timing once done."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / RUN_JSON
        self.data: dict[str, Any] = (json.loads(self.path.read_text(encoding="utf-8"))
                                     if self.path.exists() else {"stages": {}})

    def done(self, stage: str) -> bool:
        return stage in self.data["stages"]

    def finish(self, stage: str, **info: Any) -> None:
        self.data["stages"][stage] = info
        self.save()

    def save(self) -> None:
        atomic_write_text(self.path, json.dumps(self.data, indent=2, default=str))


def environment(device: torch.device) -> dict[str, Any]:
    import cv2
    import torchvision

    return {"python": platform.python_version(), "torch": torch.__version__,
            "torchvision": torchvision.__version__, "numpy": np.__version__,
            "opencv": cv2.__version__, "device": device_name(device),
            "platform": platform.platform()}


def _grid_labels(table: LandmarkTable, data: WorkingSet) -> torch.Tensor:
    """(I, N, 2) working-grid coordinates of ``table`` for each image of ``data`` (NaN = none)."""
    size = data.pixels.shape[-1]
    out = np.full((len(data), table.n_landmarks, 2), np.nan)
    for i, name in enumerate(data.names):
        if name in table.points:
            w, h = data.sizes[i]
            out[i] = to_grid(table.points[name], w, h, size)
    return torch.from_numpy(out).float()


def run_pipeline(
    images: Sequence[Path],
    template: Template,
    run_dir: Path,
    settings: PipelineSettings,
    device: torch.device,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Run (or resume) the full method; returns the content of ``run.json``."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    ssl_cfg, tpl_cfg, refine_cfg = settings.configs()
    paths = [Path(p) for p in images]
    if all(p.resolve() != template.image.resolve() for p in paths):
        paths.append(template.image)
    record = _Record(run_dir)
    record.data.update({"settings": asdict(settings), "ssl_config": asdict(ssl_cfg),
                        "tpl_config": asdict(tpl_cfg), "refine_config": asdict(refine_cfg),
                        "environment": environment(device),
                        "template": str(template.image), "n_images": len(paths),
                        "landmarks": list(template.names)})
    record.save()
    save_template(run_dir, template)
    t_name = template.image.name

    t0 = time.perf_counter()
    skipped: list[tuple[Path, str]] = []
    data = build_working_set(paths, ssl_cfg.image_size, device, progress=progress, cancel=cancel,
                             skipped=skipped)
    for path, reason in skipped:
        if path.resolve() == template.image.resolve():
            raise ImageReadError(f"the template cannot be read: {reason}")
    if skipped:
        paths = list(data.paths)
        record.data["skipped_images"] = [{"image": str(p), "reason": r} for p, r in skipped]
        record.data["n_images"] = len(paths)
        record.save()
    load_s = time.perf_counter() - t0

    if not record.done("ssl_train"):
        reset_peak_memory(device)
        result = train_ssl(data, run_dir / "ssl", ssl_cfg, device, progress=progress,
                           cancel=cancel)
        record.finish("ssl_train", **asdict(result), load_images_s=load_s)

    if not record.done("pseudo_labels"):
        t0 = time.perf_counter()
        net, _ = load_reference_net(run_dir / "ssl", device)
        pseudo = predict_ssl(net, data, template, ssl_cfg.window, device,
                             progress=progress, cancel=cancel)
        del net
        pseudo.points[t_name] = template.points.copy()
        pseudo.values["confidence"][t_name] = np.ones(len(template.names))
        write_landmark_csv(run_dir / PSEUDO_LABELS, pseudo)
        record.finish("pseudo_labels", seconds=time.perf_counter() - t0,
                      peak_memory_mb=peak_memory_mb(device))
    pseudo = read_landmark_csv(run_dir / PSEUDO_LABELS)

    if tpl_cfg.image_size != ssl_cfg.image_size:
        data = build_working_set(paths, tpl_cfg.image_size, device, progress=progress,
                                 cancel=cancel)
    if not record.done("tpl_train"):
        reset_peak_memory(device)
        is_template = torch.tensor([n == t_name for n in data.names])
        result = train_tpl(data, _grid_labels(pseudo, data), is_template, run_dir / "tpl",
                           tpl_cfg, device, progress=progress, cancel=cancel)
        record.finish("tpl_train", **asdict(result))

    if not record.done("tpl_predict"):
        t0 = time.perf_counter()
        coarse = predict_coarse(run_dir, data, device, progress=progress, cancel=cancel)
        set_template_row(coarse, template.image, template.points)
        write_landmark_csv(run_dir / TPL_PREDICTIONS, coarse)
        record.finish("tpl_predict", seconds=time.perf_counter() - t0, images=len(data),
                      peak_memory_mb=peak_memory_mb(device))
    coarse = read_landmark_csv(run_dir / TPL_PREDICTIONS)
    del data

    fine = None   # the refinement's images, kept for its predictions when trained here
    if refine_cfg.enabled and not record.done("refine_train"):
        reset_peak_memory(device)
        fine = build_working_set(paths, refine_cfg.fine_size, device, progress=progress,
                                 cancel=cancel)
        is_template = torch.tensor([n == t_name for n in fine.names])
        result = train_refine(fine, _grid_labels(coarse, fine), is_template,
                              run_dir / "refine", refine_cfg, device, progress=progress,
                              cancel=cancel)
        record.finish("refine_train", **asdict(result))

    if not record.done("predict"):
        t0 = time.perf_counter()
        final = refine(run_dir, paths, coarse, device, fine=fine, progress=progress,
                       cancel=cancel)
        set_template_row(final, template.image, template.points)
        write_landmark_csv(run_dir / PREDICTIONS, final)
        record.finish("predict", seconds=time.perf_counter() - t0, images=len(paths),
                      peak_memory_mb=peak_memory_mb(device))
    return record.data
