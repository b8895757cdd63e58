"""Frozen config dataclasses as JSON: saved beside every checkpoint, checked on resume."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from engine.atomic import atomic_write_text
from engine.errors import CheckpointError
from engine.json_files import JsonReadError, read_json

C = TypeVar("C", bound="JsonConfig")

# LIMITS shared by the configs: a grid side (a 4096² grid would not fit any GPU's memory),
# a channel multiplier, counts that divide or size a batch.
GRID = (32, 4096)
WIDTH = (0.01, 8.0)
AT_LEAST_ONE = (1, math.inf)


class JsonConfig:
    """Mixin for frozen dataclasses: ``to_json``, ``from_dict`` and ``load``.

    ``AFTER_TRAINING`` names fields only used once the network is trained: a resumed
    training may differ in them (its checkpoint does not depend on them)."""

    AFTER_TRAINING: ClassVar[tuple[str, ...]] = ()
    # (low, high) of the numbers that size networks and grids; any other number is finite
    # and not negative.
    LIMITS: ClassVar[dict[str, tuple[float, float]]] = {}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[C], data: Any, where: str = "") -> C:
        """The config a run folder recorded, checked like user input: every field there
        (but those added since, see ``ADDED_FIELDS``), of its type, finite, not negative
        and within ``LIMITS``; a CheckpointError naming ``where`` and the field if not."""
        where = where or cls.__name__
        problem = _problem(cls, data)
        if problem is None:
            try:
                return cls(**data)
            except (TypeError, ValueError) as exc:
                problem = str(exc)
        raise CheckpointError(
            f"{where}: {problem}; the run folder is damaged or incomplete: train it again in "
            "a new run folder")

    @classmethod
    def load(cls: type[C], path: Path) -> C:
        try:
            data = read_json(path)
        except JsonReadError as exc:
            raise CheckpointError(f"cannot read {cls.__name__} from {path}: {exc}") from None
        return cls.from_dict(data, where=str(path))


# Fields added after run folders were first written: one missing was made with this value.
ADDED_FIELDS: dict[str, Any] = {"init_from": "", "cycle_candidates": 1, "pseudo_keep": 1.0,
                                "encoder": "vgg19", "frozen_stride": 0}
_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "str": (str,),
                                       "bool": (bool,)}


def _problem(cls: type[JsonConfig], data: Any) -> str | None:
    """Why ``data`` is not a recorded ``cls``, or None."""
    if not isinstance(data, dict):
        return f"a {cls.__name__} is an object, not {type(data).__name__}"
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - set(known)
    if unknown:
        return f"unknown {cls.__name__} keys {sorted(unknown)} (made by a newer version?)"
    missing = sorted(set(known) - set(data) - set(ADDED_FIELDS))
    if missing:   # a default would not be what the network was trained with
        return f"it lacks {', '.join(missing)}"
    for name, value in data.items():
        kinds = _TYPES[str(known[name].type)]
        if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
            return f"{name}={value!r} is not {known[name].type}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            low, high = cls.LIMITS.get(name, (0, math.inf))
            if not math.isfinite(value):
                return f"{name}={value!r} is not a finite number"
            if not low <= value <= high:
                return f"{name}={value!r} is outside {low:g}..{high:g}"
    return None


def checked(config: C, where: str) -> C:
    """``config``, built from values read back from disk, checked as :meth:`from_dict`
    checks a recorded one."""
    return type(config).from_dict(asdict(config), where)  # type: ignore[call-overload]


def freeze_run_config(path: Path, config: JsonConfig) -> None:
    """Write ``config`` to ``path``, or check that the one already there is the same.

    A run folder never mixes settings: resuming with other settings is refused.
    """
    path = Path(path)
    if not path.exists():
        atomic_write_text(path, config.to_json())
        return
    saved = type(config).load(path)
    diff = {k: (v, getattr(config, k)) for k, v in asdict(saved).items()  # type: ignore
            if getattr(config, k) != v and k not in config.AFTER_TRAINING}
    if diff:
        raise CheckpointError(
            f"{path.parent} holds a run with other settings {diff} (saved, asked); "
            f"use another run folder to start afresh")


def config_from_profile(cls: type[C], profiles: dict[str, dict[str, Any]], profile: str,
                        overrides: dict[str, Any]) -> C:
    """``cls`` built from the named profile with ``overrides`` (None values ignored) applied."""
    if profile not in profiles:
        raise ValueError(f"unknown profile '{profile}' (choose from {', '.join(profiles)})")
    values = {**profiles[profile], **{k: v for k, v in overrides.items() if v is not None}}
    return cls(**values)
