"""Improve with my corrections in words: availability and the moved-points summary (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from cc2d_app.logic.refit_summary import (
    MoveSummary,
    improve_availability,
    improved_message,
    labelled_record,
    summarize_moves,
)
from engine.project import Landmark, LandmarkSource

P = LandmarkSource.PREDICTED


def lm(x: float, y: float, conf: float = 0.9) -> Landmark:
    return Landmark(x, y, P, conf)


def test_moves_count_points_beyond_half_a_pixel():
    before = {1: [lm(10, 10), lm(20, 20), None], 2: [lm(5, 5), lm(6, 6), lm(7, 7)],
              3: [lm(1, 1), lm(2, 2), lm(3, 3)]}
    after = {1: [lm(13, 14), lm(20.3, 20.3, 0.2), lm(4, 4)],   # 5 px; 0.42 px; new point
             2: [lm(5, 5), lm(6, 7), lm(7, 7)],                  # 1 px
             3: [lm(1, 1), lm(2, 2), lm(3.5, 3)]}                # exactly 0.5: not moved
    s = summarize_moves(before, after)
    assert s == MoveSummary(images=3, moved_points=2, moved_images=2, median_px=3.0,
                            max_px=5.0, new_points=1)


def test_no_move_and_nothing_to_compare():
    same = {1: [lm(1, 1)]}
    assert summarize_moves(same, same) == MoveSummary(1, 0, 0, None, None, 0)
    assert summarize_moves({}, {}) == MoveSummary(0, 0, 0, None, None, 0)


@pytest.mark.parametrize(("n", "summary", "text"), [
    (3, MoveSummary(147, 412, 147, 1.84, 23.4),
     "Improved with 3 corrected images: 412 points on 147 unreviewed images moved "
     "(median 1.8 px, max 23 px)."),
    (1, MoveSummary(4, 1, 1, 2.0, 2.0, 3),
     "Improved with 1 corrected image: 1 point on 1 unreviewed image moved (median 2.0 px, "
     "max 2.0 px); 3 points predicted for the first time."),
    (2, MoveSummary(5, 0, 0, None, None),
     "Improved with 2 corrected images: no point on the 5 unreviewed images moved by more "
     "than 0.5 px."),
    (2, MoveSummary(0, 0, 0, None, None),
     "Improved with 2 corrected images; every image is reviewed, so no prediction changed."),
])
def test_message(n, summary, text):
    assert improved_message(n, summary) == text


def test_availability_says_why_not():
    assert improve_availability(True, False, 2) == (
        True, "Fine-tune the detector with the 2 images you reviewed and predict the "
              "unreviewed ones again.")
    ok, why = improve_availability(False, False, 2)
    assert not ok and "Train first" in why
    ok, why = improve_availability(True, True, 2)
    assert not ok and "running" in why
    ok, why = improve_availability(True, False, 0)
    assert not ok and "mark it reviewed" in why


def test_labelled_record_matches_run_json(tmp_path):
    from engine.data.template import Template

    t = Template(tmp_path / "a.png", ("A", "B"), np.array([[1.5, 2.0], [3.0, 4.25]]))
    assert labelled_record([t]) == [{"image": str((tmp_path / "a.png").resolve()),
                                     "points": [[1.5, 2.0], [3.0, 4.25]]}]
