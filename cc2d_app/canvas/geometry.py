"""Pure arithmetic of the image canvas: picking, zooming, window/level, scale bar, nudging.

No Qt here, so each rule is tested on its own. Image coordinates are pixels of the original
image with the origin at the centre of the top-left pixel; the image covers
``-0.5 .. width - 0.5`` by ``-0.5 .. height - 0.5``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, float]


def nearest_landmark(
    points_screen: Sequence[Point | None], cursor: Point, eps: float
) -> int | None:
    """Index of the placed point nearest ``cursor`` within ``eps`` (ties: lowest index)."""
    best: int | None = None
    best_d = math.inf
    for i, p in enumerate(points_screen):
        if p is None:
            continue
        d = math.hypot(p[0] - cursor[0], p[1] - cursor[1])
        # Strict < keeps the lowest index on a tie.
        if d <= eps and d < best_d:
            best, best_d = i, d
    return best


def zoom_about(scale: float, factor: float, min_scale: float, max_scale: float) -> float:
    """``scale * factor`` clamped to ``min_scale .. max_scale``."""
    return min(max(scale * factor, min_scale), max_scale)


def centre_after_zoom(centre: Point, anchor: Point, old_scale: float, new_scale: float) -> Point:
    """View centre (image px) that keeps ``anchor`` at the same screen place after a zoom.

    The anchor sits ``(anchor - centre) * old_scale`` screen px from the view centre; the new
    centre puts it at the same screen offset under ``new_scale``.
    """
    ratio = old_scale / new_scale
    return (
        anchor[0] - (anchor[0] - centre[0]) * ratio,
        anchor[1] - (anchor[1] - centre[1]) * ratio,
    )


def fit_scale(
    width: float, height: float, view_width: float, view_height: float, margin: float = 0.02
) -> float:
    """Screen px per image px that shows the whole image with ``margin`` free on each side."""
    if width <= 0 or height <= 0:
        raise ValueError("image size must be positive")
    usable = 1.0 - 2.0 * margin
    return max(min(view_width / width, view_height / height) * usable, 1e-6)


def nice_scale_bar(mm_per_screen_px: float, target_px: float) -> tuple[float, float]:
    """(length in mm from 1/2/5 × 10^k, its length in screen px), at most ``target_px`` long."""
    if not (mm_per_screen_px > 0 and target_px > 0) or math.isinf(mm_per_screen_px):
        raise ValueError("scale and target length must be positive")
    raw_mm = target_px * mm_per_screen_px
    decade = 10.0 ** math.floor(math.log10(raw_mm))
    # A small tolerance so that exactly 10 mm is not rounded down to 5 by float error.
    mm = max(m * decade for m in (1.0, 2.0, 5.0) if m * decade <= raw_mm * (1 + 1e-9))
    return mm, mm / mm_per_screen_px


def window_after_drag(
    centre: float, width: float, dx: float, dy: float, span: float
) -> tuple[float, float]:
    """Window after a right-drag of (dx, dy) screen px: right widens, down raises the centre.

    ``span`` is the image's value range, so one gesture feels the same on 8-bit and 16-bit
    images: 500 screen px move the window by the whole range.
    """
    if not span > 0:
        raise ValueError("span must be positive")
    step = span / 500.0
    return centre + dy * step, max(width + dx * step, span / 1000.0)


def spacing_from_line(x0: float, y0: float, x1: float, y1: float, length_mm: float) -> float:
    """Pixel spacing (mm per px) from a line of known physical length."""
    length_px = math.hypot(x1 - x0, y1 - y0)
    if length_px == 0:
        raise ValueError("the calibration line has zero length")
    if not (length_mm > 0 and math.isfinite(length_mm)):
        raise ValueError("the physical length must be a positive number of mm")
    return length_mm / length_px


def inside_image(x: float, y: float, width: int, height: int) -> bool:
    """Whether image point (x, y) lies on the image (its pixels' outer edges included)."""
    return -0.5 <= x <= width - 0.5 and -0.5 <= y <= height - 0.5


def clamp_to_image(x: float, y: float, width: int, height: int) -> Point:
    """(x, y) moved to the nearest point on the image."""
    return min(max(x, -0.5), width - 0.5), min(max(y, -0.5), height - 0.5)


def nudge(
    x: float, y: float, key_dx: int, key_dy: int, big: bool, width: int, height: int
) -> Point:
    """Point moved by an arrow key: 1 px, 10 px with ``big`` (Shift), kept on the image."""
    step = 10.0 if big else 1.0
    return clamp_to_image(x + key_dx * step, y + key_dy * step, width, height)


def label_offsets(
    points_screen: Sequence[Point | None], sizes: Sequence[tuple[float, float]], ring: float
) -> list[Point]:
    """Top-left corners (relative to each point, screen px) for the labels, so that a label
    covers as little as it can of the other rings and labels (e.g. LIT beside UIT at fit
    zoom). Right of the point unless that overlaps; points in index order, greedily."""
    def box(p: Point, off: Point, size: tuple[float, float]) -> tuple[float, ...]:
        return (p[0] + off[0], p[1] + off[1], p[0] + off[0] + size[0], p[1] + off[1] + size[1])

    def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return w * h if w > 0 and h > 0 else 0.0

    rings = [(p[0] - ring, p[1] - ring, p[0] + ring, p[1] + ring)
             for p in points_screen if p is not None]
    taken: list[tuple[float, ...]] = []
    offsets: list[Point] = []
    gap = ring + 4
    for p, (w, h) in zip(points_screen, sizes, strict=True):
        candidates = [(gap, -h / 2), (-gap - w, -h / 2), (-w / 2, -gap - h), (-w / 2, gap),
                      (ring, -ring - h), (ring, ring), (-ring - w, -ring - h), (-ring - w, ring)]
        if p is None:
            offsets.append(candidates[0])
            continue
        own = (p[0] - ring, p[1] - ring, p[0] + ring, p[1] + ring)
        best, best_cost = candidates[0], math.inf
        for off in candidates:
            b = box(p, off, (w, h))
            cost = sum(overlap(b, r) for r in rings if r != own) + sum(
                overlap(b, t) for t in taken)
            if cost < best_cost - 1e-9:   # the first candidate wins a tie
                best, best_cost = off, cost
            if cost == 0:
                break
        offsets.append(best)
        taken.append(box(p, best, (w, h)))
    return offsets
