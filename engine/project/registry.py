"""Radiograph files referenced by a project: paths, content hashes, reading, checking.

Images are never copied. A path inside the project's parent folder is stored
relative to the project folder (``../images/001.jpg``) so that the project and
its images can move together; anything else is stored absolute. The sha256 of
the file identifies it: duplicates are refused and moved files found again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from engine.data.header import read_image_size
from engine.data.images import MAX_PIXELS, is_image_file, load_image, scan_folder
from engine.errors import ImageReadError
from engine.project.model import ImageCheck, ImageRecord, ReviewStatus, SkippedFile

_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MiB chunks (radiographs can be hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store_path(folder: Path, path: Path) -> str:
    """The text stored for ``path`` in the project at ``folder`` (see module docstring)."""
    path = Path(os.path.abspath(path))
    folder = Path(os.path.abspath(folder))
    try:
        path.relative_to(folder.parent)
    except ValueError:
        return path.as_posix()
    return Path(os.path.relpath(path, folder)).as_posix()


def resolve_path(folder: Path, stored: str) -> Path:
    """Absolute path of a stored image path."""
    p = Path(stored)
    return p if p.is_absolute() else Path(os.path.normpath(Path(os.path.abspath(folder)) / p))


def expand(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[SkippedFile]]:
    """Files to add: folders become the images directly inside them."""
    files: list[Path] = []
    failed: list[SkippedFile] = []
    for raw in paths:
        path = Path(os.path.abspath(raw))
        if path.is_dir():
            try:
                scan = scan_folder(path)
            except ImageReadError as exc:
                failed.append(SkippedFile(path, str(exc)))
                continue
            files.extend(scan.images)
            failed.extend(SkippedFile(p, why) for p, why in scan.unusable)
            if scan.problem:
                failed.append(SkippedFile(path, scan.problem))
        else:
            files.append(path)
    return files, failed


def read_new_images(
    folder: Path,
    files: Iterable[Path],
    known: Mapping[str, str],
    added_time: str,
    max_pixels: int = MAX_PIXELS,
) -> tuple[list[dict[str, Any]], list[SkippedFile], list[SkippedFile]]:
    """Check and describe each file; returns (image rows to insert, duplicates, failures).

    ``known`` maps the sha256 of images already in the project to their names. Each
    image is fully decoded once, so truncated or corrupt files are refused now rather
    than in the middle of training.
    """
    rows: list[dict[str, Any]] = []
    duplicates: list[SkippedFile] = []
    failed: list[SkippedFile] = []
    seen = dict(known)
    for path in files:
        try:
            str(path).encode("utf-8")
        except UnicodeEncodeError:   # the project file stores names as UTF-8 text
            shown = str(path).encode("utf-8", "backslashreplace").decode("ascii", "replace")
            failed.append(SkippedFile(Path(shown), "its name is not valid UTF-8 (written by "
                                      "another system's encoding); rename the file"))
            continue
        if not path.exists():
            failed.append(SkippedFile(path, "file not found"))
            continue
        if not is_image_file(path):
            failed.append(SkippedFile(
                path, f"not an image file (suffix '{path.suffix}'); expected PNG, JPEG, BMP, "
                "TIFF or DICOM"
            ))
            continue
        try:
            # Header first: a huge image is refused before its bytes are even hashed.
            width, height = read_image_size(path)
            if width * height > max_pixels:
                raise ImageReadError(
                    f"{path} is {width}x{height} pixels, over the limit of {max_pixels:,}; "
                    "downscale it first"
                )
            sha = file_sha256(path)
            if sha in seen:
                duplicates.append(SkippedFile(path, f"same content as {seen[sha]}"))
                continue
            size = path.stat().st_size
            spacing = load_image(path, max_pixels=max_pixels).spacing
        except ImageReadError as exc:
            failed.append(SkippedFile(path, str(exc)))
            continue
        except MemoryError:
            failed.append(SkippedFile(path, "not enough memory to decode this image"))
            continue
        except OSError as exc:
            failed.append(SkippedFile(path, f"cannot read: {exc.strerror or exc}"))
            continue
        seen[sha] = path.name
        rows.append({
            "id": None,  # assigned inside the write transaction
            "path": store_path(folder, path),
            "width": width,
            "height": height,
            "size_bytes": size,
            "sha256": sha,
            "file_row_mm": spacing.row_mm if spacing else None,
            "file_col_mm": spacing.col_mm if spacing else None,
            "file_spacing_source": spacing.source if spacing else None,
            "user_row_mm": None,
            "user_col_mm": None,
            "user_spacing_source": None,
            "status": ReviewStatus.UNREVIEWED.value,
            "added": added_time,
        })
    return rows, duplicates, failed


def check(records: Iterable[ImageRecord], search_dirs: Iterable[Path] = ()) -> ImageCheck:
    """Compare each record's file with its recorded size and hash.

    Files missing or changed are looked for by content under ``search_dirs``
    (recursively); only files of the recorded size are hashed.
    """
    result = ImageCheck()
    lost: list[ImageRecord] = []
    for rec in records:
        try:
            same = rec.path.stat().st_size == rec.size_bytes and file_sha256(rec.path) == rec.sha256
        except FileNotFoundError:
            result.missing.append(rec)
            lost.append(rec)
            continue
        except OSError:
            same = False
        if same:
            result.ok.append(rec)
        else:
            result.changed.append(rec)
            lost.append(rec)
    if not lost:
        return result
    sizes = {rec.size_bytes for rec in lost}
    by_hash: dict[str, Path] = {}
    for folder in search_dirs:
        for candidate in sorted(Path(folder).rglob("*")):
            try:
                if not candidate.is_file() or candidate.stat().st_size not in sizes:
                    continue
                by_hash.setdefault(file_sha256(candidate), candidate)
            except OSError:
                continue
    for rec in lost:
        found = by_hash.get(rec.sha256)
        if found is not None:
            result.relocated.append((rec, Path(os.path.abspath(found))))
    return result
