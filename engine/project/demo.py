"""A ready-made demo project built from the engine's phantoms (no download needed).

``<folder>/images`` holds the phantom PNGs and their true positions
(``landmarks.csv``, kept out of the project so that the user annotates the template
by hand); ``<folder>/project`` is a project with all images added and the first
one set as template. No landmark and no pixel spacing is set: the user places the
template's landmarks and may calibrate the spacing on the image.
"""

from __future__ import annotations

import colorsys
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.errors import ProjectError
from engine.project import db as dbm
from engine.project.schema import LandmarkDef, LandmarkSchema
from engine.project.store import Project

IMAGES_DIR = "images"
PROJECT_DIR = "project"
DEMO_SPEC = PhantomSpec(n_landmarks=10, width=480, height=600, size_jitter=0.05)

# What phantom.py draws at landmark i: shape kind i % 4, and where on it the landmark is.
_SHAPES = (("ring", "rings"), ("cross", "crosses"), ("square", "squares"),
           ("triangle", "triangles"))
_SPOTS = (
    "Centre of the ring",
    "Centre of the cross",
    "Top-left corner of the filled square",
    "Top tip of the filled triangle",
)
# Image y points down, so a positive angle turns from "right" towards "down".
_DIRECTIONS = ("right", "down-right", "down", "down-left", "left", "up-left", "up", "up-right")


def create_demo(folder: str | os.PathLike[str], *, n_images: int = 12, seed: int = 0) -> Path:
    """Build the demo in ``folder`` (new or empty) and return its project folder.

    Returns at once when ``folder`` already holds the demo project. The demo is built
    in a hidden sibling folder and renamed into place, so a crash mid-build leaves
    ``folder`` untouched and the next call starts afresh.
    """
    if n_images < 1:
        raise ProjectError(f"a demo needs at least one image, got n_images={n_images}")
    folder = Path(os.path.abspath(folder))
    project_dir = folder / PROJECT_DIR
    if (project_dir / dbm.DB_NAME).is_file():
        return project_dir
    if folder.is_dir() and any(folder.iterdir()):
        raise ProjectError(
            f"cannot build the demo in {folder}: the folder holds other files and no demo "
            "project; choose a new or empty folder"
        )
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{folder.name}.building-", dir=folder.parent))
    except OSError as exc:
        raise ProjectError(f"cannot build the demo in {folder}: {exc.strerror or exc}") from None
    try:
        _build(building, n_images, seed)
        if folder.is_dir():
            folder.rmdir()  # empty, checked above; rename cannot replace it everywhere
        os.rename(building, folder)
    except OSError as exc:
        if (project_dir / dbm.DB_NAME).is_file():
            return project_dir  # another process finished the same demo first
        raise ProjectError(f"cannot build the demo in {folder}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(building, ignore_errors=True)  # gone already after the rename
    return project_dir


def demo_schema(template_points: np.ndarray) -> LandmarkSchema:
    """The "Demo phantom" schema: one landmark per phantom mark (``template_points``:
    their (N, 2) x, y on the template), described by its shape, its spoke and its
    rank from the top among the marks of that shape, so that each is unique."""
    n = len(template_points)
    defs = []
    for i in range(n):
        same = [k for k in range(n) if k % 4 == i % 4]
        rank = sorted(same, key=lambda k: template_points[k][1]).index(i) + 1
        shape, shapes = _SHAPES[i % 4]
        where = (f"{_ordinal(rank)} of the {len(same)} {shapes} from the top"
                 if len(same) > 1 else f"the only {shape}")
        defs.append(LandmarkDef(
            f"Mark {i + 1}",
            abbreviation=f"M{i + 1}",
            color=_color(i),
            description=f"{_SPOTS[i % 4]} with a spoke pointing {_spoke_direction(i)} ({where})",
        ))
    return LandmarkSchema(
        name="Demo phantom",
        landmarks=tuple(defs),
        id="demo_phantom",
        description="Synthetic skull-like phantoms; each landmark sits on a distinct mark.",
    )


def _build(root: Path, n_images: int, seed: int) -> None:
    paths, truth = write_phantom_dataset(root / IMAGES_DIR, n_images, DEMO_SPEC, seed=seed)
    schema = demo_schema(truth.get(paths[0].name))
    with Project.create(root / PROJECT_DIR, schema=schema) as project:
        report = project.add_images(paths)
        if report.failed or report.duplicates:
            raise ProjectError(f"the demo images could not all be added:\n{report.summary()}")
        project.set_template(report.added[0].id)


def _color(i: int) -> str:
    # Golden-ratio hue steps keep neighbouring marks' colours far apart.
    r, g, b = colorsys.hsv_to_rgb((i * 0.618034) % 1.0, 0.75, 0.95)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _spoke_direction(i: int) -> str:
    # phantom.py draws mark i's spoke at i * 2.39996 rad (golden-angle steps).
    degrees = math.degrees(i * 2.39996) % 360
    return _DIRECTIONS[round(degrees / 45) % 8]
