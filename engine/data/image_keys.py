"""How landmark rows and the engine's outputs name images: the one rule.

A row's ``image`` cell names the image whose path *ends with* the cell, compared part
by part and ignoring case (leading ``./`` and ``../`` parts are dropped; the last part
may leave out the extension). So a bare file name (``125.jpg`` or ``125``) names an
image by its file name, ``a/img001.png`` also by its folder, and an absolute path only
that file. A cell must name one image: when it names several (two ``img001.png`` in
two folders) that is a :class:`LandmarkFileError` naming both files.

The engine writes images under keys that satisfy the same rule (:func:`image_keys`):
the file name where it is unique among the images, else the path relative to their
common folder, so ISBI-style names stay ``125.jpg`` and twins stay apart.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath

from engine.errors import LandmarkFileError


def _parts(text: str | os.PathLike[str]) -> list[str]:
    """Path parts, case-folded, without the root and without leading ``.``/``..``."""
    raw = str(text).replace("\\", "/").split("/")
    parts = [p.casefold() for p in raw if p not in ("", ".")]
    while parts and parts[0] == "..":
        parts.pop(0)
    return parts


def names_image(cell: str, image: str | os.PathLike[str]) -> bool:
    """Whether a row's ``cell`` names ``image`` (a path, or a key of :func:`image_keys`)."""
    want, have = _parts(cell), _parts(image)
    if not want or len(want) > len(have):
        return False
    tail = have[len(have) - len(want):]
    if tail[:-1] != want[:-1]:
        return False
    last = want[-1]
    return tail[-1] == last or (not PurePath(last).suffix and PurePath(tail[-1]).stem == last)


def match_images(cells: Iterable[str], images: Sequence[Path | str],
                 where: str = "the labels") -> dict[str, Path | str]:
    """``{cell: image}`` for every cell that names one of ``images``; unmatched cells are left
    out. A cell naming several images, or two cells naming one image, is an error."""
    # Candidates by last part and by stem, so large folders are not scanned per cell.
    index: dict[str, list[Path | str]] = {}
    for img in images:
        last = (_parts(img) or [""])[-1]
        index.setdefault(last, []).append(img)
        index.setdefault(PurePath(last).stem, []).append(img)
    out: dict[str, Path | str] = {}
    owner: dict[str, str] = {}
    for cell in cells:
        last = (_parts(cell) or [""])[-1]
        found = list(dict.fromkeys(img for img in index.get(last, []) if names_image(cell, img)))
        if len(found) > 1:
            raise LandmarkFileError(
                f"image '{cell}' in {where} names several images ({found[0]} and {found[1]}"
                f"{' and more' if len(found) > 2 else ''}); write their folders too, "
                "e.g. 'a/img001.png', or full paths")
        if not found:
            continue
        key = str(found[0])
        if key in owner:
            raise LandmarkFileError(
                f"'{owner[key]}' and '{cell}' in {where} both name {found[0]}; keep one")
        owner[key] = cell
        out[cell] = found[0]
    return out


def image_keys(paths: Sequence[Path]) -> list[str]:
    """A key per image: its file name where that is unique (ignoring case), else its path
    relative to the common folder of the clashing images (``a/img001.png``)."""
    paths = [Path(p) for p in paths]
    by_name: dict[str, list[int]] = {}
    for i, p in enumerate(paths):
        by_name.setdefault(p.name.casefold(), []).append(i)
    keys = [p.name for p in paths]
    for group in by_name.values():
        if len(group) < 2:
            continue
        full = [os.path.abspath(paths[i]) for i in group]
        root = os.path.commonpath([os.path.dirname(f) for f in full])
        for i, f in zip(group, full):
            keys[i] = Path(os.path.relpath(f, root)).as_posix()
        for i, f in zip(group, full):
            # a/x.png also ends …/b/a/x.png: such a key would name two images.
            if sum(names_image(keys[i], paths[j]) for j in group) > 1:
                keys[i] = Path(f).as_posix()
    return keys
