"""Hyper-parameters of CC2D-TPL, frozen and saved as JSON beside every checkpoint."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from engine.errors import CheckpointError


@dataclass(frozen=True)
class TPLConfig:
    """Defaults follow the paper (heat-map disk + offsets, Eq. 4) at a 384² working grid."""

    image_size: int = 384          # working grid (pixels per side); multiple of 32
    radius: float = 8.0            # R: disk radius in grid pixels (≈40 px of an ISBI image)
    width: float = 1.0             # channel multiplier; 1.0 is VGG19 itself
    batch_norm: bool = True        # VGG19-BN (trains from scratch; plain VGG19 does not well)
    backbone_weights: str = "none"  # none | imagenet | path of a torchvision state dict
    output_stride: int = 1         # 1: heads at full grid resolution; 2: half, votes still exact
    batch_size: int = 8
    steps: int = 6000
    time_budget_s: float = 0.0     # >0: stop (and finish the cosine schedule) by wall time
    lr: float = 1e-3               # Adam, cosine-annealed to 0
    rotation_deg: float = 10.0     # whole-image rotation, uniform in ±rotation_deg
    scale: float = 0.1             # zoom, uniform in [1 - scale, 1 + scale]
    translate: float = 0.05        # shift, uniform in ±translate × image_size per axis
    jitter: float = 0.3            # colour jitter strength (brightness/contrast/gamma)
    template_weight: float = 0.25  # fraction of batch slots filled from template images
    pos_weight: float = 10.0       # BCE weight of disk pixels (see engine.tpl.targets)
    offset_weight: float = 1.0     # weight of the L1 offset term against the heat term
    checkpoint_every: int = 500
    seed: int = 0

    def __post_init__(self) -> None:
        if self.image_size % 32:
            raise ValueError("image_size must be a multiple of 32")
        if self.output_stride not in (1, 2):
            raise ValueError("output_stride must be 1 or 2")
        if self.radius <= 0:
            raise ValueError("radius must be positive")
        if not 0.0 <= self.template_weight <= 1.0:
            raise ValueError("template_weight must lie in [0, 1]")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TPLConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise CheckpointError(f"unknown TPL config keys {sorted(unknown)} (newer version?)")
        return cls(**data)

    @classmethod
    def load(cls, path: Path) -> TPLConfig:
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError, TypeError, ValueError) as exc:
            raise CheckpointError(f"cannot read TPL config {path}: {exc}") from None


PROFILES: dict[str, dict[str, Any]] = {
    # The paper's network at full size; meant for a GPU.
    "full": {},
    # A thinner network on a smaller grid, sized for ~6 minutes on a 2-core CPU.
    "quick": {"image_size": 192, "radius": 4.0, "width": 0.25, "batch_size": 8,
              "steps": 1000, "checkpoint_every": 200},
    # Seconds-long runs for tests. R would be 1.3 px if scaled linearly; 3 keeps a
    # disk of ~29 pixels, enough to learn in a few hundred steps.
    "tiny": {"image_size": 64, "radius": 3.0, "width": 0.125, "batch_size": 8,
             "steps": 150, "checkpoint_every": 50},
}


def profile_config(profile: str, **overrides: Any) -> TPLConfig:
    """The named profile's config with ``overrides`` (None values ignored) applied."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile '{profile}' (choose from {', '.join(PROFILES)})")
    values = {**PROFILES[profile], **{k: v for k, v in overrides.items() if v is not None}}
    return TPLConfig(**values)
