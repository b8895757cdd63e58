"""A labelled image: its path, the landmark names and every landmark's position (the
template of a run, or any other image with true labels). Free of torch, so the project
store, the app and the command line share it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.data.landmarks import LandmarkTable
from engine.errors import LandmarkFileError


@dataclass(frozen=True)
class Template:
    """The one annotated image: its path, the landmark names and (N, 2) x, y in its pixels."""

    image: Path
    names: tuple[str, ...]
    points: np.ndarray

    @classmethod
    def from_table(cls, image: Path, table: LandmarkTable) -> Template:
        """The template's row of ``table``; every landmark must be present."""
        points = table.get(str(image))
        missing = [table.names[i] for i in np.flatnonzero(~np.isfinite(points).all(axis=1))]
        if missing:
            raise LandmarkFileError(
                f"the template {Path(image).name} lacks landmark(s) {', '.join(missing)}; "
                f"a template needs all {table.n_landmarks}"
            )
        return cls(Path(image), table.names, points.copy())
