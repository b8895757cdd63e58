"""Which images carry true labels besides the template: the rows of a landmark table
that name an image and give every landmark (few-shot runs and ``cc2d refit``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.data.header import read_image_size
from engine.data.image_keys import image_keys, match_images
from engine.data.landmarks import STAGE_COLUMN, LandmarkTable, points_outside
from engine.data.template import Template
from engine.errors import ImageReadError, LandmarkFileError


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


def check_labelled(truths: Sequence[Template]) -> None:
    """Labelled images share the template's landmarks and are not given twice."""
    seen: set[Path] = set()
    for t in truths:
        if t.names != truths[0].names:
            raise LandmarkFileError(
                f"labelled image {t.image.name} has landmarks {', '.join(t.names[:3])}… but "
                f"the template has {', '.join(truths[0].names[:3])}…; use one schema")
        if t.image.resolve() in seen:
            raise LandmarkFileError(f"{t.image} is given twice as a labelled image")
        seen.add(t.image.resolve())


def template_key(paths: Sequence[Path], keys: Sequence[str], template: Path) -> str | None:
    """The key of the template among ``paths`` (the same file, not just the same name)."""
    wanted = Path(template).resolve()
    return next((k for p, k in zip(paths, keys) if Path(p).resolve() == wanted), None)


def set_template_row(table: LandmarkTable, key: str, points: np.ndarray) -> None:
    """Give the template's row ``key`` (if ``table`` has it) its labels, full confidence and
    ``stage`` "template"."""
    if key not in table.points:
        return
    table.points[key] = np.asarray(points, dtype=np.float64).copy()
    for column in table.values.values():
        column[key] = np.ones(len(points))
    table.text.setdefault(STAGE_COLUMN, {})[key] = ["template"] * len(points)


def with_labelled(images: Sequence[Path], truths: Sequence[Template]
                  ) -> tuple[list[Path], list[str]]:
    """``images`` plus every labelled image not among them, and their keys
    (:func:`engine.data.image_keys.image_keys`); the labelled images are checked first
    (:func:`check_labelled`)."""
    check_labelled(truths)
    paths = [Path(p) for p in images]
    for t in truths:
        if template_key(paths, image_keys(paths), t.image) is None:
            paths.append(t.image)
    return paths, image_keys(paths)


def refuse_unreadable_truths(skipped: Sequence[tuple[Path, str]],
                             truths: Sequence[Template]) -> None:
    """An ImageReadError when the template (``truths[0]``) or a labelled image is among
    the ``skipped`` (path, reason) pairs: a run cannot go on without them."""
    for path, reason in skipped:
        for i, t in enumerate(truths):
            if Path(path).resolve() == t.image.resolve():
                what = "the template" if i == 0 else f"labelled image {Path(path).name}"
                raise ImageReadError(f"{what} cannot be read: {reason}")
