"""Crops of the fine grid: landmarks land where the crop shows them."""

import numpy as np
import pytest
import torch

from engine.refine.config import RefineConfig, profile_config
from engine.refine.crops import crop_middle, crops_at, sample_crops


def test_plain_crop_is_a_window_of_the_image():
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(2, 1, 64, 64, generator=gen)
    centres = torch.tensor([[[20.0, 30.0], [40.0, 10.0]], [[31.5, 31.5], [2.0, 2.0]]])
    crops = crops_at(images, centres, 8)
    assert crops.shape == (4, 1, 8, 8)
    # Centre 31.5 with middle 3.5: the window is exactly pixels 28..35.
    np.testing.assert_allclose(crops[2, 0], images[1, 0, 28:36, 28:36], atol=1e-6)
    # Crop pixel 0 of the last shows image pixel −1.5: outside, so zero.
    assert crops[3, 0, 0, 0] == 0


def test_training_crops_hold_their_landmark_near_the_middle():
    config = RefineConfig(fine_size=64, crop_size=32, shift=4.0, batch_size=32, rotation_deg=0,
                          scale=0.0, jitter=0.0, template_weight=0.5)
    pixels = torch.zeros(3, 1, 64, 64, dtype=torch.uint8)
    labels = torch.tensor([[[10.0, 12.0], [50.0, 40.0]],
                           [[30.0, 30.0], [float("nan"), float("nan")]],
                           [[20.0, 44.0], [44.0, 20.0]]])
    gen = torch.Generator().manual_seed(1)
    crops, points = sample_crops(pixels, labels, torch.tensor([0]), torch.tensor([1, 2]),
                                 config, gen)
    assert crops.shape == (32, 1, 32, 32) and points.shape == (32, 3 - 1, 2)
    # Every crop is centred within ±shift of one of its image's labelled landmarks.
    nearest = (points - crop_middle(32)).abs().amax(-1).nan_to_num(1e9).amin(-1)
    assert (nearest <= 4.0 + 1e-4).all()
    # The missing landmark of image 1 stays missing in its crops.
    assert torch.isnan(points).any()


def test_profiles_and_validation():
    assert profile_config("quick").fine_size % 32 == 0
    assert not profile_config("quick", steps=0).enabled
    # Measured on H100: full-strength refinement from one template hurts, so it is opt-in.
    assert profile_config("quick").enabled and not profile_config("full").enabled
    assert profile_config("full", time_budget_s=45.0).enabled
    with pytest.raises(ValueError):
        RefineConfig(fine_size=64, crop_size=96)
    with pytest.raises(ValueError):
        RefineConfig(template_weight=1.5)
