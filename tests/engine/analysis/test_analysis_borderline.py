"""Borderline classes: the spread of a value under the landmarks' expected error."""

import time

import numpy as np
import pytest

from engine.analysis import ASSUMED_MM_PER_PX, load_analysis
from tests.engine.analysis.skull import SPACING, skull

ISBI = load_analysis("isbi2015")


def by_id(points, spacing=SPACING, sigma=2.0):
    return {r.id: r for r in ISBI.measure(points, spacing, sigma)}


def test_error_bound_is_the_standard_deviation_under_landmark_noise():
    # Each landmark off by N(0, σ²) per axis, independently: the value's spread should be
    # the first-order bound (Monte Carlo, 4000 draws).
    pts, sigma_mm = skull(), 1.0
    got = by_id(pts, sigma=sigma_mm)
    rng = np.random.default_rng(0)
    noisy = pts[None] + rng.normal(0.0, sigma_mm / SPACING, (4000, *pts.shape))
    values = ISBI.evaluate(noisy)
    for mid in ("SNA", "ANB", "ODI", "APDI", "FHI", "FMA", "MW"):
        spread = values[mid].std() * (SPACING if mid == "MW" else 1.0)
        assert got[mid].error_bound == pytest.approx(spread, rel=0.08), mid


def test_near_a_bound_is_borderline_far_from_it_is_not():
    far = by_id(skull(sna=81.3), sigma=0.5)["SNA"]       # 1.9° from both bounds
    near = by_id(skull(sna=83.0), sigma=0.5)["SNA"]      # 0.2° below 83.2°
    assert far.error_bound < 1.9 and not far.borderline
    assert near.error_bound > 0.2 and near.borderline
    assert near.class_name == far.class_name == "C1"


def test_borderline_also_just_outside_the_normal_range():
    r = by_id(skull(sna=83.4), sigma=0.5)["SNA"]
    assert r.class_name == "C2" and r.borderline


def test_per_landmark_sigma():
    sigma = np.zeros(19)
    sigma[4] = 2.0                                        # only A is uncertain
    got = by_id(skull(), sigma=sigma)
    assert got["SNB"].error_bound == 0.0 and not got["SNB"].borderline
    assert got["SNA"].error_bound > 0.0
    assert got["ANB"].error_bound == pytest.approx(got["SNA"].error_bound)


def test_mw_sign_flip_is_borderline():
    # Tips nearly above each other: a small move flips MW's sign (cross bite ↔ normal).
    r = by_id(skull(mw_mm=0.3, overbite_mm=3.0), sigma=0.5)["MW"]
    assert r.borderline


def test_without_spacing_sigma_is_taken_at_the_assumed_resolution():
    with_spacing = by_id(skull(), spacing=ASSUMED_MM_PER_PX)
    without = by_id(skull(), spacing=None)
    assert without["SNA"].error_bound == pytest.approx(with_spacing["SNA"].error_bound)
    assert "assumed" in without["SNA"].note and with_spacing["SNA"].note == ""
    assert without["MW"].class_name is None and not without["MW"].borderline


def test_one_image_takes_well_under_10_ms():
    pts = skull()
    ISBI.measure(pts, SPACING)
    runs = 50
    start = time.perf_counter()
    for _ in range(runs):
        ISBI.measure(pts, SPACING)
    assert (time.perf_counter() - start) / runs < 0.010
