"""CC2D-TPL voting: known sub-pixel points, batching, fallback and confidences."""

import torch

from engine.tpl.targets import make_targets
from engine.tpl.voting import vote


def _outputs(points, h, w, stride, radius, disk):
    """Logits +5 within ``disk`` of each point (−5 elsewhere) and exact offsets."""
    heat, off, _ = make_targets(points, h, w, stride, disk)
    _, off, _ = make_targets(points, h, w, stride, max(disk, radius))
    return heat * 10 - 5, off * max(disk, radius) / radius


def test_votes_meet_at_a_known_subpixel_point():
    pts = torch.tensor([[[12.3, 7.8], [3.6, 20.1]], [[25.05, 25.95], [0.4, 0.2]]])
    logits, off = _outputs(pts, 32, 32, 1, 4.0, 3.0)
    got, conf = vote(logits, off, 1, 4.0, 32)
    assert (got - pts).abs().max() < 0.05
    assert torch.allclose(conf["vote_share"], torch.ones(2, 2))
    assert torch.allclose(conf["heat_peak"], torch.sigmoid(torch.tensor(5.0)).expand(2, 2))


def test_votes_at_stride_two_land_on_the_full_grid():
    pts = torch.tensor([[[12.3, 7.8], [40.7, 50.2]]])
    logits, off = _outputs(pts, 32, 32, 2, 6.0, 6.0)
    got, _ = vote(logits, off, 2, 6.0, 64)
    assert (got - pts).abs().max() < 0.05


def test_stray_votes_lower_the_vote_share_but_not_the_result():
    pts = torch.tensor([[[12.3, 7.8]]])
    logits, off = _outputs(pts, 32, 32, 1, 4.0, 3.0)
    n_good = int((logits > 0).sum())
    logits[0, 0, 28:30, 28:30] = 5.0  # four pixels voting for themselves
    off[0, 0, :, 28:30, 28:30] = 0.0
    got, conf = vote(logits, off, 1, 4.0, 32)
    assert (got - pts).abs().max() < 0.05
    assert abs(float(conf["vote_share"]) - n_good / (n_good + 4)) < 1e-6


def test_falls_back_to_the_heat_maximum_when_nothing_passes():
    logits = torch.full((1, 2, 16, 16), -6.0)
    logits[0, 0, 9, 5] = -1.0
    logits[0, 1, 2, 11] = -2.0
    off = torch.full((1, 2, 2, 16, 16), 0.7)
    got, conf = vote(logits, off, 1, 4.0, 16)
    assert torch.allclose(got[0], torch.tensor([[5.0, 9.0], [11.0, 2.0]]), atol=0.05)
    assert (conf["vote_share"] == 0).all()
    assert torch.allclose(conf["heat_peak"][0], torch.sigmoid(torch.tensor([-1.0, -2.0])))
