"""CC2D-TPL targets, loss and network shapes."""

import math

import pytest
import torch

from engine.models.landmark_unet import LandmarkUNet
from engine.tpl.targets import make_targets, tpl_loss


def test_disk_holds_the_lattice_points_within_r():
    heat, _, valid = make_targets(torch.tensor([[[10.0, 12.0]]]), 32, 32, 1, 3.0)
    assert valid.all()
    assert int(heat.sum()) == 29  # Gauss circle: integer points with x² + y² ≤ 9
    assert heat[0, 0, 12, 10] == 1 and heat[0, 0, 12, 13] == 1 and heat[0, 0, 14, 13] == 0


def test_offsets_point_from_the_pixel_to_the_landmark_in_units_of_r():
    heat, off, _ = make_targets(torch.tensor([[[10.25, 12.5]]]), 32, 32, 1, 4.0)
    assert heat[0, 0, 12, 8] == 1
    assert torch.allclose(off[0, 0, :, 12, 8], torch.tensor([2.25 / 4, 0.5 / 4]))
    assert torch.allclose(off[0, 0, :, 14, 11], torch.tensor([-0.75 / 4, -1.5 / 4]))
    assert (off[0, 0, :, 0, 0] == 0).all() and heat[0, 0, 0, 0] == 0


def test_stride_two_cells_are_centred_between_grid_pixels():
    # Cell (row 3, col 5) at stride 2 covers grid pixels 10–11, 6–7: centre (10.5, 6.5).
    heat, off, _ = make_targets(torch.tensor([[[10.5, 6.5]]]), 16, 16, 2, 4.0)
    assert heat[0, 0, 3, 5] == 1 and (off[0, 0, :, 3, 5] == 0).all()
    assert int(heat.sum()) == 13  # cells 2 grid px apart: radius 2 in cells → 13 points


def test_missing_landmark_is_masked_and_outside_landmark_is_background():
    pts = torch.tensor([[[math.nan, math.nan], [-20.0, -20.0], [8.0, 8.0]]])
    heat, off, valid = make_targets(pts, 16, 16, 1, 3.0)
    assert valid.tolist() == [[False, True, True]]
    assert heat[0, :2].sum() == 0 and off[0, :2].abs().sum() == 0 and heat[0, 2].sum() == 29


def _perfect_logits(pts, h, w, stride, radius):
    heat, off, _ = make_targets(pts, h, w, stride, radius)
    return heat * 40 - 20, off


def test_loss_is_zero_for_perfect_outputs_and_positive_otherwise():
    pts = torch.tensor([[[5.0, 6.0], [20.3, 11.7]], [[30.0, 2.0], [math.nan, math.nan]]])
    logits, off = _perfect_logits(pts, 32, 32, 1, 3.0)
    loss, parts = tpl_loss(logits, off, pts, 1, 3.0)
    assert float(loss) < 1e-4 and set(parts) == {"heat", "offset"}
    bad, _ = tpl_loss(logits.flip(-1), off + 0.3, pts, 1, 3.0)
    assert float(bad) > 1.0


def test_loss_gradients_reach_both_heads_but_not_missing_landmarks():
    torch.manual_seed(0)
    pts = torch.tensor([[[5.0, 6.0], [math.nan, math.nan]]])
    logits = torch.randn(1, 2, 16, 16, requires_grad=True)
    off = torch.randn(1, 2, 2, 16, 16, requires_grad=True)
    loss, _ = tpl_loss(logits, off, pts, 1, 3.0)
    loss.backward()
    assert float(loss.detach()) > 0 and torch.isfinite(logits.grad).all()
    assert logits.grad[0, 0].abs().sum() > 0 and off.grad[0, 0].abs().sum() > 0
    assert logits.grad[0, 1].abs().sum() == 0 and off.grad[0, 1].abs().sum() == 0


@pytest.mark.parametrize("stride", [1, 2])
def test_network_gives_heat_and_offsets_per_landmark(stride):
    torch.manual_seed(0)
    net = LandmarkUNet(5, width=0.125, output_stride=stride).eval()
    with torch.no_grad():
        heat, off = net(torch.rand(2, 1, 64, 64))
    side = 64 // stride
    assert heat.shape == (2, 5, side, side) and off.shape == (2, 5, 2, side, side)
    # The heat bias starts at the 1 % prior, so the first loss is not dominated by background.
    assert 0.001 < float(torch.sigmoid(heat).mean()) < 0.1
