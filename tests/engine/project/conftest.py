"""Fixtures for the project-store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from project_helpers import custom_schema, write_png

from engine.project import Project


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    """Four distinct PNGs in ``<tmp>/images`` (beside the project folder)."""
    folder = tmp_path / "images"
    for i in range(4):
        write_png(folder / f"img{i}.png", seed=i, size=(40 + i, 32))
    return folder


@pytest.fixture
def project(tmp_path: Path, image_dir: Path) -> Iterator[Project]:
    """A writable 37-landmark project at ``<tmp>/proj`` holding the four images."""
    with Project.create(tmp_path / "proj", schema=custom_schema()) as proj:
        report = proj.add_images([image_dir])
        assert len(report.added) == 4, report.summary()
        yield proj
