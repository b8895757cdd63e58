"""The resumable training loop both stages share.

A stage supplies its networks, a function that draws a batch and returns the
loss, and its config; this loop owns the rest: Adam with a cosine schedule over
steps or a time budget, per-step seeding (a resumed run draws the batches the
uninterrupted one would have), atomic checkpoints every ``checkpoint_every``
steps and on cancel, progress reports without per-step GPU syncs, and the
summary ``train.json``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from engine.atomic import atomic_write_text
from engine.checkpoint import check_state_dict, load_checkpoint, save_checkpoint
from engine.config_io import JsonConfig, freeze_run_config
from engine.data.landmarks import MAX_LANDMARKS
from engine.device import memory_format, peak_memory_mb, reset_peak_memory
from engine.errors import CheckpointError, TrainingError
from engine.models.encoders import load_encoder_weights
from engine.progress import Progress, ProgressCallback, ProgressMeter, check_cancel

CHECKPOINT = "checkpoint.pt"
CONFIG = "config.json"
SUMMARY = "train.json"


class LoopConfig(Protocol):
    steps: int
    time_budget_s: float
    lr: float
    batch_size: int
    checkpoint_every: int
    seed: int


@dataclass(frozen=True)
class TrainResult:
    steps: int
    seconds: float            # wall time of the training loop (this call and earlier ones)
    samples_per_s: float
    final_loss: float
    backbone_weights: str
    peak_memory_mb: float | None
    device: str


def lr_factor(progress: float) -> float:
    """Cosine decay from 1 to 0 over ``progress`` in [0, 1]."""
    return 0.5 * (1.0 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))


def open_run(run_dir: Path, config: JsonConfig) -> dict[str, Any] | None:
    """Create or check ``run_dir``; return its checkpoint when there is one to resume."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    freeze_run_config(run_dir / CONFIG, config)
    ckpt = run_dir / CHECKPOINT
    return load_checkpoint(ckpt) if ckpt.exists() else None


def load_states(modules: dict[str, nn.Module], state: dict[str, Any], path: Path) -> None:
    """Load each module's weights from checkpoint ``state`` (same keys)."""
    try:
        for key, module in modules.items():
            module.load_state_dict(check_state_dict(state.get(key), path, f"network ({key})"))
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:300]
        raise CheckpointError(
            f"{path} does not fit its config ({detail}); the run folder is damaged or made "
            "by another version: train again in a new run folder") from None


HISTORY_POINTS = 400   # at most, kept evenly thinned


def _keep_history(history: list[tuple[int, float]], step: int, loss: float
                  ) -> list[tuple[int, float]]:
    history.append((step, loss))
    return history[::2] if len(history) > HISTORY_POINTS else history


def loss_history(raw: Any, step: int) -> list[tuple[int, float]]:
    """A checkpoint's loss history, checked like any value read from disk: pairs of a step
    (1..``step``, increasing) and a finite loss; anything else is dropped, not trusted."""
    out: list[tuple[int, float]] = []
    if not isinstance(raw, list):
        return out
    for pair in raw[: 2 * HISTORY_POINTS]:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            return []
        s, value = pair
        if not isinstance(s, int) or not isinstance(value, (int, float)) or not (
                0 < s <= step and math.isfinite(value)) or (out and s <= out[-1][0]):
            return []
        out.append((s, float(value)))
    return out


def train_loop(
    run_dir: Path,
    config: LoopConfig,
    modules: dict[str, nn.Module],
    loss_fn: Callable[[torch.Generator], torch.Tensor],
    device: torch.device,
    *,
    stage: str,
    state: dict[str, Any] | None,
    backbone_weights: str,
    extra: dict[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> TrainResult:
    """Train ``modules`` until ``config.steps`` (or the time budget) with ``loss_fn(gen)``.

    ``state`` is the checkpoint from :func:`open_run` (None for a fresh run);
    ``extra`` goes into every checkpoint as is.
    """
    run_dir = Path(run_dir)
    ckpt_path = run_dir / CHECKPOINT
    fmt = memory_format(device)
    for module in modules.values():
        module.to(device, memory_format=fmt).train()
    params = [p for m in modules.values() for p in m.parameters()]
    optimizer = torch.optim.Adam(params, lr=config.lr)
    step, elapsed, loss_value = 0, 0.0, math.nan
    history: list[tuple[int, float]] = []   # (step, loss): the curve survives a resume
    if state is not None:
        load_states(modules, state, ckpt_path)
        step, elapsed, backbone_weights, loss_value = _resume_point(state, ckpt_path)
        try:
            optimizer.load_state_dict(state["optimizer"])
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"{ckpt_path} is damaged: its optimizer state does not fit "
                                  f"({exc}); train again in a new run folder") from None
        history = loss_history(state.get("loss_history"), step)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    gen = torch.Generator(device=device)

    def save() -> None:
        save_checkpoint(ckpt_path, {
            **{k: m.state_dict() for k, m in modules.items()},
            "optimizer": optimizer.state_dict(), "step": step, "elapsed_s": elapsed,
            "backbone_weights": backbone_weights, "loss": loss_value,
            "loss_history": [list(p) for p in history], **(extra or {}),
        })

    def fraction_done() -> float:
        frac = step / config.steps
        if config.time_budget_s > 0:
            frac = max(frac, elapsed / config.time_budget_s)
        return frac

    meter = ProgressMeter(stage, config.steps, progress, start_step=step)
    if progress is not None:   # a resumed run shows the curve it had
        for s, value in history:
            progress(Progress(stage, s, config.steps, value))
    # The loss is read (a device sync) every 25 steps on a GPU, at every step on a CPU,
    # where it costs nothing and a step can take seconds.
    read_every = 1 if device.type == "cpu" else 25
    reset_peak_memory(device)
    start_step, elapsed0, t0 = step, elapsed, time.perf_counter()
    # A resumed run goes on from its smoothed loss: its curve has no jump at the resume.
    running = (torch.tensor(loss_value, device=device)
               if state is not None and math.isfinite(loss_value) else None)
    while fraction_done() < 1.0:
        if cancel is not None and cancel.is_set():
            save()
            check_cancel(cancel, stage)
        gen.manual_seed(config.seed * 1_000_003 + step)
        for group in optimizer.param_groups:
            group["lr"] = config.lr * lr_factor(fraction_done())
        loss = loss_fn(gen)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        running = loss.detach() if running is None else 0.98 * running + 0.02 * loss.detach()
        elapsed = elapsed0 + time.perf_counter() - t0
        if step % read_every == 0 or fraction_done() >= 1.0:
            loss_value = float(running)  # the only GPU sync
            if not math.isfinite(loss_value):
                raise TrainingError(
                    f"{stage} diverged at step {step}: its loss became {loss_value}. Start "
                    f"a new run folder with a lower learning rate (now {config.lr:g}), and "
                    "check that the images are radiographs, not blank or corrupt files")
            meter.total = _projected_total(step, config, elapsed)
            meter.update(step, loss_value)
            history = _keep_history(history, step, loss_value)
        if step % config.checkpoint_every == 0:
            save()
    if running is not None:
        loss_value = float(running)
    save()
    meter.update(step, loss_value, force=True)
    loop_s = elapsed - elapsed0
    result = TrainResult(
        steps=step, seconds=elapsed,
        samples_per_s=(step - start_step) * config.batch_size / loop_s if loop_s > 0 else 0.0,
        final_loss=loss_value, backbone_weights=backbone_weights,
        peak_memory_mb=peak_memory_mb(device), device=str(device),
    )
    atomic_write_text(run_dir / SUMMARY, json.dumps(asdict(result), indent=2))
    return result


def _resume_point(state: dict[str, Any], path: Path) -> tuple[int, float, str, float]:
    """(step, seconds, start weights, loss) a checkpoint resumes from, checked: a damaged
    count or time would skip or repeat training."""
    step, elapsed = state.get("step"), state.get("elapsed_s")
    weights, loss = state.get("backbone_weights"), state.get("loss")
    numbers = (int, float)
    if not (isinstance(step, int) and not isinstance(step, bool) and step >= 0
            and isinstance(elapsed, numbers) and math.isfinite(elapsed) and elapsed >= 0
            and isinstance(weights, str) and isinstance(loss, numbers)):
        raise CheckpointError(
            f"{path} is damaged: its step ({step!r}), time ({elapsed!r}), start weights or "
            "loss are not what a checkpoint holds; train again in a new run folder")
    return step, float(elapsed), weights, float(loss)


def _projected_total(step: int, config: LoopConfig, elapsed: float) -> int:
    """Steps the run will make: ``steps``, or fewer when the time budget ends it first."""
    if config.time_budget_s > 0 and elapsed > 0:
        return min(config.steps, max(step, int(step * config.time_budget_s / elapsed)))
    return config.steps


def read_run_config(run_dir: Path, cls: type[JsonConfig], kind: str) -> Any:
    """The config of a finished run folder, with a clear error when it is not one."""
    run_dir = Path(run_dir)
    if not (run_dir / CONFIG).exists():
        raise CheckpointError(f"{run_dir} is not {kind} run folder (no {CONFIG})")
    return cls.load(run_dir / CONFIG)


def start_landmark_run(run_dir: Path, config: Any, n_landmarks: int,
                       build: Callable[[Any, int], nn.Module],
                       ) -> tuple[dict[str, Any] | None, Any, str]:
    """Open (or resume) a landmark network's run folder: (checkpoint state or None, the
    network built by ``build(config, n_landmarks)``, its start weights).

    A fresh run starts from ``config.init_from`` (a whole trained network, where the
    config has that field and it is set) or else ``config.backbone_weights``; a resumed
    one, and the network it starts from, must be for the same number of landmarks.
    """
    state = open_run(run_dir, config)
    _check_landmarks(state, Path(run_dir) / CHECKPOINT, n_landmarks)
    torch.manual_seed(config.seed)
    net = build(config, n_landmarks)
    init_from = getattr(config, "init_from", "")
    if state is not None:
        weights = ""
    elif init_from:
        start = load_checkpoint(Path(init_from))
        _check_landmarks(start, Path(init_from), n_landmarks)
        load_states({"net": net}, start, Path(init_from))
        weights = f"fine-tuned from {init_from}"
    else:
        weights = load_encoder_weights(net.encoder, config.backbone_weights, config.batch_norm)
    return state, net, weights


def _check_landmarks(state: dict[str, Any] | None, path: Path, n_landmarks: int) -> None:
    if state is not None and _landmark_count(state, path) != n_landmarks:
        raise CheckpointError(
            f"{path} was trained for {state.get('n_landmarks')} landmarks, the labels have "
            f"{n_landmarks}; use another run folder")


def _landmark_count(state: dict[str, Any], path: Path) -> int:
    """How many landmarks a checkpoint's network predicts: 1..MAX_LANDMARKS, or it is
    damaged (a huge count would size the network's heads)."""
    n = state.get("n_landmarks")
    if not (isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_LANDMARKS):
        raise CheckpointError(
            f"{path} is damaged: its landmark count {n!r} is not 1..{MAX_LANDMARKS}; train "
            "again in a new run folder")
    return n


def load_trained(run_dir: Path, config_cls: type[JsonConfig], kind: str,
                 build: Callable[[Any, int], nn.Module],
                 device: torch.device) -> tuple[Any, Any]:
    """A landmark network of a finished run folder (built by ``build(config, n_landmarks)``),
    in eval mode on ``device``, and its config."""
    config = read_run_config(run_dir, config_cls, kind)
    path = Path(run_dir) / CHECKPOINT
    state = load_checkpoint(path)
    net = build(config, _landmark_count(state, path))
    load_states({"net": net}, state, path)
    net.to(device, memory_format=memory_format(device)).eval()
    return net, config
