"""CC2D-TPL landmark network: an encoder (the paper's VGG19, or a pretrained
EfficientNet-Lite0), U-Net decoder, and per landmark one heat-map logit channel plus x/y
offset channels (paper Sec. 2.2, Eq. 4).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from engine.models.efficientnet_lite import EfficientNetLite0
from engine.models.encoders import build_encoder
from engine.models.feature_net import UpBlock


class LandmarkUNet(nn.Module):
    """(B, 1, H, W) grey image → heat logits (B, N, H/s, W/s) and offsets (B, N, 2, H/s, W/s).

    ``s`` is ``output_stride`` (1 or 2). At stride 1 the last up-block takes the
    input image itself as its skip, so the full-resolution features still see
    the raw pixels. H and W must be multiples of 32. An EfficientNet-Lite0 encoder keeps
    its batch-norm statistics (ImageNet's) in training too: batches of a few radiographs
    are too small to estimate them again.
    """

    def __init__(
        self,
        n_landmarks: int,
        width: float = 1.0,
        batch_norm: bool = True,
        output_stride: int = 1,
        heat_prior: float = 0.01,
        encoder: str = "vgg19",
    ) -> None:
        super().__init__()
        if output_stride not in (1, 2):
            raise ValueError("output_stride must be 1 or 2")
        self.n_landmarks = n_landmarks
        self.output_stride = output_stride
        self.encoder = build_encoder(encoder, width, batch_norm)
        c2, c4, c8, c16, c32 = self.encoder.channels
        d = [max(8, int(round(c * width))) for c in (256, 128, 64, 32, 32)]
        self.up16 = UpBlock(c32, c16, d[0])
        self.up8 = UpBlock(d[0], c8, d[1])
        self.up4 = UpBlock(d[1], c4, d[2])
        self.up2 = UpBlock(d[2], c2, d[3])
        self.up1 = UpBlock(d[3], 1, d[4]) if output_stride == 1 else None
        self.head = nn.Conv2d(d[4] if output_stride == 1 else d[3], 3 * n_landmarks, 1)
        # Start the heat logits at the prior of a disk pixel (as RetinaNet does), so the
        # first steps do not spend themselves pushing thousands of background pixels down.
        with torch.no_grad():
            self.head.bias[:n_landmarks].fill_(-math.log((1 - heat_prior) / heat_prior))
            self.head.bias[n_landmarks:].zero_()

    def train(self, mode: bool = True) -> LandmarkUNet:
        super().train(mode)
        if isinstance(self.encoder, EfficientNetLite0):
            for m in self.encoder.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x``: (B, 1, H, W) in [0, 1] → (heat logits, offsets in units of R)."""
        s2, s4, s8, s16, s32 = self.encoder(x)
        u = self.up2(self.up4(self.up8(self.up16(s32, s16), s8), s4), s2)
        if self.up1 is not None:
            u = self.up1(u, x)
        out = self.head(u)
        b, _, h, w = out.shape
        n = self.n_landmarks
        return out[:, :n], out[:, n:].reshape(b, n, 2, h, w)
