"""Annotated PNGs for a report: each radiograph with its landmarks and their labels drawn.

Drawn with OpenCV on the image as the viewer shows it by default (its first window
preset), at the image's own size, so a point sits on the pixel it names.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from engine.atomic import atomic_write_bytes
from engine.data.display import load_display, render_window
from engine.errors import CC2DError, ProjectError
from engine.project.export import (
    ImageIds,
    collect,
    output_folder,
    project_guard,
    unique_stem,
    write_error,
)
from engine.project.model import Landmark
from engine.project.schema import LandmarkSchema
from engine.project.store import Project

# Used where a schema landmark has no colour of its own (BGR order is handled below).
FALLBACK = "#4a90e2"


def _bgr(color: str | None) -> tuple[int, int, int]:
    c = (color or FALLBACK).lstrip("#")
    return int(c[4:6], 16), int(c[2:4], 16), int(c[0:2], 16)


def draw_landmarks(grey: np.ndarray, landmarks: Sequence[Landmark | None],
                   schema: LandmarkSchema) -> np.ndarray:
    """A BGR copy of ``grey`` (uint8) with a ring, a centre dot and a label per landmark."""
    out = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    size = max(grey.shape)
    # Sizes scale with the image so labels stay legible on a 2400-px radiograph and a phantom.
    radius = max(3, round(size / 180))
    thick = max(1, round(size / 900))
    font = max(0.35, size / 2400)
    shift = 4  # sub-pixel drawing: coordinates in 1/16 px
    placed = [(i, lm, _bgr(schema.landmarks[i].color)) for i, lm in enumerate(landmarks)
              if lm is not None]
    for i, lm, colour in placed:  # labels first, so no label ever hides a point
        at = (round(lm.x + radius * 1.6), round(lm.y + radius * 0.6))
        label = schema.label(i)
        cv2.putText(out, label, at, cv2.FONT_HERSHEY_SIMPLEX, font, (0, 0, 0), thick + 3,
                    cv2.LINE_AA)
        cv2.putText(out, label, at, cv2.FONT_HERSHEY_SIMPLEX, font, colour, thick, cv2.LINE_AA)
    for _i, lm, colour in placed:
        centre = (round(lm.x * 16), round(lm.y * 16))
        cv2.circle(out, centre, (radius + thick) * 16, (0, 0, 0), thick + 2, cv2.LINE_AA, shift)
        cv2.circle(out, centre, radius * 16, colour, thick, cv2.LINE_AA, shift)
        cv2.circle(out, centre, max(1, thick) * 16, colour, -1, cv2.LINE_AA, shift)
    return out


def export_annotated(project: Project, folder: str | os.PathLike[str],
                     image_ids: ImageIds = None) -> list[Path]:
    """One ``<image>_landmarks.png`` per image into ``folder``; returns the paths written.

    An image whose file cannot be read any more is reported by a ProjectError naming it
    after the others were written.
    """
    folder = output_folder(Path(folder))
    written: list[Path] = []
    used: set[str] = set()
    unreadable: list[str] = []
    guard = project_guard(project)
    for item in collect(project, image_ids):
        rec = item.record
        try:
            image = load_display(rec.path)
        except CC2DError as exc:
            unreadable.append(f"{rec.name}: {exc}")
            continue
        preset = image.presets[0]
        grey = render_window(image.values, preset.centre, preset.width, image.invert)
        name = unique_stem(rec, used)
        ok, buf = cv2.imencode(".png", draw_landmarks(grey, item.landmarks, project.schema))
        if not ok:
            raise ProjectError(f"could not encode the annotated image of {rec.name}")
        path = folder / f"{name}_landmarks.png"
        guard.check(path)
        try:
            atomic_write_bytes(path, buf.tobytes())
        except OSError as exc:
            raise write_error(path, exc) from None
        written.append(path)
    if unreadable:
        raise ProjectError(
            f"{len(written)} annotated image(s) written to {folder}; {len(unreadable)} could "
            "not be read (moved? cc2d project status PROJECT --search FOLDER --relocate): "
            + "; ".join(unreadable))
    return written
