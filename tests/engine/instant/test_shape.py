"""The shape check: a similarity recovered exactly, look-alike jumps flagged."""

import numpy as np

from engine.instant.shape import fit_similarity, robust_similarity


def _similar(points, scale=1.2, angle=0.3, shift=(15.0, -4.0)):
    c, s = np.cos(angle), np.sin(angle)
    return scale * points @ np.array([[c, -s], [s, c]]).T + np.array(shift)


def test_least_squares_recovers_a_known_similarity():
    src = np.random.default_rng(0).uniform(0, 100, (7, 2))
    fit = fit_similarity(src, _similar(src))
    np.testing.assert_allclose(fit.apply(src), _similar(src), atol=1e-9)


def test_matches_that_jumped_are_the_outliers():
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 200, (19, 2))
    dst = _similar(src) + rng.normal(0, 1.0, src.shape)
    jumped = [2, 9, 14]
    dst[jumped] += np.array([[60, 0], [-45, 30], [0, -80]])
    fit, inliers = robust_similarity(src, dst, inlier_px=8.0)
    assert sorted(np.flatnonzero(~inliers)) == jumped
    np.testing.assert_allclose(fit.apply(src[jumped]), _similar(src[jumped]), atol=3.0)


def test_many_landmarks_use_a_seeded_sample_of_pairs():
    rng = np.random.default_rng(2)
    src = rng.uniform(0, 300, (60, 2))
    dst = _similar(src)
    dst[:5] += 100.0
    a = robust_similarity(src, dst, 5.0, seed=3)[1]
    b = robust_similarity(src, dst, 5.0, seed=3)[1]
    assert (a == b).all() and sorted(np.flatnonzero(~a)) == [0, 1, 2, 3, 4]


def test_coincident_points_do_not_break_the_fit():
    src = np.zeros((5, 2))
    fit, inliers = robust_similarity(src, np.ones((5, 2)), 2.0)
    assert np.isfinite(fit.matrix).all() and inliers.all()
