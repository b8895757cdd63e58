"""The one rule by which landmark rows name images, and the keys the engine writes."""

from pathlib import Path

import pytest

from engine.data.image_keys import image_keys, match_images, names_image
from engine.errors import LandmarkFileError


@pytest.mark.parametrize("cell,image,expected", [
    ("125.jpg", "/data/images/125.jpg", True),
    ("125", "/data/images/125.jpg", True),              # no extension: by stem
    ("125.png", "/data/images/125.jpg", False),
    ("images/125.jpg", "/data/images/125.jpg", True),
    ("IMAGES\\125.JPG", "/data/images/125.jpg", True),  # Windows separators, any case
    ("../images/125.jpg", "/data/images/125.jpg", True),
    ("other/125.jpg", "/data/images/125.jpg", False),
    ("/data/images/125.jpg", "/data/images/125.jpg", True),
    ("/elsewhere/images/125.jpg", "/data/images/125.jpg", False),
    ("a/img001.png", "a/img001.png", True),             # a key of image_keys names itself
    ("", "/data/images/125.jpg", False),
])
def test_a_cell_names_the_image_whose_path_ends_with_it(cell, image, expected):
    assert names_image(cell, image) is expected


def test_twins_need_their_folders_and_a_bare_name_is_an_error_naming_both():
    twins = [Path("/d/a/img001.png"), Path("/d/b/img001.png"), Path("/d/c/other.png")]
    got = match_images(["a/img001.png", "b/img001.png", "other.png", "absent.png"], twins)
    assert got == {"a/img001.png": twins[0], "b/img001.png": twins[1], "other.png": twins[2]}
    with pytest.raises(LandmarkFileError, match="/d/a/img001.png and /d/b/img001.png"):
        match_images(["img001.png"], twins)


def test_two_cells_naming_one_image_are_refused():
    with pytest.raises(LandmarkFileError, match="'125' and '125.jpg' .* both name"):
        match_images(["125", "125.jpg"], [Path("/d/125.jpg")])


def test_keys_are_file_names_unless_they_clash():
    paths = [Path("/d/x/a/img001.png"), Path("/d/x/b/img001.png"), Path("/d/y/125.jpg")]
    assert image_keys(paths) == ["a/img001.png", "b/img001.png", "125.jpg"]
    # Every key names its own image and no other, by the same rule.
    for key, path in zip(image_keys(paths), paths):
        assert [p for p in paths if names_image(key, p)] == [path]


def test_a_key_that_would_also_end_a_deeper_twin_becomes_the_full_path():
    paths = [Path("/d/a/x.png"), Path("/d/b/a/x.png"), Path("/d/c/x.png")]
    keys = image_keys(paths)
    assert keys[2] == "c/x.png" and keys[0] == "/d/a/x.png" and keys[1] == "b/a/x.png"
    for key, path in zip(keys, paths):
        assert [p for p in paths if names_image(key, p)] == [path]
