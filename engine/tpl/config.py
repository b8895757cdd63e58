"""Hyper-parameters of CC2D-TPL, frozen and saved as JSON beside every checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.config_io import AT_LEAST_ONE, GRID, WIDTH, JsonConfig, config_from_profile
from engine.models.encoders import ENCODERS


@dataclass(frozen=True)
class TPLConfig(JsonConfig):
    """Defaults follow the paper (heat-map disk + offsets, Eq. 4) at a 384² working grid."""

    image_size: int = 384          # working grid (pixels per side); multiple of 32
    radius: float = 8.0            # R: disk radius in grid pixels (≈40 px of an ISBI image)
    encoder: str = "vgg19"         # vgg19 (the paper's) | lite0 (EfficientNet-Lite0)
    width: float = 1.0             # channel multiplier (VGG19's and the decoder's)
    batch_norm: bool = True        # VGG19-BN (trains from scratch; plain VGG19 does not well)
    backbone_weights: str = "none"  # none | imagenet | path of a state dict of the encoder
    frozen_stride: int = 0         # lite0: encoder layers up to this stride are not trained
    init_from: str = ""            # a finished TPL checkpoint to fine-tune (refit); "" = fresh
    output_stride: int = 1         # heads at full (1) or half (2) grid resolution
    batch_size: int = 8
    steps: int = 6000
    time_budget_s: float = 0.0     # >0: stop (and finish the cosine schedule) by wall time
    lr: float = 1e-3               # Adam, cosine-annealed to 0
    rotation_deg: float = 10.0     # whole-image rotation, uniform in ±rotation_deg
    scale: float = 0.1             # zoom, uniform in [1 - scale, 1 + scale]
    translate: float = 0.05        # shift, uniform in ±translate × image_size per axis
    jitter: float = 0.3            # colour jitter strength (brightness/contrast/gamma)
    template_weight: float = 0.25  # fraction of batch slots filled from template images
    pos_weight: float = 2.0        # BCE weight of disk pixels (see engine.tpl.targets)
    offset_weight: float = 1.0     # weight of the L1 offset term against the heat term
    checkpoint_every: int = 500
    seed: int = 0

    LIMITS = {"image_size": GRID, "width": WIDTH, "batch_size": AT_LEAST_ONE,
              "steps": AT_LEAST_ONE, "checkpoint_every": AT_LEAST_ONE}

    def __post_init__(self) -> None:
        if self.image_size % 32:
            raise ValueError("image_size must be a multiple of 32")
        if self.encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {', '.join(ENCODERS)}")
        if self.frozen_stride and (self.encoder != "lite0"
                                   or self.frozen_stride not in (2, 4, 8, 16)):
            raise ValueError("frozen_stride (2, 4, 8 or 16) needs the lite0 encoder")
        if self.output_stride not in (1, 2):
            raise ValueError("output_stride must be 1 or 2")
        if self.radius <= 0:
            raise ValueError("radius must be positive")
        if not 0.0 <= self.template_weight <= 1.0:
            raise ValueError("template_weight must lie in [0, 1]")


# The pretrained encoder learning from the instant stage's pseudo-labels (engine.pipeline).
_LITE0 = {"encoder": "lite0", "backbone_weights": "imagenet", "lr": 5e-4}

PROFILES: dict[str, dict[str, Any]] = {
    # The paper's network at full size; meant for a GPU: 105 s on an H100, so the whole
    # pipeline (SSL 175 s, refinement 45 s) fits 6 minutes there.
    "paper": {"batch_size": 16, "time_budget_s": 105.0},
    # The pretrained encoder at the paper's grid and stride, for a GPU (the same budget).
    "full": {**_LITE0, "batch_size": 16, "time_budget_s": 105.0},
    # Sized for ~15 minutes on a 2-core CPU: ~6 samples/s at a 320 grid with the stem and
    # stride-4 blocks frozen, heads at stride 2; 10 minutes of training.
    "clinic": {**_LITE0, "image_size": 320, "radius": 6.0, "width": 0.5, "output_stride": 2,
               "frozen_stride": 4, "batch_size": 8, "steps": 20000, "time_budget_s": 600.0,
               "checkpoint_every": 100},
    # A thinner network on a smaller grid, sized for ~6 minutes on a 2-core CPU
    # (~22 samples/s). Heads at stride 2: 1.6× faster, as accurate on phantoms. 1000 steps:
    # on ISBI test1 MRE 5.95 ± 5.85 mm against 6.30 ± 9.50 mm after 500 (same SSL run).
    "quick": {"image_size": 192, "radius": 4.0, "width": 0.25, "output_stride": 2,
              "batch_size": 8, "steps": 1000, "checkpoint_every": 100},
    # Seconds-long runs for tests. R would be 1.3 px if scaled linearly; 3 keeps a
    # disk of ~29 pixels, enough to learn in a few hundred steps.
    "tiny": {"image_size": 64, "radius": 3.0, "width": 0.125, "batch_size": 8,
             "steps": 150, "checkpoint_every": 50},
}


def profile_config(profile: str, **overrides: Any) -> TPLConfig:
    """The named profile's config with ``overrides`` (None values ignored) applied."""
    return config_from_profile(TPLConfig, PROFILES, profile, overrides)
