"""VGG19 encoder (torchvision's layer layout) split into the stages a U-Net taps.

``width`` < 1 thins every layer for CPU-sized profiles; at width 1 the layers
and parameter names equal torchvision's ``vgg19``/``vgg19_bn`` ``features``, so
ImageNet weights load unchanged.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from engine.checkpoint import check_state_dict
from engine.errors import CheckpointError

# torchvision's configuration "E" (VGG19): channels per conv, "M" = 2×2 max-pool.
VGG19_LAYOUT: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
    512, 512, 512, 512, "M", 512, 512, 512, 512, "M",
)


def _make_layers(width: float, batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    in_ch = 3
    for v in VGG19_LAYOUT:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        out = max(8, int(round(int(v) * width)))
        layers.append(nn.Conv2d(in_ch, out, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out))
        layers.append(nn.ReLU(inplace=True))
        in_ch = out
    return nn.Sequential(*layers)


class VGG19Encoder(nn.Module):
    """Returns the feature maps at strides 2, 4, 8, 16 (before each pool) and 32 (last pool)."""

    def __init__(self, width: float = 1.0, batch_norm: bool = True) -> None:
        super().__init__()
        self.features = _make_layers(width, batch_norm)
        pools = [i for i, m in enumerate(self.features) if isinstance(m, nn.MaxPool2d)]
        # Tap the output just before pools 2..5 (strides 2, 4, 8, 16) and after pool 5.
        self._taps = pools[1:] + [len(self.features)]
        self.channels = [self.features[i - 2 - int(batch_norm)].out_channels for i in pools[1:]]
        self.channels.append(self.channels[-1])
        # ImageNet statistics of a grey image replicated to three channels.
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``x``: (B, 1, H, W) grey in [0, 1]; returns maps at strides [2, 4, 8, 16, 32]."""
        x = (x.expand(-1, 3, -1, -1) - self.mean) / self.std
        outs = []
        start = 0
        for tap in self._taps:
            for layer in self.features[start:tap]:
                x = layer(x)
            outs.append(x)
            start = tap
        return outs


def load_backbone_weights(encoder: VGG19Encoder, spec: str, batch_norm: bool) -> str:
    """Initialise ``encoder`` from ``spec`` ("none", "imagenet" or a file); returns what was used.

    "imagenet" goes through torchvision's weights API, which uses its cache or
    downloads; where neither works the error says so instead of training from
    a silent random start.
    """
    if spec == "none":
        return "none (random initialisation)"
    if spec == "imagenet":
        from torchvision import models

        weights = (models.VGG19_BN_Weights if batch_norm else models.VGG19_Weights).IMAGENET1K_V1
        try:
            state = weights.get_state_dict(progress=False)
        except Exception as exc:  # network errors come in many types
            raise CheckpointError(
                f"ImageNet weights for VGG19 are neither in torchvision's cache nor downloadable "
                f"({exc.__class__.__name__}: {exc}). Use --backbone-weights none, or give the "
                f"path of a saved torchvision state dict."
            ) from None
        source = f"imagenet ({weights})"
    else:
        path = Path(spec)
        if not path.is_file():
            raise CheckpointError(f"backbone weights file not found: {path}")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise CheckpointError(f"cannot read backbone weights {path}: {exc}") from None
        state = check_state_dict(state, path, "VGG19 backbone")
        source = f"file {path}"
    feats = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
    try:
        encoder.features.load_state_dict(feats)
    except RuntimeError as exc:
        raise CheckpointError(
            f"backbone weights from {source} do not fit a VGG19{'-BN' if batch_norm else ''} "
            f"encoder of this width: {str(exc).splitlines()[0]}"
        ) from None
    return source
