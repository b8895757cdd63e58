"""The eight ISBI 2015 measurements on hand-built skulls, facing right and left."""

import math

import numpy as np
import pytest

from tests.engine.analysis.skull import SPACING, direction, isbi_analysis, mirrored, skull


@pytest.fixture(scope="module")
def isbi():
    return isbi_analysis()


def measure(analysis, points):
    return {r.id: r for r in analysis.measure(points, SPACING, 0.0)}


@pytest.mark.parametrize("flip", [False, True], ids=["face right", "face left"])
def test_the_eight_on_a_normal_skull(isbi, flip):
    pts = skull()
    a, b, n, pog = pts[4], pts[5], pts[1], pts[6]
    # APDI = facial angle + A-B plane to N-Pog (signed: B behind A is negative) + PP-FH.
    ab_npog = direction(n, pog) - direction(a, b)
    expected = {"SNA": 80.0, "SNB": 76.0, "ANB": 4.0, "ODI": 75.0 + 2.0,
                "APDI": 87.0 + ab_npog + 2.0, "FHI": 0.7, "FMA": 29.0, "MW": 3.0}
    got = measure(isbi, mirrored(pts) if flip else pts)
    assert list(got) == list(expected)
    for mid, value in expected.items():
        assert got[mid].value == pytest.approx(value, abs=1e-9), mid
    assert ab_npog < 0                      # B lies behind A in this skull
    classes = {mid: r.class_name for mid, r in got.items()}
    assert classes == {"SNA": "C1", "SNB": "C1", "ANB": "C1", "ODI": "C1",
                       "APDI": "C3" if expected["APDI"] > 85.2 else
                       "C2" if expected["APDI"] < 77.6 else "C1",
                       "FHI": "C1", "FMA": "C1", "MW": "C1"}
    assert {r.unit for mid, r in got.items() if mid not in ("FHI", "MW")} == {"°"}
    assert (got["FHI"].unit, got["MW"].unit) == ("", "mm")


def test_apdi_hand_computed(isbi):
    # A at 500 px from N at 100°, B at 800 px at 104°: A→B runs (800 cos104° − 500 cos100°,
    # 800 sin104° − 500 sin100°); N→Pog runs at 180° − 87° = 93°.
    sin, cos, rad = math.sin, math.cos, math.radians
    ab = math.degrees(math.atan2(800 * sin(rad(104)) - 500 * sin(rad(100)),
                                 800 * cos(rad(104)) - 500 * cos(rad(100))))
    got = measure(isbi, skull())["APDI"].value
    assert got == pytest.approx(87.0 + (93.0 - ab) + 2.0)
    assert 93.0 - ab == pytest.approx(-17.605, abs=0.001)  # B far behind A
    assert got == pytest.approx(71.395, abs=0.001)


@pytest.mark.parametrize("flip", [False, True], ids=["face right", "face left"])
def test_palatal_plane_tipped_up_lowers_odi_and_apdi(isbi, flip):
    down, up = skull(pp=2.0), skull(pp=-3.0)
    if flip:
        down, up = mirrored(down), mirrored(up)
    d, u = measure(isbi, down), measure(isbi, up)
    assert d["ODI"].value - u["ODI"].value == pytest.approx(5.0)
    assert d["APDI"].value - u["APDI"].value == pytest.approx(5.0)
    assert u["ODI"].value == pytest.approx(72.0)


@pytest.mark.parametrize(("kwargs", "mid", "value", "cls"), [
    ({"sna": 84.0}, "SNA", 84.0, "C2"), ({"sna": 79.0}, "SNA", 79.0, "C3"),
    ({"snb": 74.0}, "SNB", 74.0, "C2"), ({"snb": 79.0}, "SNB", 79.0, "C3"),
    ({"sna": 84.0, "snb": 77.0}, "ANB", 7.0, "C2"), ({"sna": 80.0, "snb": 78.0}, "ANB", 2.0, "C3"),
    ({"sna": 78.0, "snb": 80.0, "fhi": 0.75}, "ANB", -2.0, "C3"),
    ({"ab_mp": 80.0}, "ODI", 82.0, "C2"), ({"ab_mp": 64.0}, "ODI", 66.0, "C3"),
    ({"fhi": 0.8}, "FHI", 0.8, "C2"), ({"fhi": 0.6}, "FHI", 0.6, "C3"),
    ({"fma": 33.0}, "FMA", 33.0, "C2"), ({"fma": 25.0}, "FMA", 25.0, "C3"),
    # MW follows the challenge's code: exactly 0 is C2, and 0-2 mm falls through to C3.
    ({"mw_mm": 0.0}, "MW", 0.0, "C2"), ({"mw_mm": 1.0}, "MW", 1.0, "C3"),
    ({"mw_mm": -2.0}, "MW", -2.0, "C3"),
    ({"mw_mm": 6.0}, "MW", 6.0, "C4"), ({"mw_mm": 4.5}, "MW", 4.5, "C1"),
])
def test_classes_of_each_measurement(isbi, kwargs, mid, value, cls):
    for pts in (skull(**kwargs), mirrored(skull(**kwargs))):
        r = measure(isbi, pts)[mid]
        assert r.value == pytest.approx(value)
        assert r.class_name == cls


@pytest.mark.parametrize(("pp", "cls"), [(2.0, "C2"), (10.0, "C1"), (16.0, "C3")])
def test_apdi_classes(isbi, pp, cls):
    # 87° + (−17.605°) + pp; the facial angle itself cancels against the A-B plane angle
    # (both are measured to N-Pog), so APDI moves with A, B and the palatal plane only.
    for facial in (87.0, 95.0):
        r = measure(isbi, skull(facial=facial, pp=pp))["APDI"]
        assert r.value == pytest.approx(69.395 + pp, abs=0.001)
        assert r.class_name == cls


def test_mw_is_the_signed_tip_distance_not_its_x_part(isbi):
    # 3 mm ahead and 4 mm above: the challenge's MW is the whole 5 mm, signed by x.
    ahead = measure(isbi, skull(mw_mm=3.0, overbite_mm=4.0))["MW"]
    behind = measure(isbi, mirrored(skull(mw_mm=-3.0, overbite_mm=4.0)))["MW"]
    assert ahead.value == pytest.approx(5.0) and ahead.class_name == "C4"
    assert behind.value == pytest.approx(-5.0) and behind.class_name == "C3"


def test_draws_each_measurement_and_names_its_landmarks(isbi):
    got = measure(isbi, skull())
    assert got["SNA"].uses == (0, 1, 4)
    assert got["ANB"].uses == (0, 1, 4, 5)
    assert got["ODI"].uses == (2, 3, 4, 5, 7, 9, 16, 17)
    assert len(got["ODI"].lines) == 4 and len(got["APDI"].lines) == 6
    assert got["MW"].lines == ((tuple(skull()[10]), tuple(skull()[11])),)
    assert got["SNA"].normal_range == (79.4, 83.2)


def test_a_missing_landmark_leaves_its_measurements_unclassified(isbi):
    pts = skull()
    pts[4] = np.nan   # A point
    got = measure(isbi, pts)
    for mid in ("SNA", "ANB", "ODI", "APDI"):
        assert math.isnan(got[mid].value) and got[mid].class_name is None
        assert not got[mid].borderline and "missing" in got[mid].note
    assert got["SNB"].class_name == "C1"
