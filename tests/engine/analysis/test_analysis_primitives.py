"""Each primitive on hand-computed cases."""

import math

import numpy as np
import pytest

from engine.analysis import geometry
from engine.analysis.loader import parse_analysis

# A right angle at the origin, a 3-4-5 triangle and a 45° line.
P = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [3.0, 4.0], [10.0, 10.0]])


def test_angle_at_a_point():
    assert geometry.angle_at(P, 1, 0, 2) == pytest.approx(90.0)
    assert geometry.angle_at(P, 1, 0, 4) == pytest.approx(45.0)
    assert geometry.angle_at(P, 1, 0, 3) == pytest.approx(math.degrees(math.atan2(4, 3)))


def test_angle_at_a_point_is_exact_at_0_and_180():
    line = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [-3.0, 0.0]])
    assert geometry.angle_at(line, 1, 0, 2) == 0.0
    assert geometry.angle_at(line, 1, 0, 3) == 180.0


def test_line_angle_unsigned_uses_directions():
    # 0→1 points right; 0→4 at 45° down-right; 4→0 at 45° up-left: 135° from 0→1.
    assert geometry.line_angle(P, (0, 1), (0, 4)) == pytest.approx(45.0)
    assert geometry.line_angle(P, (0, 1), (4, 0)) == pytest.approx(135.0)


def test_line_angle_signed_by_the_frame():
    frame = (0, 1, 2)    # 0→1 right, 0→2 down: clockwise on screen, like a face to the right
    down = geometry.line_angle(P, (0, 1), (0, 4), frame)   # second line turned clockwise
    up = geometry.line_angle(P, (0, 1), (4, 1), frame)      # 10,10 → 10,0: turned back and up
    assert down == pytest.approx(45.0)
    assert up == pytest.approx(-90.0)
    reverse = geometry.line_angle(P, (0, 4), (0, 1), frame)
    assert reverse == pytest.approx(-45.0)


def test_signed_line_angle_keeps_its_sign_on_a_mirrored_image():
    frame = (0, 1, 2)
    flipped = P * np.array([-1.0, 1.0])
    assert geometry.handedness(P, frame) == 1.0
    assert geometry.handedness(flipped, frame) == -1.0
    assert geometry.line_angle(flipped, (0, 4), (0, 1), frame) == pytest.approx(-45.0)


def test_distance_and_its_sign():
    assert geometry.distance(P, 0, 3) == pytest.approx(5.0)
    assert geometry.distance(P, 0, 3, sign_along=(0, 1)) == pytest.approx(5.0)
    assert geometry.distance(P, 3, 0, sign_along=(0, 1)) == pytest.approx(-5.0)


def test_ratio_of_distances():
    assert geometry.ratio(P, (0, 3), (0, 1)) == pytest.approx(0.5)


def test_stacks_are_measured_per_set():
    stack = np.stack([P, P * 2.0, P + 7.0])
    np.testing.assert_allclose(geometry.distance(stack, 0, 3), [5.0, 10.0, 5.0])


CODES = [f"L{k}" for k in range(1, 6)]   # landmark k of P (1-based) is code Lk


def _codes(value):
    if isinstance(value, int):
        return f"L{value}"
    return [_codes(v) for v in value]


def _analysis(measurements, frame=(1, 2, 3)):
    for m in measurements:
        for key in ("points", "lines"):
            if key in m:
                m[key] = _codes(m[key])
    return parse_analysis({"format": 2, "id": "t", "name": "t", "frame": _codes(list(frame)),
                           "measurements": measurements}).bind(CODES)


def test_sums_and_differences_of_measurements():
    a = _analysis([
        {"id": "R", "kind": "angle", "points": [2, 1, 3], "hidden": True},
        {"id": "D", "kind": "angle", "points": [2, 1, 5], "hidden": True},
        {"id": "DIFF", "kind": "sum", "terms": ["R", "-D"]},
        {"id": "SUM", "kind": "sum", "terms": ["R", "+D"]},
    ])
    values = {r.id: r.value for r in a.measure(P, 0.5)}
    assert values == pytest.approx({"DIFF": 45.0, "SUM": 135.0})


def test_distance_in_mm_with_spacing_in_px_without():
    a = _analysis([{"id": "L", "kind": "distance", "points": [1, 4],
                    "classes": [{"name": "short", "max": 2.0}, {"name": "long", "min": 2.0}]}])
    (mm,) = a.measure(P, 0.5)
    assert (mm.value, mm.unit, mm.class_name) == (pytest.approx(2.5), "mm", "long")
    (px,) = a.measure(P, None)
    assert (px.value, px.unit, px.class_name) == (pytest.approx(5.0), "px", None)
    assert "not classified" in px.note


def test_ratio_has_no_unit_and_needs_no_spacing():
    a = _analysis([{"id": "Q", "kind": "ratio", "lines": [[1, 4], [1, 2]],
                    "classes": [{"name": "low", "max": 0.6}, {"name": "high", "min": 0.6}]}])
    (q,) = a.measure(P, None)
    assert (q.value, q.unit, q.class_name) == (pytest.approx(0.5), "", "low")


def test_classes_first_match_wins_at_a_shared_bound():
    a = _analysis([{"id": "R", "kind": "angle", "points": [2, 1, 3],
                    "classes": [{"name": "C1", "min": 80, "max": 90, "normal": True},
                                {"name": "C2", "min": 90}]}])
    (r,) = a.measure(P, 1.0)
    assert r.value == pytest.approx(90.0) and r.class_name == "C1"
    assert r.normal_range == (80.0, 90.0)


def test_lines_to_draw_and_landmarks_used():
    a = _analysis([{"id": "R", "kind": "angle", "points": [2, 1, 3]}])
    (r,) = a.measure(P, 1.0)
    assert r.uses == (0, 1, 2)
    assert r.lines == (((0.0, 0.0), (10.0, 0.0)), ((0.0, 0.0), (0.0, 10.0)))


def test_projection_on_a_line_and_its_sign():
    # 0→3 is (3, 4); on the direction 0→1 (x) it is 3, on 1→0 it is -3.
    assert geometry.projection(P, 0, 3, (0, 1)) == pytest.approx(3.0)
    assert geometry.projection(P, 0, 3, (1, 0)) == pytest.approx(-3.0)
    assert geometry.projection(P, 0, 3, (0, 4)) == pytest.approx(7.0 / math.sqrt(2))


def test_point_to_line_distance_and_its_side():
    # 0→2 points down: (3, 4) lies 3 px in front (+x) of it; 0→1 points forwards: (3, 4)
    # lies 4 px below it, so -4; a mirrored image keeps the sign with a frame.
    assert geometry.point_line(P, 3, (0, 2), None) == pytest.approx(3.0)
    assert geometry.point_line(P, 3, (0, 1), None) == pytest.approx(-4.0)
    flipped = P * np.array([-1.0, 1.0])
    assert geometry.point_line(flipped, 3, (0, 2), (0, 1, 2)) == pytest.approx(3.0)


def test_a_derived_midpoint_and_a_percent_ratio():
    a = parse_analysis({"format": 2, "id": "t", "name": "t",
                        "derived": {"M": {"mid": ["L2", "L3"]}},
                        "measurements": [
                            {"id": "D", "kind": "distance", "points": ["L1", "M"]},
                            {"id": "R", "kind": "ratio", "lines": [["L1", "L4"], ["L1", "L2"]],
                             "percent": True}]}).bind(CODES)
    got = {r.id: r for r in a.measure(P, 1.0)}
    assert got["D"].value == pytest.approx(math.hypot(5.0, 5.0))     # to (5, 5)
    assert got["D"].uses == (0, 1, 2)
    assert (got["R"].value, got["R"].unit) == (pytest.approx(50.0), "%")
