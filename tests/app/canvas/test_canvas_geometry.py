"""Pure canvas arithmetic; no Qt."""

import math
import subprocess
import sys

import pytest

from cc2d_app.canvas.geometry import (
    centre_after_zoom,
    clamp_to_image,
    fit_scale,
    inside_image,
    label_offsets,
    nearest_landmark,
    nice_scale_bar,
    nudge,
    spacing_from_line,
    window_after_drag,
    zoom_about,
)


def test_nearest_landmark_within_eps_skips_unplaced():
    points = [None, (10.0, 10.0), (14.0, 10.0), None]
    assert nearest_landmark(points, (13.0, 10.0), 8.0) == 2
    assert nearest_landmark(points, (10.5, 10.0), 8.0) == 1
    assert nearest_landmark(points, (30.0, 10.0), 8.0) is None
    assert nearest_landmark([None, None], (0.0, 0.0), 8.0) is None


def test_nearest_landmark_tie_goes_to_lowest_index():
    points = [(0.0, 0.0), (4.0, 0.0), (2.0, 0.0)]
    assert nearest_landmark(points, (2.0, 0.0), 8.0) == 2
    assert nearest_landmark([(0.0, 0.0), (4.0, 0.0)], (2.0, 0.0), 8.0) == 0
    assert nearest_landmark([(8.0, 0.0)], (0.0, 0.0), 8.0) == 0


def test_zoom_about_clamps():
    assert zoom_about(1.0, 1.25, 0.02, 40.0) == pytest.approx(1.25)
    assert zoom_about(39.0, 1.25, 0.02, 40.0) == 40.0
    assert zoom_about(0.021, 0.8, 0.02, 40.0) == 0.02


@pytest.mark.parametrize("factor", [1.25, 0.8, 1.25**3])
def test_centre_after_zoom_keeps_the_anchor_on_screen(factor):
    centre, anchor, old = (150.0, 100.0), (40.0, 170.0), 2.0
    new = old * factor
    new_centre = centre_after_zoom(centre, anchor, old, new)

    def screen(p, c, s):
        return ((p[0] - c[0]) * s, (p[1] - c[1]) * s)

    before = screen(anchor, centre, old)
    after = screen(anchor, new_centre, new)
    assert after == pytest.approx(before)


def test_fit_scale_uses_the_tighter_side():
    assert fit_scale(300, 200, 600, 500, margin=0.0) == pytest.approx(2.0)
    assert fit_scale(200, 300, 600, 500, margin=0.0) == pytest.approx(500 / 300)
    assert fit_scale(300, 200, 600, 500) < 2.0
    with pytest.raises(ValueError):
        fit_scale(0, 200, 600, 500)


def test_nice_scale_bar_picks_1_2_5_lengths():
    assert nice_scale_bar(0.1, 100) == pytest.approx((10.0, 100.0))
    assert nice_scale_bar(0.1, 99) == pytest.approx((5.0, 50.0))
    assert nice_scale_bar(0.3, 100) == pytest.approx((20.0, 20 / 0.3))
    assert nice_scale_bar(0.006, 100) == pytest.approx((0.5, 0.5 / 0.006))
    for mm_per_px in (0.013, 0.27, 3.3, 41.0):
        mm, px = nice_scale_bar(mm_per_px, 120)
        mantissa = mm / 10 ** math.floor(math.log10(mm))
        assert round(mantissa, 6) in (1.0, 2.0, 5.0)
        assert 120 / 2.5 - 1e-9 <= px <= 120 + 1e-9
    with pytest.raises(ValueError):
        nice_scale_bar(0.0, 100)


def test_window_after_drag_horizontal_width_vertical_centre():
    assert window_after_drag(100.0, 50.0, 10, 0, 1000.0) == pytest.approx((100.0, 70.0))
    assert window_after_drag(100.0, 50.0, 0, -5, 1000.0) == pytest.approx((90.0, 50.0))
    assert window_after_drag(100.0, 50.0, -1000, 0, 1000.0) == pytest.approx((100.0, 1.0))
    with pytest.raises(ValueError):
        window_after_drag(100.0, 50.0, 1, 1, 0.0)


def test_spacing_from_line():
    assert spacing_from_line(0, 0, 30, 40, 5.0) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        spacing_from_line(3, 4, 3, 4, 5.0)
    with pytest.raises(ValueError):
        spacing_from_line(0, 0, 10, 0, 0.0)
    with pytest.raises(ValueError):
        spacing_from_line(0, 0, 10, 0, -2.0)


def test_nudge_steps_and_clamps():
    assert nudge(10.0, 10.0, 1, 0, False, 300, 200) == (11.0, 10.0)
    assert nudge(10.0, 10.0, 0, -1, True, 300, 200) == (10.0, 0.0)
    assert nudge(5.0, 195.0, -1, 1, True, 300, 200) == (-0.5, 199.5)
    assert nudge(299.0, 3.0, 1, 0, True, 300, 200) == (299.5, 3.0)


def test_image_bounds():
    assert inside_image(-0.5, 199.5, 300, 200)
    assert not inside_image(-0.6, 10, 300, 200)
    assert not inside_image(10, 199.6, 300, 200)
    assert clamp_to_image(-3.0, 250.0, 300, 200) == (-0.5, 199.5)


def boxes_overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_labels_go_right_unless_they_would_hide_another_point():
    size = (24.0, 12.0)
    alone = label_offsets([(100.0, 100.0), None], [size, size], ring=7.0)
    assert alone[0] == (11.0, -6.0)
    # Three points a few px apart (incisor tips at fit zoom): no label covers another
    # label or another point's ring.
    points = [(100.0, 100.0), (104.0, 101.0), (101.0, 106.0)]
    offsets = label_offsets(points, [size] * 3, ring=7.0)
    labels = [(x + dx, y + dy, x + dx + size[0], y + dy + size[1])
              for (x, y), (dx, dy) in zip(points, offsets)]
    rings = [(x - 7, y - 7, x + 7, y + 7) for x, y in points]
    for i, label in enumerate(labels):
        assert not any(boxes_overlap(label, other) for j, other in enumerate(labels) if j != i)
    assert not boxes_overlap(labels[0], rings[1]) and not boxes_overlap(labels[1], rings[0])


def test_geometry_needs_no_qt():
    code = (
        "import sys, cc2d_app.canvas.geometry; "
        "sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
