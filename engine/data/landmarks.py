"""Landmark tables in the long CSV format: one row per image and landmark.

Columns ``image, landmark, name, x, y``; extra columns are allowed and kept as
named per-point values (e.g. ``confidence``). ``landmark`` is the 1-based index
into the ordered landmark names. Coordinates are pixels of the original image,
origin at the centre of the top-left pixel, x right, y down.

Which image a row belongs to follows one rule everywhere (:mod:`engine.data.image_keys`):
the ``image`` cell names the image whose path ends with it, part by part, ignoring
case; a bare name (``125.jpg``, or ``125``) therefore matches by file name, and only
while that name is unique among the images; ``a/img001.png`` or an absolute path tell
twins apart. A cell naming two images is an error that names both. Tables the engine
writes use such keys: the file name, or the path from the common folder where names
clash.

The ``stage`` text column says which step gave a point (``template``, ``tpl``,
``refined``); ``source`` uses the project's vocabulary (``template``, ``predicted``,
``corrected``); :mod:`engine.project.sources` converts between them.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.atomic import atomic_write_text
from engine.data.csv_cells import formula_safe, from_cell, number_text
from engine.data.image_keys import names_image
from engine.errors import LandmarkFileError
from engine.output_paths import special_kind

REQUIRED_COLUMNS = ("image", "landmark", "x", "y")
STAGE_COLUMN = "stage"
SOURCE_COLUMN = "source"


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

    def get(self, image: str | os.PathLike[str]) -> np.ndarray:
        """Points of ``image`` (a path or key), by the module's one rule; LandmarkFileError
        if no row, or more than one of the table's images, names it."""
        return self.points[self.key_of(image)]

    def key_of(self, image: str | os.PathLike[str]) -> str:
        """The table's key that names ``image`` (see :mod:`engine.data.image_keys`)."""
        if str(image) in self.points:
            return str(image)
        found = [key for key in self.points if names_image(key, image)]
        if len(found) > 1:
            raise LandmarkFileError(
                f"rows '{found[0]}' and '{found[1]}' of the labels both name {image}; "
                "write the image's folder or full path in the labels")
        if not found:
            named = ", ".join(list(self.points)[:3])
            raise LandmarkFileError(
                f"no landmarks for image '{image}' in the labels "
                f"(they name {len(self.points)} image(s), e.g. {named})")
        return found[0]

    def complete(self, image: str) -> bool:
        return bool(np.isfinite(self.get(image)).all())


# A landmark number is an index into names; a typo (100000000) must not size arrays.
MAX_LANDMARKS = 10_000


def _parse_float(text: str, where: str) -> float:
    text = text.strip()
    if text == "" or text.lower() in {"nan", "na", "none"}:
        return math.nan
    try:
        value = number_text(text)
    except ValueError:
        raise LandmarkFileError(f"{where}: '{text}' is not a number") from None
    if not math.isfinite(value):
        raise LandmarkFileError(f"{where}: '{text}' is not a finite number; leave it empty "
                                "for a missing landmark")
    return value


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and ``(line, row)`` pairs; a row with more or fewer cells than the header
    is an error naming its line (trailing empty cells, as spreadsheets add, are allowed)."""
    kind = special_kind(path)
    if kind is not None and kind != "a folder":   # opening a pipe would block for ever
        raise LandmarkFileError(f"{path} is {kind}, not a landmark CSV")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = [c.strip() for c in next(reader, [])]
            rows = []
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue  # blank line
                where = f"{path.name} line {reader.line_num}"
                while len(cells) > len(header) and not cells[-1].strip():
                    cells = cells[:-1]
                if len(cells) != len(header):
                    raise LandmarkFileError(
                        f"{where} has {len(cells)} field(s), the header {len(header)} "
                        f"({', '.join(header)}); check for a missing or extra comma")
                rows.append((reader.line_num, dict(zip(header, map(from_cell, cells)))))
    except FileNotFoundError:
        raise LandmarkFileError(f"landmark file not found: {path}") from None
    except IsADirectoryError:
        raise LandmarkFileError(f"{path} is a folder, not a landmark CSV") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LandmarkFileError(f"cannot read landmark file {path}: {exc}") from None
    if len(set(header)) != len(header):
        raise LandmarkFileError(f"{path}: the header names a column twice ({', '.join(header)})")
    return header, rows


def read_landmark_csv(path: str | os.PathLike) -> LandmarkTable:
    """Read a long-format landmark CSV (``image, landmark, [name,] x, y, ...``).

    Refused with a :class:`LandmarkFileError` naming the line: a row whose field count
    differs from the header's, a landmark number outside 1..``MAX_LANDMARKS``, an
    (image, landmark) pair given twice, a coordinate that is not a finite number.
    """
    path = Path(path)
    header, rows = _read_rows(path)
    if not rows:
        raise LandmarkFileError(f"{path} holds no landmark rows")
    # The project export names its pixel columns x_px, y_px (beside x_mm, y_mm).
    xcol, ycol = ("x_px", "y_px") if "x" not in header and "x_px" in header else ("x", "y")
    missing = [c for c in ("image", "landmark", xcol, ycol) if c not in header]
    if missing:
        raise LandmarkFileError(
            f"{path} lacks column(s) {', '.join(missing)}; expected at least "
            f"{', '.join(REQUIRED_COLUMNS)} (found {', '.join(header)})"
        )
    names: dict[int, str] = {}
    parsed: list[tuple[str, int, float, float, dict[str, str]]] = []
    first_line: dict[tuple[str, int], int] = {}
    extra_cols = [c for c in header if c not in ("image", "landmark", xcol, ycol, "name")]
    for line, row in rows:
        where = f"{path.name} line {line}"
        image = row["image"].strip()
        if not image:
            raise LandmarkFileError(f"{where}: empty image name")
        try:
            idx = int(row["landmark"].strip())
        except ValueError:
            raise LandmarkFileError(
                f"{where}: landmark '{row['landmark']}' is not an integer") from None
        if not 1 <= idx <= MAX_LANDMARKS:
            raise LandmarkFileError(
                f"{where}: landmark number {idx} is outside 1..{MAX_LANDMARKS}")
        if (image, idx) in first_line:
            raise LandmarkFileError(
                f"{where}: landmark {idx} of '{image}' is given again (first on line "
                f"{first_line[image, idx]}); keep one row per image and landmark")
        first_line[image, idx] = line
        name = (row.get("name") or "").strip() or f"L{idx}"
        if names.setdefault(idx, name) != name:
            raise LandmarkFileError(
                f"{where}: landmark {idx} is called '{name}' here but '{names[idx]}' before"
            )
        x = _parse_float(row[xcol], where)
        y = _parse_float(row[ycol], where)
        parsed.append((image, idx, x, y, {c: row[c] for c in extra_cols}))
    n = max(names)
    if len(names) != n:
        gaps = sorted(set(range(1, n + 1)) - set(names))
        shown = ", ".join(map(str, gaps[:10])) + (", ..." if len(gaps) > 10 else "")
        raise LandmarkFileError(
            f"{path}: {len(gaps)} landmark number(s) never appear ({shown}; 1..{n} expected)")
    table = LandmarkTable(names=tuple(names[i] for i in range(1, n + 1)))
    numeric = {c for c in extra_cols if all(_is_number(r[4][c]) for r in parsed)}
    for image, idx, x, y, extra in parsed:
        pts = table.points.setdefault(image, np.full((n, 2), np.nan))
        pts[idx - 1] = (x, y)
        for col, val in extra.items():
            if col in numeric:
                arr = table.values.setdefault(col, {}).setdefault(image, np.full(n, np.nan))
                arr[idx - 1] = _parse_value(val)
            else:
                table.text.setdefault(col, {}).setdefault(image, [""] * n)[idx - 1] = val
    return table


def _parse_value(text: str) -> float:
    """An extra numeric column's cell; unlike coordinates, inf is kept (a raw score may be)."""
    text = text.strip()
    return math.nan if text == "" or text.lower() in {"nan", "na", "none"} else float(text)


def points_outside(points: np.ndarray, width: int, height: int) -> list[int]:
    """Indices of finite points outside an image of ``width`` × ``height`` pixels.

    The image spans -0.5 .. width - 0.5 (origin at the centre of the top-left pixel).
    """
    x, y = points[:, 0], points[:, 1]
    with np.errstate(invalid="ignore"):
        out = (x < -0.5) | (x > width - 0.5) | (y < -0.5) | (y > height - 0.5)
    return [int(i) for i in np.flatnonzero(out & np.isfinite(points).all(axis=1))]


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
    text = formula_safe(text)
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text
