"""Which image to annotate: the folder's images ranked by how typical each one is.

One-shot detection carries the template's landmarks to every other image by appearance,
so a template with an unusual posture, exposure or crop passes its oddity on to every
prediction. The safest template is the folder's medoid: the image closest to all the
others in a small, blurred, normalised thumbnail, which keeps the layout and the
exposure of an image and drops its detail. JPEGs are decoded at 1/8 scale, so 150
radiographs of 1935 × 2400 pixels take about 0.4 s on two cores; the comparison is one
matrix product.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.data.display import load_thumbnail
from engine.errors import CC2DError, ImageReadError
from engine.progress import ProgressCallback, ProgressMeter, check_cancel

# On the ISBI 2015 training images, sides 32-96, blurs 0-2 px and trims 0-25 % gave the
# same leading images and the same rank correlation (0.55-0.59) with how far each
# image's landmarks lie from everyone else's, so the cheapest sound choice is kept.
THUMB_SIDE = 64      # letterbox side in pixels: the layout of the image, not its detail
BLUR_SIGMA = 1.0     # pixels at THUMB_SIDE: small shifts of the anatomy count for little
TRIM = 0.1           # share of each image's farthest others left out of its score, so a
                     # few odd files in the folder do not decide who is typical


@dataclass(frozen=True)
class RankedImage:
    """One image and its score: the mean distance to the others (0 = identical, √2 =
    unrelated, 2 = inverted); lower is more representative."""

    path: Path
    score: float


@dataclass(frozen=True)
class TemplateRanking:
    """Readable images, most representative first, and the files that could not be read."""

    ranked: tuple[RankedImage, ...]
    skipped: tuple[tuple[Path, str], ...]
    seconds: float

    @property
    def best(self) -> Path:
        return self.ranked[0].path


def rank_templates(
    paths: Sequence[str | os.PathLike[str]],
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    workers: int = 2,
) -> TemplateRanking:
    """Rank ``paths`` by how representative each image is of all of them.

    Unreadable (or blank) files are skipped and listed in ``skipped`` with the reason;
    fewer than 2 readable images is a :class:`~engine.errors.CC2DError`. ``cancel`` is
    checked before each image is read (:class:`~engine.errors.CancelledError`).
    """
    t0 = time.perf_counter()
    paths = [Path(p) for p in paths]
    vectors: list[np.ndarray | None] = [None] * len(paths)
    reasons: dict[int, str] = {}
    meter = ProgressMeter("ranking images", len(paths), progress)

    def read(i: int) -> None:
        check_cancel(cancel, "choosing a template")
        try:
            vectors[i] = thumbnail_vector(paths[i])
        except ImageReadError as exc:
            reasons[i] = str(exc)

    # Threads: OpenCV decodes without the GIL.
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for done, _ in enumerate(pool.map(read, range(len(paths))), start=1):
            meter.update(done)  # the last step always reports
    kept = [i for i in range(len(paths)) if i not in reasons]
    skipped = tuple((paths[i], reasons[i]) for i in sorted(reasons))
    if len(kept) < 2:
        why = f"; e.g. {skipped[0][1]}" if skipped else ""
        raise CC2DError(f"choosing a template needs at least 2 readable images; "
                        f"{len(kept)} of {len(paths)} could be read{why}")
    scores = representativeness(np.stack([vectors[i] for i in kept]))
    order = np.argsort(scores, kind="stable")  # ties keep the folder's order
    ranked = tuple(RankedImage(paths[kept[j]], float(scores[j])) for j in order)
    return TemplateRanking(ranked, skipped, time.perf_counter() - t0)


def thumbnail_vector(path: Path) -> np.ndarray:
    """The image as a unit vector of ``THUMB_SIDE``² zero-mean values.

    Zero mean and unit norm make brightness and contrast settings of the scanner count
    for nothing: only the pattern of light and dark is compared.
    """
    grey = load_thumbnail(path, THUMB_SIDE).astype(np.float32)
    if grey.min() == grey.max():
        raise ImageReadError(f"{path} is blank (every pixel has the same value); "
                             "re-export it from the source")
    square = cv2.GaussianBlur(letterbox(grey, THUMB_SIDE), (0, 0), BLUR_SIGMA)
    vector = square.ravel() - square.mean()
    return vector / np.linalg.norm(vector)


def letterbox(grey: np.ndarray, side: int) -> np.ndarray:
    """``grey`` scaled to fit ``side`` × ``side`` (aspect kept), centred, padded with its
    mean so that the padding reads as no structure at all."""
    height, width = grey.shape
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    shrink = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    fitted = cv2.resize(grey, size, interpolation=shrink)
    out = np.full((side, side), float(fitted.mean()), np.float32)
    top, left = (side - size[1]) // 2, (side - size[0]) // 2
    out[top:top + size[1], left:left + size[0]] = fitted
    return out


def representativeness(vectors: np.ndarray) -> np.ndarray:
    """Per row of ``vectors`` (unit rows), the trimmed mean distance to the other rows."""
    n = len(vectors)
    gram = vectors @ vectors.T
    distances = np.sqrt(np.clip(2.0 - 2.0 * gram, 0.0, None))
    np.fill_diagonal(distances, np.inf)  # sorts last, then cut off with the trimmed tail
    nearest = np.sort(distances, axis=1)[:, :n - 1]
    keep = max(1, math.ceil((1.0 - TRIM) * (n - 1)))
    return nearest[:, :keep].mean(axis=1)
