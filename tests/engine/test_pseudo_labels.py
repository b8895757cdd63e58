"""The detector learns from the most trusted share of each landmark's pseudo-labels."""

import numpy as np
import pytest

from engine.data.landmarks import LandmarkTable
from engine.pseudo_labels import trusted


def _pseudo(with_cycle: bool) -> LandmarkTable:
    keys = [f"img{i}" for i in range(5)]
    table = LandmarkTable(("A", "B"), {k: np.full((2, 2), float(i)) for i, k in enumerate(keys)})
    # Landmark A: img3 and img4 least trusted; landmark B: img0 and img1.
    distrust = {"img0": [0, 9], "img1": [1, 8], "img2": [2, 0], "img3": [8, 1], "img4": [9, 2]}
    if with_cycle:
        table.values["cycle_px"] = {k: np.array(v, float) for k, v in distrust.items()}
    table.values["confidence"] = {k: -np.array(v, float) for k, v in distrust.items()}
    return table


@pytest.mark.parametrize("with_cycle", [True, False])
def test_the_least_trusted_are_dropped_per_landmark(with_cycle):
    pseudo = _pseudo(with_cycle)
    kept = trusted(pseudo, 0.75, true_rows=["img2"])  # 3 of the 4 other rows per landmark
    missing = {k: np.isnan(v[:, 0]).tolist() for k, v in kept.points.items()}
    assert missing == {"img0": [False, True], "img1": [False, False], "img2": [False, False],
                       "img3": [False, False], "img4": [True, False]}
    assert not np.isnan(np.stack(list(pseudo.points.values()))).any()   # a copy


def test_keeping_everything_changes_nothing_and_bad_shares_are_refused():
    pseudo = _pseudo(True)
    kept = trusted(pseudo, 1.0, true_rows=[])
    assert all(np.array_equal(kept.points[k], pseudo.points[k]) for k in pseudo.points)
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="keep"):
            trusted(pseudo, bad, true_rows=[])
