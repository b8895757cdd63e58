"""engine.geometry.Similarity: images and points move together, and points come back."""

import math

import pytest
import torch

from engine.geometry import Similarity


def _random(seed, b=5, size=48):
    gen = torch.Generator().manual_seed(seed)
    source = torch.rand(b, 2, generator=gen) * 80
    output = torch.rand(b, 2, generator=gen) * (size - 1)
    return Similarity.draw(gen, source, output, size, rotation_deg=45.0, scale=0.3,
                           translate=0.1)


@pytest.mark.parametrize("seed", range(4))
def test_apply_then_invert_returns_the_points(seed):
    move = _random(seed)
    points = torch.rand(5, 9, 2, generator=torch.Generator().manual_seed(seed + 10)) * 100
    torch.testing.assert_close(move.invert_points(move.apply_to_points(points)), points,
                               atol=1e-4, rtol=0)
    torch.testing.assert_close(move.apply_to_points(move.invert_points(points)), points,
                               atol=1e-4, rtol=0)


@pytest.mark.parametrize("angle_deg, zoom, shift", [(0.0, 1.0, (0.0, 0.0)),
                                                    (30.0, 1.0, (2.0, -3.0)),
                                                    (-20.0, 1.2, (0.0, 4.5)),
                                                    (75.0, 0.8, (-1.5, 1.0))])
def test_a_bright_pixel_lands_where_apply_to_points_says(angle_deg, zoom, shift):
    image = torch.zeros(1, 1, 96, 96)
    image[0, 0, 40, 50] = 1.0                               # x 50, y 40
    move = Similarity(torch.tensor([math.radians(angle_deg)]), torch.tensor([zoom]),
                      torch.tensor([[46.0, 43.0]]), torch.tensor([[15.5, 15.5]]),
                      torch.tensor([shift]), 32)
    out = move.apply_to_images(image)[0, 0]
    peak = int(torch.argmax(out))
    expected = move.apply_to_points(torch.tensor([[[50.0, 40.0]]]))[0, 0]
    assert abs(peak % 32 - expected[0]) <= 1 and abs(peak // 32 - expected[1]) <= 1
    # The output pixel nearest the bright one shows (close to) it again.
    back = move.invert_points(expected.round()[None, None])[0, 0]
    assert (back - torch.tensor([50.0, 40.0])).abs().max() <= 1.0


def test_identity_parameters_give_the_identity():
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(2, 3, 32, 32, generator=gen)
    centre = torch.full((2, 2), 15.5)
    move = Similarity.draw(gen, centre, centre, 32, rotation_deg=0.0)
    assert torch.equal(move.zoom, torch.ones(2)) and torch.equal(move.shift, torch.zeros(2, 2))
    torch.testing.assert_close(move.apply_to_images(images), images, atol=1e-5, rtol=0)
    points = torch.tensor([[[3.0, 4.0], [math.nan, math.nan]]]).expand(2, 2, 2)
    moved = move.apply_to_points(points)
    assert torch.equal(moved[:, 0], points[:, 0]) and moved[:, 1].isnan().all()
    assert torch.equal(move.invert_points(points[:, :1]), points[:, :1])


def test_draw_takes_its_numbers_in_a_fixed_order_and_only_those_it_needs():
    centre = torch.zeros(3, 2)
    gen = torch.Generator().manual_seed(7)
    rotation_only = Similarity.draw(gen, centre, centre, 16, rotation_deg=10.0)
    after_rotation = torch.rand(1, generator=gen)
    gen = torch.Generator().manual_seed(7)
    full = Similarity.draw(gen, centre, centre, 16, rotation_deg=10.0, scale=0.0, translate=0.0)
    assert torch.equal(rotation_only.angle, full.angle)
    # scale=0.0 and translate=0.0 still draw (one number per sample, then two).
    assert not torch.equal(torch.rand(1, generator=gen), after_rotation)
    assert torch.equal(full.zoom, torch.ones(3))
    assert torch.equal(full.shift.abs(), torch.zeros(3, 2))
