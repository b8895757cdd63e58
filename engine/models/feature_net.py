"""CC2D-SSL feature extractor: VGG19 encoder, U-Net decoder, receptive-field blocks and
1×1 heads giving L-channel feature maps at strides 32, 16, 8, 4 and 2 (supplementary Fig. 5).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.vgg import VGG19Encoder

STRIDES = (32, 16, 8, 4, 2)


def conv_bn_relu(cin: int, cout: int, dilation: int = 1, kernel: int = 3) -> nn.Sequential:
    pad = dilation * (kernel // 2)
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, padding=pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ReceptiveFieldBlock(nn.Module):
    """ASPP-like block: parallel dilated 3×3 convolutions (and a 1×1), fused by a 1×1."""

    def __init__(self, cin: int, cout: int, dilations: tuple[int, ...] = (1, 2, 4)) -> None:
        super().__init__()
        branch = max(8, cout // 2)
        self.branches = nn.ModuleList(
            [conv_bn_relu(cin, branch, kernel=1)]
            + [conv_bn_relu(cin, branch, d) for d in dilations]
        )
        self.fuse = conv_bn_relu(branch * (len(dilations) + 1), cout, kernel=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fuse(torch.cat([b(x) for b in self.branches], dim=1))


class UpBlock(nn.Module):
    """Upsample ×2, concatenate the encoder skip, two 3×3 convolutions."""

    def __init__(self, cin: int, cskip: int, cout: int) -> None:
        super().__init__()
        self.convs = nn.Sequential(conv_bn_relu(cin + cskip, cout), conv_bn_relu(cout, cout))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.convs(torch.cat([x, skip], dim=1))


class FeatureNet(nn.Module):
    """Maps a (B, 1, H, W) grey image to ``len(STRIDES)`` maps of ``out_channels`` each,
    coarsest first (strides 32, 16, 8, 4, 2). H and W must be multiples of 32."""

    def __init__(self, out_channels: int = 16, width: float = 1.0, batch_norm: bool = True) -> None:
        super().__init__()
        self.encoder = VGG19Encoder(width, batch_norm)
        c2, c4, c8, c16, c32 = self.encoder.channels
        d = [max(8, int(round(c * width))) for c in (256, 256, 128, 64, 32)]
        self.up16 = UpBlock(c32, c16, d[1])
        self.up8 = UpBlock(d[1], c8, d[2])
        self.up4 = UpBlock(d[2], c4, d[3])
        self.up2 = UpBlock(d[3], c2, d[4])
        widths = [c32, d[1], d[2], d[3], d[4]]
        self.rf = nn.ModuleList([ReceptiveFieldBlock(c, max(16, c // 2)) for c in widths])
        self.heads = nn.ModuleList(
            [nn.Conv2d(max(16, c // 2), out_channels, kernel_size=1) for c in widths]
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        s2, s4, s8, s16, s32 = self.encoder(x)
        u16 = self.up16(s32, s16)
        u8 = self.up8(u16, s8)
        u4 = self.up4(u8, s4)
        u2 = self.up2(u4, s2)
        return [head(rf(t)) for t, rf, head in zip((s32, u16, u8, u4, u2), self.rf, self.heads)]
