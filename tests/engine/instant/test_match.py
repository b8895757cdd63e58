"""Matching on feature maps: peaks below a cell, restricted searches, confidences."""

import numpy as np
import torch
import torch.nn.functional as F

from engine.instant.match import FINEST, peaks, sample_vectors, score_maps


def _cell_centre(u):
    return (u + 0.5) * FINEST - 0.5


def test_a_single_peak_is_found_at_its_cell_with_high_confidence():
    scores = torch.full((1, 20, 30), -50.0)
    scores[0, 7, 11] = 50.0
    points, conf = peaks(scores)
    np.testing.assert_allclose(points[0].numpy(), [_cell_centre(11), _cell_centre(7)])
    assert conf[0] > 0.99


def test_the_position_falls_between_two_equal_cells():
    scores = torch.full((1, 10, 10), -50.0)
    scores[0, 4, 4] = scores[0, 4, 5] = 10.0
    points, _ = peaks(scores)
    np.testing.assert_allclose(points[0].numpy(), [_cell_centre(4.5), _cell_centre(4)],
                               atol=1e-4)


def test_a_flat_map_has_low_confidence_and_a_peak_at_the_border_stays_inside():
    flat, _ = peaks(torch.zeros(1, 8, 8))
    _, conf = peaks(torch.zeros(1, 8, 8))
    assert conf[0] < 0.5 and np.isfinite(flat.numpy()).all()
    scores = torch.zeros(1, 8, 8)
    scores[0, 0, 0] = 30.0
    points, conf = peaks(scores)
    np.testing.assert_allclose(points[0].numpy(), [_cell_centre(0), _cell_centre(0)], atol=1e-3)
    assert conf[0] <= 1.0


def test_a_restricted_search_ignores_a_higher_peak_far_away():
    scores = torch.zeros(1, 20, 20)
    scores[0, 2, 2] = 40.0             # the look-alike
    scores[0, 15, 15] = 20.0           # the right structure, near the fitted shape
    centre = torch.tensor([[_cell_centre(14), _cell_centre(14)]])
    points, _ = peaks(scores, centre, radius_px=3 * FINEST)
    np.testing.assert_allclose(points[0].numpy(), [_cell_centre(15), _cell_centre(15)],
                               atol=0.5)
    everywhere, _ = peaks(scores)
    np.testing.assert_allclose(everywhere[0].numpy(), [_cell_centre(2), _cell_centre(2)],
                               atol=0.5)


def test_a_vector_sampled_at_a_cell_matches_that_cell_on_every_level():
    gen = torch.Generator().manual_seed(1)
    grid = (64, 96)                                # (w, h) grid pixels
    maps = [F.normalize(torch.randn(8, 96 // s, 64 // s, generator=gen), dim=0)
            for s in (4, 8, 16, 32)]
    target = np.array([[_cell_centre(5), _cell_centre(13)]])   # a finest-level cell centre
    vectors = sample_vectors(maps, target, grid)
    torch.testing.assert_close(vectors[0][0], maps[0][:, 13, 5])
    points, _ = peaks(score_maps(maps[:1], vectors[:1], 0.1))
    np.testing.assert_allclose(points.numpy(), target, atol=FINEST / 2)
