"""Settings of the training-free instant stage, frozen and saved in the run record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.config_io import JsonConfig, config_from_profile


@dataclass(frozen=True)
class InstantConfig(JsonConfig):
    """Grid, matching and shape-check settings (distances as shares of the grid's long
    side, so they mean the same on any image size)."""

    long_side: int = 608             # working grid's long side (px), a multiple of 32
    temperature: float = 0.1         # sharpens the per-level cosine maps before their product
    shape_check: bool = True         # robust similarity fit; outliers searched again near it
    inlier_share: float = 0.045      # a match within this of the fitted shape is an inlier
    research_share: float = 0.045    # an outlier is searched again within this of the fit
    seed: int = 0                    # orders RANSAC's sampled pairs on large schemas
    # As pseudo-labels for a detector (profiles clinic, full): per landmark, the share of
    # the images' points kept, most confident first.
    pseudo_keep: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.long_side, int) or self.long_side % 32 \
                or not 64 <= self.long_side <= 2048:
            raise ValueError("long_side must be a multiple of 32 from 64 to 2048")
        if not 0.001 <= self.temperature <= 100:
            raise ValueError("temperature must lie in [0.001, 100]")
        for name in ("inlier_share", "research_share", "pseudo_keep"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in (0, 1]")


PROFILES: dict[str, dict[str, Any]] = {
    "instant": {},
    "clinic": {"pseudo_keep": 0.8},
    "full": {"pseudo_keep": 0.8},
}


def profile_config(profile: str, **overrides: Any) -> InstantConfig:
    """The named profile's config with ``overrides`` (None values ignored) applied."""
    return config_from_profile(InstantConfig, PROFILES, profile, overrides)
