"""Seeded synthetic radiographs ("phantoms") with N known landmarks.

A fixed skull-like anatomy (outline, jaw, inner structures, a small distinct
mark at each landmark) drawn per image under a random affine + smooth elastic
deformation, contrast change and noise. Used by tests and by the zero-download
demo; nothing here assumes 19 landmarks or a fixed image size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.data.landmarks import LandmarkTable, write_landmark_csv


@dataclass(frozen=True)
class PhantomSpec:
    n_landmarks: int = 19
    width: int = 240
    height: int = 300
    size_jitter: float = 0.0   # relative change of width/height per image
    deform: float = 0.05       # strength of the random deformation (fraction of the size)
    noise: float = 0.03
    mark_size: float = 0.022   # radius of each landmark's mark (fraction of the smaller side)
    anatomy_seed: int = 0      # which anatomy (landmark layout); images vary by their own seed


def _anatomy(spec: PhantomSpec) -> tuple[np.ndarray, np.random.Generator]:
    """Landmark positions in unit coordinates (inside the skull), fixed by anatomy_seed."""
    rng = np.random.default_rng(spec.anatomy_seed)
    pts = []
    while len(pts) < spec.n_landmarks:
        p = rng.uniform([0.18, 0.15], [0.82, 0.85])
        # Keep marks apart so each is a distinct structure.
        if all(np.hypot(*(p - q)) > 0.6 / np.sqrt(spec.n_landmarks + 4) for q in pts):
            pts.append(p)
    return np.array(pts), rng


def _draw_base(spec: PhantomSpec, w: int, h: int, unit_pts: np.ndarray) -> np.ndarray:
    """The undeformed anatomy at w × h, float32 in [0, 1]."""
    img = np.full((h, w), 0.08, np.float32)
    c = (w / 2, h / 2)
    cv2.ellipse(img, (int(c[0]), int(c[1] * 0.9)), (int(w * 0.42), int(h * 0.40)), 0, 0, 360,
                0.55, thickness=max(2, w // 40), lineType=cv2.LINE_AA)
    cv2.ellipse(img, (int(c[0]), int(c[1] * 0.9)), (int(w * 0.36), int(h * 0.33)), 0, 0, 360,
                0.22, thickness=-1, lineType=cv2.LINE_AA)
    jaw = np.array([[0.25, 0.70], [0.55, 0.93], [0.80, 0.82], [0.72, 0.62]]) * [w, h]
    cv2.polylines(img, [jaw.astype(np.int32)], False, 0.7, max(2, w // 50), cv2.LINE_AA)
    cv2.ellipse(img, (int(w * 0.35), int(h * 0.42)), (int(w * 0.08), int(h * 0.05)), 20, 0, 360,
                0.45, 2, cv2.LINE_AA)
    # Bone-like texture fixed by the anatomy, so local matching has something to find.
    tex_rng = np.random.default_rng(spec.anatomy_seed + 7919)
    for cells, amp in ((8, 0.10), (24, 0.06), (64, 0.04)):
        noise = tex_rng.normal(0, amp, (cells, cells)).astype(np.float32)
        img += cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC) * (img > 0.1)
    rng = np.random.default_rng(len(unit_pts))
    r = max(3, int(min(w, h) * spec.mark_size))
    for i, (ux, uy) in enumerate(unit_pts):
        x, y = int(round(ux * w)), int(round(uy * h))
        kind = i % 4
        val = float(rng.uniform(0.6, 1.0))
        if kind == 0:
            cv2.circle(img, (x, y), r, val, 1, cv2.LINE_AA)
        elif kind == 1:
            cv2.line(img, (x - r, y), (x + r, y), val, 1, cv2.LINE_AA)
            cv2.line(img, (x, y - r), (x, y + r), val, 1, cv2.LINE_AA)
        elif kind == 2:
            cv2.rectangle(img, (x, y), (x + r, y + r), val, -1)
        else:
            tri = np.array([[x, y], [x + r, y + 2 * r], [x - r, y + 2 * r]], np.int32)
            cv2.fillConvexPoly(img, tri, val, cv2.LINE_AA)
        # A spoke at a landmark-specific angle (golden-angle steps) makes every mark
        # unique, as real anatomy is, even where the shape kind repeats.
        angle = i * 2.39996
        tip = (int(round(x + 2.5 * r * np.cos(angle))), int(round(y + 2.5 * r * np.sin(angle))))
        cv2.line(img, (x, y), tip, 0.9, max(1, r // 3), cv2.LINE_AA)
        cv2.circle(img, (x, y), 1, 1.0, -1)
    return img


def make_phantom(spec: PhantomSpec, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One phantom: float32 (H, W) image in [0, 1] and (N, 2) landmark x, y in its pixels."""
    rng = np.random.default_rng(seed)
    unit_pts, _ = _anatomy(spec)
    jit = 1 + rng.uniform(-spec.size_jitter, spec.size_jitter, 2)
    w, h = int(round(spec.width * jit[0])), int(round(spec.height * jit[1]))
    base = _draw_base(spec, w, h, unit_pts)
    base_pts = unit_pts * [w, h]

    # Output pixel p samples the base at A p + b + d(p), d a smooth random field.
    angle = rng.uniform(-1, 1) * spec.deform * 2.0
    scale = 1 + rng.uniform(-1, 1) * spec.deform
    a = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = np.array([w / 2, h / 2])
    b = centre - a @ centre + rng.uniform(-1, 1, 2) * spec.deform * [w, h]
    coarse = rng.normal(0, spec.deform * min(w, h) / 2, (2, 4, 4)).astype(np.float32)
    field = np.stack([cv2.resize(c, (w, h), interpolation=cv2.INTER_CUBIC) for c in coarse])
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    map_x = (a[0, 0] * xs + a[0, 1] * ys + b[0] + field[0]).astype(np.float32)
    map_y = (a[1, 0] * xs + a[1, 1] * ys + b[1] + field[1]).astype(np.float32)
    img = cv2.remap(base, map_x, map_y, cv2.INTER_LINEAR, borderValue=0.08)

    # Landmarks move by the inverse map: solve A p + b + d(p) = q by fixed-point iteration.
    a_inv = np.linalg.inv(a)
    pts = (base_pts - b) @ a_inv.T
    for _ in range(30):
        d = np.stack([_bilinear(field[0], pts), _bilinear(field[1], pts)], axis=-1)
        pts = (base_pts - b - d) @ a_inv.T

    gamma = np.exp(rng.uniform(-0.3, 0.3))
    img = np.clip(img, 0, 1) ** gamma * rng.uniform(0.8, 1.2) + rng.uniform(-0.05, 0.05)
    img = img + rng.normal(0, spec.noise, img.shape)
    return np.clip(img, 0, 1).astype(np.float32), pts


def _bilinear(field: np.ndarray, pts: np.ndarray) -> np.ndarray:
    h, w = field.shape
    x = np.clip(pts[:, 0], 0, w - 1.001)
    y = np.clip(pts[:, 1], 0, h - 1.001)
    x0, y0 = x.astype(int), y.astype(int)
    fx, fy = x - x0, y - y0
    return (field[y0, x0] * (1 - fx) * (1 - fy) + field[y0, x0 + 1] * fx * (1 - fy)
            + field[y0 + 1, x0] * (1 - fx) * fy + field[y0 + 1, x0 + 1] * fx * fy)


def write_phantom_dataset(
    folder: str | os.PathLike, n_images: int, spec: PhantomSpec = PhantomSpec(), seed: int = 0
) -> tuple[list[Path], LandmarkTable]:
    """Write ``n_images`` PNG phantoms and their ``landmarks.csv`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table = LandmarkTable(names=tuple(f"P{i + 1}" for i in range(spec.n_landmarks)))
    paths = []
    for i in range(n_images):
        img, pts = make_phantom(spec, seed * 100_003 + i)
        path = folder / f"phantom_{i:03d}.png"
        ok, buf = cv2.imencode(".png", np.rint(img * 255).astype(np.uint8))
        assert ok
        path.write_bytes(buf.tobytes())
        table.points[path.name] = pts
        paths.append(path)
    write_landmark_csv(folder / "landmarks.csv", table)
    return paths, table
