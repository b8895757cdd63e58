"""A folder of images decoded once, resized to the working grid and kept as one tensor.

Training never waits for data: the whole set lives on the device as uint8
(150 images at 384² are 22 MB) and batches are cut from it by indexing.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from engine.data.image_keys import image_keys
from engine.data.images import LoadedImage, load_image
from engine.data.spacing import Spacing
from engine.errors import ImageReadError
from engine.progress import ProgressCallback, ProgressMeter, check_cancel


@dataclass
class WorkingSet:
    """``pixels``: (N, 1, S, S) uint8 on ``device``; original sizes and spacings per image;
    ``keys``: how tables name each image (:func:`engine.data.image_keys.image_keys`)."""

    paths: list[Path]
    pixels: torch.Tensor
    sizes: list[tuple[int, int]]       # (width, height) of each original
    spacings: list[Spacing | None]
    keys: list[str]

    def __len__(self) -> int:
        return len(self.paths)

    def batch(self, index: torch.Tensor | Sequence[int]) -> torch.Tensor:
        """Float (B, 1, S, S) in [0, 1] for the given indices."""
        return self.pixels[index].float().div_(255.0)


def resize_to_grid(image: LoadedImage | np.ndarray, size: int) -> np.ndarray:
    """Area-resample a float [0,1] image to size × size uint8 (pixel centres kept aligned)."""
    pixels = image.pixels if isinstance(image, LoadedImage) else image
    small = cv2.resize(pixels, (size, size), interpolation=cv2.INTER_AREA)
    return np.clip(np.rint(small * 255.0), 0, 255).astype(np.uint8)


def build_working_set(
    paths: Sequence[Path],
    size: int,
    device: torch.device,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    workers: int = 4,
    skipped: list[tuple[Path, str]] | None = None,
    keys: Sequence[str] | None = None,
) -> WorkingSet:
    """Decode and resize every image once (in threads: OpenCV releases the GIL).

    An unreadable image raises :class:`ImageReadError`, unless ``skipped`` is a
    list: then the image is left out and ``(path, reason)`` appended to it, so one
    bad file in a folder of hundreds does not stop the work. ``keys``: one per path
    (default :func:`image_keys` of ``paths``), given when a subset must keep the keys
    the whole set had.
    """
    paths = [Path(p) for p in paths]
    keys = list(keys) if keys is not None else image_keys(paths)
    if len(keys) != len(paths):
        raise ValueError(f"{len(keys)} keys for {len(paths)} images")
    meter = ProgressMeter("loading images", len(paths), progress)
    grids: list[np.ndarray] = [None] * len(paths)  # type: ignore[list-item]
    sizes: list[tuple[int, int]] = [(0, 0)] * len(paths)
    spacings: list[Spacing | None] = [None] * len(paths)
    failed: dict[int, str] = {}

    def work(i: int) -> None:
        check_cancel(cancel, "loading images")
        try:
            img = load_image(paths[i])
        except ImageReadError as exc:
            if skipped is None:
                raise
            failed[i] = str(exc)
            return
        grids[i] = resize_to_grid(img, size)
        sizes[i] = (img.width, img.height)
        spacings[i] = img.spacing

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done, _ in enumerate(pool.map(work, range(len(paths))), start=1):
            meter.update(done)
    meter.update(len(paths), force=True)
    if skipped is not None:
        skipped.extend((paths[i], reason) for i, reason in sorted(failed.items()))
    keep = [i for i in range(len(paths)) if i not in failed]
    if not keep:
        raise ImageReadError(f"none of the {len(paths)} image(s) could be read")
    stack = torch.from_numpy(np.stack([grids[i] for i in keep])[:, None]).to(device)
    return WorkingSet([paths[i] for i in keep], stack, [sizes[i] for i in keep],
                      [spacings[i] for i in keep], [keys[i] for i in keep])
