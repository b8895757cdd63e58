"""Borderline classes: the value's interval and the probability that its class is another,
when each landmark errs by its own σ."""

import math
import time

import numpy as np
import pytest

from engine.analysis import ASSUMED_MM_PER_PX
from engine.analysis.loader import parse_analysis
from engine.analysis.uncertainty import FLAG_PROBABILITY
from tests.engine.analysis.skull import SPACING, isbi_analysis, skull

ISBI = isbi_analysis()
Z90 = 1.6449    # the 95th percentile of N(0, 1)


def by_id(points, spacing=SPACING, sigma=2.0):
    return {r.id: r for r in ISBI.measure(points, spacing, sigma)}


def gap(bound_mm):
    """A distance A→B along x whose classes change at ``bound_mm``."""
    return parse_analysis({"format": 2, "id": "g", "name": "g", "measurements": [
        {"id": "D", "kind": "distance", "points": ["A", "B"],
         "classes": [{"name": "short", "max": bound_mm}, {"name": "long", "min": bound_mm}]}]
    }).bind(["A", "B"])


def test_interval_and_probability_of_a_distance_by_hand():
    # Two points 10 mm apart along x, each off by σ = 1 mm per axis: to first order the
    # distance errs by √2 σ, so its 90 % interval is 10 ± 1.645·√2 mm; with the class bound
    # one such SD above the value, P(other class) = Φ(−1) = 0.159.
    sd = math.sqrt(2.0)
    (r,) = gap(10.0 + sd).measure(np.array([[0.0, 0.0], [10.0, 0.0]]), 1.0, 1.0)
    lo, hi = r.interval
    assert lo == pytest.approx(10.0 - Z90 * sd, abs=0.25)
    assert hi == pytest.approx(10.0 + Z90 * sd, abs=0.25)
    assert r.p_other_class == pytest.approx(0.159, abs=0.04)
    assert r.class_name == "short" and not r.borderline


def test_at_a_bound_it_is_a_coin_flip_and_flagged():
    (r,) = gap(10.0).measure(np.array([[0.0, 0.0], [10.001, 0.0]]), 1.0, 1.0)
    assert r.p_other_class == pytest.approx(0.5, abs=0.06)
    assert r.borderline == (r.p_other_class >= FLAG_PROBABILITY)


def test_far_from_a_bound_is_certain_near_it_is_not():
    far = by_id(skull(sna=81.3), sigma=0.2)["SNA"]       # 1.9° from both bounds
    near = by_id(skull(sna=83.1), sigma=0.2)["SNA"]      # 0.1° below 83.2°
    assert far.p_other_class < 0.05 and not far.borderline
    assert near.p_other_class > FLAG_PROBABILITY and near.borderline
    assert near.class_name == far.class_name == "C1"
    assert near.interval[0] < 83.1 < near.interval[1]


def test_per_landmark_sigma():
    sigma = np.zeros(19)
    sigma[4] = 2.0                                        # only A is uncertain
    got = by_id(skull(), sigma=sigma)
    assert got["SNB"].interval == pytest.approx((76.0, 76.0)) and got["SNB"].p_other_class == 0
    assert got["SNA"].interval[1] - got["SNA"].interval[0] > 1.0
    width = {m: got[m].interval[1] - got[m].interval[0] for m in ("SNA", "ANB")}
    assert width["ANB"] == pytest.approx(width["SNA"], rel=1e-6)


def test_the_same_points_give_the_same_flag():
    first, again = by_id(skull(sna=83.1)), by_id(skull(sna=83.1))
    assert first == again


def test_without_spacing_sigma_is_taken_at_the_assumed_resolution():
    with_spacing = by_id(skull(), spacing=ASSUMED_MM_PER_PX)
    without = by_id(skull(), spacing=None)
    assert without["SNA"].interval == pytest.approx(with_spacing["SNA"].interval)
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
