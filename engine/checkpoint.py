"""Checkpoints: tensors only, written atomically, loaded with ``weights_only=True``.

A checkpoint holds model and optimizer state dicts plus plain numbers; the
config lives beside it as JSON. Loading never unpickles arbitrary objects, so a
malicious file fails with a clear message instead of running code.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from engine.atomic import atomic_write_bytes
from engine.errors import CheckpointError


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Serialise ``payload`` (state dicts, numbers, strings) and move it into place."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write_bytes(Path(path), buffer.getvalue())


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint`, refusing anything else."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"{path} is not a valid checkpoint (corrupt, truncated, or holding objects other "
            f"than tensors, which are refused for safety): {first[:300]}"
        ) from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} does not hold a checkpoint dictionary")
    return data


# A trained weight or batch-norm statistic is at most hundreds (ImageNet EfficientNet-Lite0:
# 566); one of 1e6 or more is damage and would turn every output to inf.
MAX_WEIGHT = 1e6


def check_state_dict(state: Any, path: Path, what: str) -> dict[str, torch.Tensor]:
    """``state`` if it is a state dict of ``what`` (names to tensors, the floating ones
    finite and under ``MAX_WEIGHT``), else a CheckpointError naming ``path``."""
    if not (isinstance(state, dict) and state and all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items())):
        raise CheckpointError(
            f"{path} does not hold the weights of a {what} (names of tensors, got "
            f"{type(state).__name__}); the file is damaged or another kind of file")
    for name, value in state.items():
        if value.is_floating_point() and value.numel() and not (
                torch.isfinite(value).all() and value.abs().max() < MAX_WEIGHT):
            raise CheckpointError(
                f"{path} is damaged: its weight {name} holds non-finite or absurd values "
                f"(over {MAX_WEIGHT:g}); train again in a new run folder")
    return state
