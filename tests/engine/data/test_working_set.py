"""The working set: one decode per image; unreadable files raise or are skipped on request."""

import numpy as np
import pytest
import torch

from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.data.working_set import build_working_set
from engine.errors import ImageReadError

CPU = torch.device("cpu")


@pytest.fixture
def folder_with_a_broken_image(tmp_path):
    paths, _ = write_phantom_dataset(tmp_path, 3, PhantomSpec(n_landmarks=2, width=60,
                                                              height=80), seed=3)
    data = paths[1].read_bytes()
    paths[1].write_bytes(data[: len(data) // 3])       # truncated PNG
    return paths


def test_an_unreadable_image_raises_by_default(folder_with_a_broken_image):
    with pytest.raises(ImageReadError, match="phantom_001"):
        build_working_set(folder_with_a_broken_image, 32, CPU)


def test_unreadable_images_can_be_skipped_and_reported(folder_with_a_broken_image):
    skipped = []
    data = build_working_set(folder_with_a_broken_image, 32, CPU, skipped=skipped)
    assert data.keys == ["phantom_000.png", "phantom_002.png"]
    assert data.pixels.shape == (2, 1, 32, 32) and data.sizes == [(60, 80), (60, 80)]
    assert [p.name for p, _ in skipped] == ["phantom_001.png"] and skipped[0][1]


def test_nothing_readable_is_an_error(tmp_path):
    bad = tmp_path / "a.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(ImageReadError, match="none of the 1 image"):
        build_working_set([bad], 32, CPU, skipped=[])


def test_pixels_are_the_area_resized_image(folder_with_a_broken_image):
    data = build_working_set(folder_with_a_broken_image[:1], 32, CPU)
    assert data.pixels.dtype == torch.uint8
    assert 0 < float(data.batch([0]).mean()) < 1 and np.isfinite(data.batch([0]).numpy()).all()
