"""Landmark tables in the long CSV format: one row per image and landmark.

Columns ``image, landmark, name, x, y``; extra columns are allowed and kept as
named per-point values (e.g. ``confidence``). ``landmark`` is the 1-based index
into the ordered landmark names. Coordinates are pixels of the original image,
origin at the centre of the top-left pixel, x right, y down.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.atomic import atomic_write_text
from engine.errors import LandmarkFileError

REQUIRED_COLUMNS = ("image", "landmark", "x", "y")


@dataclass
class LandmarkTable:
    """Ordered landmark names and, per image, an (N, 2) array of x, y (NaN = missing).

    ``values[column][image]`` holds an (N,) float array for each extra numeric
    column and ``text[column][image]`` an (N,) list for each extra text column.
    """

    names: tuple[str, ...]
    points: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    text: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def n_landmarks(self) -> int:
        return len(self.names)

    def images(self) -> list[str]:
        return list(self.points)

    def get(self, image: str) -> np.ndarray:
        """Points of ``image``; raises LandmarkFileError if it has none."""
        key = find_image_key(self.points, image)
        if key is None:
            named = ", ".join(list(self.points)[:3])
            raise LandmarkFileError(
                f"no landmarks for image '{Path(image).name}' in the labels "
                f"(they name {len(self.points)} image(s), e.g. {named})")
        return self.points[key]

    def complete(self, image: str) -> bool:
        return bool(np.isfinite(self.get(image)).all())


def find_image_key(mapping: Mapping[str, object], image: str) -> str | None:
    """Key of ``image`` in ``mapping``, matching the full name, then the file name, then the stem.

    Labels often name images without their folder or extension ("125" vs "images/125.jpg").
    """
    if image in mapping:
        return image
    name = Path(image).name
    stem = Path(image).stem
    for key in mapping:
        if Path(key).name == name:
            return key
    for key in mapping:
        if Path(key).stem == stem:
            return key
    return None


def _parse_float(text: str, where: str) -> float:
    text = text.strip()
    if text == "" or text.lower() in {"nan", "na", "none"}:
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise LandmarkFileError(f"{where}: '{text}' is not a number") from None


def read_landmark_csv(path: str | os.PathLike) -> LandmarkTable:
    """Read a long-format landmark CSV (``image, landmark, [name,] x, y, ...``)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
            header = list(rows[0].keys()) if rows else []
    except FileNotFoundError:
        raise LandmarkFileError(f"landmark file not found: {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LandmarkFileError(f"cannot read landmark file {path}: {exc}") from None
    if not rows:
        raise LandmarkFileError(f"{path} holds no landmark rows")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise LandmarkFileError(
            f"{path} lacks column(s) {', '.join(missing)}; expected at least "
            f"{', '.join(REQUIRED_COLUMNS)} (found {', '.join(header)})"
        )
    names: dict[int, str] = {}
    parsed: list[tuple[str, int, float, float, dict[str, str]]] = []
    extra_cols = [c for c in header if c not in (*REQUIRED_COLUMNS, "name")]
    for i, row in enumerate(rows, start=2):
        where = f"{path.name} line {i}"
        image = (row["image"] or "").strip()
        if not image:
            raise LandmarkFileError(f"{where}: empty image name")
        try:
            idx = int(str(row["landmark"]).strip())
        except ValueError:
            raise LandmarkFileError(
                f"{where}: landmark '{row['landmark']}' is not an integer") from None
        if idx < 1:
            raise LandmarkFileError(f"{where}: landmark numbers start at 1, got {idx}")
        name = (row.get("name") or "").strip() or f"L{idx}"
        if names.setdefault(idx, name) != name:
            raise LandmarkFileError(
                f"{where}: landmark {idx} is called '{name}' here but '{names[idx]}' before"
            )
        x = _parse_float(row["x"] or "", where)
        y = _parse_float(row["y"] or "", where)
        parsed.append((image, idx, x, y, {c: row.get(c) or "" for c in extra_cols}))
    n = max(names)
    gaps = sorted(set(range(1, n + 1)) - set(names))
    if gaps:
        raise LandmarkFileError(f"{path}: landmark number(s) {gaps} never appear (1..{n} expected)")
    table = LandmarkTable(names=tuple(names[i] for i in range(1, n + 1)))
    numeric = {c for c in extra_cols if all(_is_number(r[4][c]) for r in parsed)}
    for image, idx, x, y, extra in parsed:
        pts = table.points.setdefault(image, np.full((n, 2), np.nan))
        pts[idx - 1] = (x, y)
        for col, val in extra.items():
            if col in numeric:
                arr = table.values.setdefault(col, {}).setdefault(image, np.full(n, np.nan))
                arr[idx - 1] = _parse_float(val, path.name)
            else:
                table.text.setdefault(col, {}).setdefault(image, [""] * n)[idx - 1] = val
    return table


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return text.strip().lower() in {"", "nan", "na", "none"}


def write_landmark_csv(
    path: str | os.PathLike,
    table: LandmarkTable,
    images: Iterable[str] | None = None,
    *,
    with_names: bool = True,
    precision: int = 3,
) -> None:
    """Write ``table`` atomically in long format, extra columns after ``x, y``."""
    cols = ["image", "landmark"] + (["name"] if with_names else []) + ["x", "y"]
    value_cols = list(table.values)
    text_cols = list(table.text)
    lines = [",".join(cols + value_cols + text_cols)]
    for image in images if images is not None else table.images():
        pts = table.points[image]
        for i, name in enumerate(table.names):
            x, y = pts[i]
            row = [_csv_cell(image), str(i + 1)]
            if with_names:
                row.append(_csv_cell(name))
            row += [_fmt(x, precision), _fmt(y, precision)]
            row += [_fmt(table.values[c].get(image, np.full(len(table.names), np.nan))[i], 4)
                    for c in value_cols]
            row += [_csv_cell(table.text[c].get(image, [""] * len(table.names))[i])
                    for c in text_cols]
            lines.append(",".join(row))
    atomic_write_text(Path(path), "\n".join(lines) + "\n")


def _fmt(v: float, precision: int) -> str:
    return "" if not np.isfinite(v) else f"{float(v):.{precision}f}"


def _csv_cell(text: str) -> str:
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text
