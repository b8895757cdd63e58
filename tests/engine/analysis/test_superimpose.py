"""Superimposing two radiographs of one patient on a pair of landmarks (S–N)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.analysis.model import MeasurementResult
from engine.analysis.superimpose import (
    SuperimpositionError,
    measurement_changes,
    superimpose,
)


def _similar(points, angle_deg, shift, scale):
    a = math.radians(angle_deg)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return points @ rotation.T * scale + np.asarray(shift)


def test_a_hand_made_similarity_is_undone_exactly():
    rng = np.random.default_rng(4)
    first = rng.uniform(100, 900, size=(12, 2))
    # The second radiograph: the same head turned 17°, moved, taken at 0.1 instead of
    # 0.2 mm per pixel (so twice as many pixels per millimetre).
    second = _similar(first, 17.0, (40.0, -25.0), 2.0)
    fit = superimpose(first, second, (0, 1), mm_per_px_first=0.2, mm_per_px_second=0.1)
    assert fit.scale == pytest.approx(0.5)
    assert math.degrees(fit.angle) == pytest.approx(-17.0)
    assert fit.apply(second) == pytest.approx(first, abs=1e-9)


def test_growth_keeps_its_length_along_the_first_s_n_line():
    first = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 5.0]])      # S, N, another point
    second = np.array([[3.0, 4.0], [3.0, 16.0], [9.0, 10.0]])   # S–N 12 long, pointing down
    moved = superimpose(first, second, (0, 1)).apply(second)
    assert moved[0] == pytest.approx([0.0, 0.0])                # at S
    assert moved[1] == pytest.approx([12.0, 0.0])               # along S–N, its own length
    # (9, 10) is 6 right, 6 down of S; turned with S–N, the point lies 6 along, 6 across.
    assert moved[2] == pytest.approx([6.0, -6.0])
    assert np.isnan(superimpose(first, second, (0, 1)).apply([[np.nan, 1.0]])).any()


@pytest.mark.parametrize(("first_mm", "second_mm", "on", "second_points", "words"), [
    (0.1, None, (0, 1), None, "pixel size"),
    (None, None, (0, 0), None, "two different landmarks"),
    (None, None, (0, 7), None, "two different landmarks"),
    (None, None, (0, 1), [[1.0, 1.0], [np.nan, 2.0], [0.0, 0.0]], "placed on both"),
    (None, None, (0, 1), [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]], "one spot"),
])
def test_what_cannot_be_registered_says_why(first_mm, second_mm, on, second_points, words):
    first = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 5.0]])
    second = first + 1 if second_points is None else np.array(second_points)
    with pytest.raises(SuperimpositionError, match=words):
        superimpose(first, second, on, mm_per_px_first=first_mm, mm_per_px_second=second_mm)


def _result(mid, value, unit="°"):
    return MeasurementResult(mid, mid, value, unit, None, None, None, False, (), (),
                             (value, value), 0.0)


def test_the_change_of_every_measurement():
    changes = measurement_changes(
        [_result("SNA", 82.0), _result("Wits", 1.0, "mm"), _result("ANB", 3.0)],
        [_result("SNA", 80.5), _result("Wits", 5.0, "px"), _result("FMA", 25.0)])
    by = {c.id: c for c in changes}
    assert [c.id for c in changes] == ["SNA", "Wits", "ANB", "FMA"]
    assert by["SNA"].change == pytest.approx(-1.5) and by["SNA"].unit == "°"
    assert by["Wits"].change is None            # mm against px: no difference to give
    assert (by["Wits"].unit, by["Wits"].second_unit) == ("mm", "px")
    assert (by["ANB"].second, by["ANB"].change) == (None, None)
    assert (by["FMA"].first, by["FMA"].second) == (None, 25.0)
