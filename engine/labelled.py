"""Which images carry true labels besides the template: the rows of a landmark table
that name an image and give every landmark (few-shot runs and ``cc2d refit``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.data.header import read_image_size
from engine.data.image_keys import match_images
from engine.data.landmarks import LandmarkTable, points_outside
from engine.errors import LandmarkFileError
from engine.ssl.predict import Template


def labelled_from_table(table: LandmarkTable, images: Sequence[Path],
                        template: Template) -> tuple[list[Template], list[str]]:
    """(labelled images, why other rows were not used) for ``table``'s rows among ``images``.

    Rows are matched to ``images`` by the one rule; the template's own row, rows naming
    no image, and rows lacking a landmark or with one outside the image are left out
    with a reason (a partly corrected image is not a true label for every landmark).
    """
    if table.names != template.names:
        raise LandmarkFileError(
            f"the labels have {table.n_landmarks} landmarks ({', '.join(table.names[:3])}…), "
            f"the run {len(template.names)} ({', '.join(template.names[:3])}…); "
            "use labels of the run's schema")
    matched = match_images(table.points, list(images), "the labels")
    labelled: list[Template] = []
    unused: list[str] = []
    for cell, points in table.points.items():
        path = matched.get(cell)
        if path is None:
            unused.append(f"{cell}: not among the images")
            continue
        path = Path(path)
        if path.resolve() == template.image.resolve():
            continue
        missing = np.flatnonzero(~np.isfinite(points).all(axis=1))
        if len(missing):
            unused.append(f"{cell}: lacks {len(missing)} landmark(s)")
            continue
        outside = points_outside(points, *read_image_size(path))
        if outside:
            unused.append(f"{cell}: {len(outside)} landmark(s) outside the image")
            continue
        labelled.append(Template(path, template.names, np.asarray(points, float).copy()))
    return labelled, unused
