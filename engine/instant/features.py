"""Pretrained multi-scale features of radiographs, computed once and cached on disk.

Every image is resized (per axis) to one grid whose aspect follows the template's, run
through the frozen ImageNet EfficientNet-Lite0 (batch-norm folded into the convolutions:
1.7× faster on a CPU), and its four maps (strides 4–32) are stored unit-normalised in
float16, so matching is a dot product. A cached entry is keyed by the file's path, size
and modification time and by the grid; an entry that does not read back as the
expected arrays is recomputed, never trusted.
"""

from __future__ import annotations

import copy
import hashlib
import os
import threading
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from engine.data.images import LoadedImage, load_image
from engine.errors import ImageReadError
from engine.models.efficientnet_lite import STRIDES, EfficientNetLite0, pretrained_lite0
from engine.progress import ProgressCallback, ProgressMeter, check_cancel

FEATURES_VERSION = 1   # bump when what a cache entry holds changes


def grid_shape(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(grid width, grid height): the image's aspect, long side ``long_side``, both
    multiples of 32 (the extractor's coarsest stride)."""
    scale = long_side / max(width, height)
    return (max(32, int(round(width * scale / 32)) * 32),
            max(32, int(round(height * scale / 32)) * 32))


@dataclass(frozen=True, eq=False)
class ImageFeatures:
    """One image's unit feature maps (finest first, (C, h, w) float16) and its size."""

    maps: tuple[torch.Tensor, ...]
    width: int
    height: int

    def float_maps(self) -> list[torch.Tensor]:
        return [m.float() for m in self.maps]


def _fold_batch_norm(net: EfficientNetLite0) -> nn.Module:
    folded = copy.deepcopy(net).eval()

    def fold(module: nn.Module, conv: str, bn: str) -> None:
        fused = fuse_conv_bn_eval(getattr(module, conv), getattr(module, bn))
        getattr(module, conv).weight, getattr(module, conv).bias = fused.weight, fused.bias
        setattr(module, bn, nn.Identity())

    fold(folded, "_conv_stem", "_bn0")
    for block in folded._blocks:
        if block.has_expansion:
            fold(block, "_expand_conv", "_bn0")
        fold(block, "_depthwise_conv", "_bn1")
        fold(block, "_project_conv", "_bn2")
    return folded


class FeatureExtractor:
    """The frozen pretrained network on ``device``, for grids of ``grid`` (w, h)."""

    def __init__(self, grid: tuple[int, int], device: torch.device) -> None:
        self.grid = grid
        self.device = device
        self._net: nn.Module | None = None   # loaded on first use: a cached run needs none

    @property
    def net(self) -> nn.Module:
        if self._net is None:
            self._net = _fold_batch_norm(pretrained_lite0()).to(self.device)
        return self._net

    @torch.inference_mode()
    def __call__(self, image: LoadedImage | np.ndarray) -> ImageFeatures:
        pixels = image.pixels if isinstance(image, LoadedImage) else image
        small = cv2.resize(pixels, self.grid, interpolation=cv2.INTER_AREA)
        x = torch.from_numpy(np.ascontiguousarray(small, dtype=np.float32))
        maps = self.net(x[None, None].to(self.device))
        unit = tuple(F.normalize(m[0].float(), dim=0).half().cpu() for m in maps)
        h, w = pixels.shape[:2]
        return ImageFeatures(unit, w, h)


class FeatureCache:
    """Features of image files for one grid, kept in ``folder`` (None: in memory only)."""

    def __init__(self, folder: Path | None, extractor: FeatureExtractor) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.extractor = extractor
        self._memory: dict[str, ImageFeatures] = {}
        self._lock = threading.Lock()

    def _key(self, path: Path) -> str:
        st = path.stat()
        ident = f"{FEATURES_VERSION}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|" \
                f"{self.extractor.grid}"
        return hashlib.sha1(ident.encode("utf-8", "surrogateescape")).hexdigest()

    def get(self, path: Path) -> ImageFeatures:
        """The features of ``path``, from memory, the folder, or computed (and stored)."""
        key, found = self.lookup(Path(path))
        if isinstance(found, LoadedImage):
            found = self.store(key, self.extractor(found))
        return found

    def lookup(self, path: Path) -> tuple[str, ImageFeatures | LoadedImage]:
        """``path``'s key and its cached features, or its decoded image when there are none
        (the slow part, which :meth:`store` finishes; split so decoding can run ahead)."""
        try:
            key = self._key(path)
        except OSError as exc:
            raise ImageReadError(f"cannot read {path}: {exc.strerror or exc}") from None
        with self._lock:
            if key in self._memory:
                return key, self._memory[key]
        found = self._read(key)
        if found is not None:
            with self._lock:
                self._memory[key] = found
            return key, found
        return key, load_image(path)

    def store(self, key: str, features: ImageFeatures) -> ImageFeatures:
        with self._lock:
            self._memory[key] = features
        self._write(key, features)
        return features

    def _file(self, key: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{key}.npz"

    def _read(self, key: str) -> ImageFeatures | None:
        file = self._file(key)
        if file is None or not file.is_file():
            return None
        gw, gh = self.extractor.grid
        try:
            with np.load(file, allow_pickle=False) as data:
                size = data["size"]
                maps = tuple(torch.from_numpy(np.array(data[f"s{s}"])) for s in STRIDES)
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
            return None   # damaged or foreign: computed again
        shapes_ok = all(m.dtype == torch.float16 and m.ndim == 3
                        and tuple(m.shape[1:]) == (gh // s, gw // s)
                        for m, s in zip(maps, STRIDES))
        if not shapes_ok or size.shape != (2,) or not (size > 0).all() \
                or not all(torch.isfinite(m).all() for m in maps):
            return None
        return ImageFeatures(maps, int(size[0]), int(size[1]))

    def _write(self, key: str, features: ImageFeatures) -> None:
        file = self._file(key)
        if file is None:
            return
        # Not fsynced: a cache entry lost in a crash is only computed again.
        tmp = file.with_name(f".{file.name}.{threading.get_ident()}.tmp")
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                np.savez(f, size=np.array([features.width, features.height]),
                         **{f"s{s}": m.numpy() for m, s in zip(features.maps, STRIDES)})
            os.replace(tmp, file)
        except OSError:
            tmp.unlink(missing_ok=True)   # a cache that cannot be written only costs time


def features_of(cache: FeatureCache, paths: Sequence[Path], *,
                skipped: list[tuple[Path, str]] | None = None,
                progress: ProgressCallback | None = None,
                cancel: threading.Event | None = None) -> dict[int, ImageFeatures]:
    """Features of each readable path, by its index; unreadable ones raise, or are listed
    in ``skipped`` when it is given. The next image is decoded while the network runs."""
    out: dict[int, ImageFeatures] = {}
    meter = ProgressMeter("image features", len(paths), progress)

    def lookup(path: Path) -> tuple[str, ImageFeatures | LoadedImage] | ImageReadError:
        try:
            return cache.lookup(Path(path))
        except ImageReadError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=1) as ahead:
        pending = [ahead.submit(lookup, p) for p in paths[:2]]
        for i, path in enumerate(paths):
            check_cancel(cancel, "computing image features")
            found = pending.pop(0).result()
            if i + 2 < len(paths):
                pending.append(ahead.submit(lookup, paths[i + 2]))
            if isinstance(found, ImageReadError):
                if skipped is None:
                    for future in pending:
                        future.cancel()
                    raise found
                skipped.append((Path(path), str(found)))
            else:
                key, item = found
                out[i] = item if isinstance(item, ImageFeatures) else \
                    cache.store(key, cache.extractor(item))
            meter.update(i + 1)
    meter.update(len(paths), force=True)
    return out
