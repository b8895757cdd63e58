"""The shape check: a robust similarity (scale, rotation, shift) from a labelled image's
landmarks to their matches, which tells the matches that jumped to a look-alike
structure from those that fit the anatomy.

RANSAC over pairs of landmarks (every pair while there are few, a seeded sample of pairs
otherwise), least-squares refit on the inliers. Plain numpy, no reflection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_LANDMARKS = 4   # below this, two points fit anything: no check is made
_MAX_PAIRS = 600


@dataclass(frozen=True)
class Similarity2D:
    """x ↦ scale · R(angle) x + shift, as a 2×2 ``matrix`` and a ``shift``."""

    matrix: np.ndarray
    shift: np.ndarray

    def apply(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points, dtype=np.float64) @ self.matrix.T + self.shift


def fit_similarity(src: np.ndarray, dst: np.ndarray) -> Similarity2D:
    """Least-squares similarity taking ``src`` (K, 2) to ``dst`` (K ≥ 2 points)."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    # As complex numbers: dst ≈ z · src, z = Σ conj(a) b / Σ |a|².
    za = a[:, 0] + 1j * a[:, 1]
    zb = b[:, 0] + 1j * b[:, 1]
    denom = float(np.sum(np.abs(za) ** 2))
    z = complex(np.sum(np.conj(za) * zb) / denom) if denom > 0 else 1.0 + 0j
    matrix = np.array([[z.real, -z.imag], [z.imag, z.real]])
    return Similarity2D(matrix, md - ms @ matrix.T)


def robust_similarity(src: np.ndarray, dst: np.ndarray, inlier_px: float,
                      seed: int = 0) -> tuple[Similarity2D, np.ndarray]:
    """The similarity most matches agree with, and the (N,) inlier mask (within
    ``inlier_px`` of where it takes their labelled position).

    Candidate pairs whose implied scale is absurd (beyond 3× either way) are skipped;
    ties go to the smaller summed residual of the inliers.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    n = len(src)
    i, j = np.triu_indices(n, k=1)
    if len(i) > _MAX_PAIRS:
        pick = np.random.default_rng(seed).choice(len(i), _MAX_PAIRS, replace=False)
        i, j = i[pick], j[pick]
    zs = (src[j, 0] - src[i, 0]) + 1j * (src[j, 1] - src[i, 1])
    zd = (dst[j, 0] - dst[i, 0]) + 1j * (dst[j, 1] - dst[i, 1])
    ok = np.abs(zs) > 1e-9
    z = np.where(ok, zd / np.where(ok, zs, 1), 0)
    ok &= (np.abs(z) > 1 / 3) & (np.abs(z) < 3)
    zsrc = src[:, 0] + 1j * src[:, 1]
    zdst = dst[:, 0] + 1j * dst[:, 1]
    best = None
    if ok.any():
        zz, a = z[ok], i[ok]
        shift = zdst[a] - zz * zsrc[a]
        residual = np.abs(zz[:, None] * zsrc[None] + shift[:, None] - zdst[None])   # (P, N)
        inside = residual <= inlier_px
        cost = np.where(inside, residual, 0.0).sum(1)
        best = inside[np.lexsort((cost, -inside.sum(1)))[0]]
    if best is None or best.sum() < 2:
        fit = fit_similarity(src, dst)
        return fit, np.linalg.norm(fit.apply(src) - dst, axis=1) <= inlier_px
    fit = fit_similarity(src[best], dst[best])
    inliers = np.linalg.norm(fit.apply(src) - dst, axis=1) <= inlier_px
    if inliers.sum() >= 2:
        fit = fit_similarity(src[inliers], dst[inliers])
        inliers = np.linalg.norm(fit.apply(src) - dst, axis=1) <= inlier_px
    return fit, inliers
