"""Frozen config dataclasses as JSON: saved beside every checkpoint, checked on resume."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from engine.atomic import atomic_write_text
from engine.errors import CheckpointError
from engine.json_files import read_json

C = TypeVar("C", bound="JsonConfig")


class JsonConfig:
    """Mixin for frozen dataclasses: ``to_json``, ``from_dict`` and ``load``.

    ``AFTER_TRAINING`` names fields only used once the network is trained: a resumed
    training may differ in them (its checkpoint does not depend on them)."""

    AFTER_TRAINING: ClassVar[tuple[str, ...]] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - known
        if unknown:
            raise CheckpointError(
                f"unknown {cls.__name__} keys {sorted(unknown)} (made by a newer version?)")
        return cls(**data)

    @classmethod
    def load(cls: type[C], path: Path) -> C:
        try:
            return cls.from_dict(read_json(path))
        except (TypeError, ValueError) as exc:   # JsonReadError is a ValueError
            raise CheckpointError(f"cannot read {cls.__name__} from {path}: {exc}") from None


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
