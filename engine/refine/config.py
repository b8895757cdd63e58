"""Hyper-parameters of the refinement stage, frozen and saved as JSON beside its checkpoint.

The coarse TPL grid (384² for ISBI) is 0.5–0.6 mm per pixel; the refinement
works on a finer grid (``fine_size``, by default three times as fine) but only
in ``crop_size`` windows around each landmark, so it costs a fraction of a
whole-image network at that resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.config_io import AT_LEAST_ONE, GRID, WIDTH, JsonConfig, config_from_profile


@dataclass(frozen=True)
class RefineConfig(JsonConfig):
    """A landmark U-Net (same heads and loss as CC2D-TPL) on crops of the fine grid."""

    fine_size: int = 1152          # fine working grid (pixels per side); multiple of 32
    crop_size: int = 96            # crop side on the fine grid; multiple of 32
    radius: float = 6.0            # R of the heat-map disk, in fine-grid pixels
    shift: float = 24.0            # training crops are centred up to ±shift px off the label
    width: float = 0.5             # channel multiplier of the VGG19 encoder
    batch_norm: bool = True
    backbone_weights: str = "none"  # none | imagenet | path of a torchvision state dict
    batch_size: int = 64
    steps: int = 3000              # 0: no refinement, the coarse TPL points are final
    time_budget_s: float = 0.0     # >0: stop (and finish the cosine schedule) by wall time
    lr: float = 1e-3
    rotation_deg: float = 10.0     # crop rotation about its centre
    scale: float = 0.1             # crop zoom, uniform in [1 - scale, 1 + scale]
    jitter: float = 0.3            # colour jitter strength
    # Fraction of crops cut from images with true labels (the template); the rest come
    # from CC2D-TPL's predictions on the other images. On ISBI quick (template 125, test1):
    # 0.25 → 5.87 mm, SDR@2 20.2 %; 0.6 → 5.74 mm, 23.1 %; 1.0 → 5.62 mm, 25.6 % (TPL
    # alone 5.95 mm, 18.6 %). Fine detail is learnt best from exact labels; the predicted
    # ones, ~4.5 mm off, only blur it.
    template_weight: float = 1.0
    pos_weight: float = 2.0
    offset_weight: float = 1.0
    # Inference passes, each re-centred on the last result. On the ISBI training images
    # (template 125, quick) 1, 2, 3 and 4 passes all gave 5.74 mm: one is enough.
    iterations: int = 1
    checkpoint_every: int = 500
    seed: int = 0

    LIMITS = {"fine_size": (32, 8192), "crop_size": GRID, "width": WIDTH,
              "batch_size": AT_LEAST_ONE, "iterations": (1, 100),
              "checkpoint_every": AT_LEAST_ONE}

    def __post_init__(self) -> None:
        if self.fine_size % 32 or self.crop_size % 32:
            raise ValueError("fine_size and crop_size must be multiples of 32")
        if self.crop_size > self.fine_size:
            raise ValueError("crop_size cannot exceed fine_size")
        if self.radius <= 0 or self.shift < 0:
            raise ValueError("radius must be positive and shift non-negative")
        if self.iterations < 1:
            raise ValueError("iterations must be at least 1")
        if not 0.0 <= self.template_weight <= 1.0:
            raise ValueError("template_weight must lie in [0, 1]")

    @property
    def enabled(self) -> bool:
        return self.steps > 0 or self.time_budget_s > 0


PROFILES: dict[str, dict[str, Any]] = {
    # Off by default: at full strength the coarse points are already close, and a crop
    # detector learnt from one template made them worse on H100 (ISBI, template 125:
    # test1 2.32 → 2.46 mm, SDR@2 60.0 → 57.8 %; training images 2.71 → 2.76 mm).
    # ``--refine-time 45`` turns it on: three times the 384 grid, ~0.2 mm per pixel.
    "full": {"steps": 0},
    "paper": {"steps": 0},
    "clinic": {"steps": 0},   # not measured there yet
    # Three times the quick profile's 192 grid; 400 steps take ~90 s on 2 cores.
    "quick": {"fine_size": 576, "crop_size": 64, "radius": 4.0, "shift": 16.0,
              "width": 0.25, "batch_size": 32, "steps": 400, "checkpoint_every": 100},
    "tiny": {"fine_size": 128, "crop_size": 32, "radius": 2.0, "shift": 6.0,
             "width": 0.125, "batch_size": 16, "steps": 100, "checkpoint_every": 50},
}


def profile_config(profile: str, **overrides: Any) -> RefineConfig:
    """The named profile's config with ``overrides`` (None values ignored) applied."""
    return config_from_profile(RefineConfig, PROFILES, profile, overrides)
