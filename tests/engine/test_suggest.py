"""Template suggestion: the folder's most typical image first, an odd one last, bad files
reported, and the ``cc2d suggest-template`` command around it."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.cli.main import main
from engine.errors import CancelledError, CC2DError
from engine.suggest import rank_templates, thumbnail_vector

WIDTH, HEIGHT = 80, 100


def smooth_field(rng: np.random.Generator, cells: tuple[int, int] = (10, 8)) -> np.ndarray:
    """A seeded blob pattern, float32, zero mean and unit std, HEIGHT × WIDTH."""
    field = cv2.resize(rng.normal(size=cells).astype(np.float32), (WIDTH, HEIGHT),
                       interpolation=cv2.INTER_CUBIC)
    return (field - field.mean()) / field.std()


def write_grey(path: Path, values: np.ndarray) -> Path:
    cv2.imwrite(str(path), np.clip(128 + 40 * values, 0, 255).astype(np.uint8))
    return path


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A clean anatomy, six noisy copies of it (one at twice the size) and one stranger.

    The clean image is nearest to every copy (they differ from it by their own noise
    only, from each other by two noises), so it is the most representative."""
    rng = np.random.default_rng(7)
    anatomy = smooth_field(rng)
    write_grey(tmp_path / "clean.png", anatomy)
    for k in range(6):
        copy = anatomy + 0.6 * smooth_field(rng, (20, 16))
        if k == 3:  # the same anatomy at another resolution must still look alike
            copy = cv2.resize(copy, (2 * WIDTH, 2 * HEIGHT), interpolation=cv2.INTER_CUBIC)
        write_grey(tmp_path / f"copy_{k}.png", copy)
    write_grey(tmp_path / "stranger.png", smooth_field(np.random.default_rng(99)))
    return tmp_path


def images(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png"))


def test_typical_image_first_outlier_last(folder):
    ranking = rank_templates(images(folder))
    names = [r.path.name for r in ranking.ranked]
    assert len(names) == 8 and not ranking.skipped
    assert names[0] == "clean.png" and ranking.best == folder / "clean.png"
    assert names[-1] == "stranger.png"
    scores = [r.score for r in ranking.ranked]
    assert scores == sorted(scores)
    # The stranger is unrelated (distance near √2), the copies close.
    assert scores[-1] > 1.2 > 0.8 > scores[-2]
    assert ranking.seconds > 0


def test_brightness_and_contrast_do_not_count(tmp_path):
    values = smooth_field(np.random.default_rng(3))
    a = write_grey(tmp_path / "a.png", values)
    b = write_grey(tmp_path / "b.png", 0.5 * values + 0.8)  # brighter, half the contrast
    assert float(thumbnail_vector(a) @ thumbnail_vector(b)) > 0.99


def test_unreadable_and_blank_files_are_skipped_and_reported(folder):
    (folder / "broken.png").write_text("not an image")
    cv2.imwrite(str(folder / "blank.png"), np.full((HEIGHT, WIDTH), 90, np.uint8))
    ranking = rank_templates(images(folder))
    assert len(ranking.ranked) == 8 and ranking.best.name == "clean.png"
    reasons = dict(ranking.skipped)
    assert set(reasons) == {folder / "blank.png", folder / "broken.png"}
    assert "blank" in reasons[folder / "blank.png"]
    assert "broken.png" in reasons[folder / "broken.png"]


def test_fewer_than_two_readable_images_is_an_error(folder):
    (folder / "broken.png").write_text("not an image")
    with pytest.raises(CC2DError, match="at least 2 readable images; 1 of 2"):
        rank_templates([folder / "clean.png", folder / "broken.png"])
    with pytest.raises(CC2DError, match="at least 2"):
        rank_templates([])


def test_progress_and_cancel(folder):
    reports = []
    rank_templates(images(folder), progress=reports.append)
    assert reports and (reports[-1].step, reports[-1].total) == (8, 8)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        rank_templates(images(folder), cancel=cancel)


def test_cli_prints_the_ranking_and_writes_json(folder, tmp_path, capsys):
    (folder / "broken.png").write_text("not an image")
    out = tmp_path / "out" / "ranking.json"
    assert main(["suggest-template", "--images", str(folder), "--top", "3",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Suggested template: clean.png (the most representative of 8 images" in printed
    assert "and 5 more" in printed and "stranger.png" not in printed
    assert "1 file(s) skipped" in printed and "broken.png:" in printed
    data = json.loads(out.read_text())
    assert data["suggested"] == str(folder / "clean.png")
    assert [r["rank"] for r in data["ranked"]] == list(range(1, 9))
    assert data["ranked"][-1]["image"] == str(folder / "stranger.png")
    assert data["skipped"][0]["image"] == str(folder / "broken.png")


def test_cli_refuses_a_folder_with_one_image(tmp_path, capsys):
    write_grey(tmp_path / "only.png", smooth_field(np.random.default_rng(1)))
    assert main(["suggest-template", "--images", str(tmp_path)]) == 2
    assert "at least 2 readable images" in capsys.readouterr().err
