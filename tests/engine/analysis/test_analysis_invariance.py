"""Property: measurements do not depend on where the head lies on the image, how it is
turned or which way it faces; angles and ratios not on its size either."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tests.engine.analysis.skull import SPACING, isbi_analysis, skull

ISBI = isbi_analysis()
BASE = skull()
jitter = arrays(np.float64, BASE.shape, elements=st.floats(-40, 40))


def values(points):
    return {r.id: r.value for r in ISBI.measure(points, SPACING, 2.0)}


def moved(points, turn_deg, shift, scale=1.0, flip=False):
    t = math.radians(turn_deg)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    p = points * np.array([-1.0, 1.0]) if flip else points
    return scale * p @ rot.T + np.asarray(shift)


@settings(max_examples=150, deadline=None)
@given(noise=jitter, turn=st.floats(-180, 180), dx=st.floats(-5000, 5000),
       dy=st.floats(-5000, 5000), flip=st.booleans())
def test_invariant_to_translation_rotation_and_mirroring(noise, turn, dx, dy, flip):
    pts = BASE + noise
    before = values(pts)
    after = values(moved(pts, turn, (dx, dy), flip=flip))
    for mid, v in before.items():
        assert after[mid] == pytest.approx(v, rel=1e-9, abs=1e-7), mid


@settings(max_examples=150, deadline=None)
@given(noise=jitter, turn=st.floats(-180, 180), scale=st.floats(0.2, 5.0))
def test_angles_and_ratios_invariant_to_scale_lengths_scale(noise, turn, scale):
    pts = BASE + noise
    before = values(pts)
    after = values(moved(pts, turn, (10.0, -20.0), scale=scale))
    for mid, v in before.items():
        expected = v * scale if mid == "MW" else v
        assert after[mid] == pytest.approx(expected, rel=1e-9, abs=1e-7), mid
