"""Plain dataclasses the project API returns; no Qt, no database handles."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from engine.data.spacing import Spacing
from engine.errors import ProjectError


class LandmarkSource(str, Enum):
    """Who placed a landmark: the user on the template, the model, or the user correcting it."""

    TEMPLATE = "template"
    PREDICTED = "predicted"
    CORRECTED = "corrected"


class ReviewStatus(str, Enum):
    """Review state of one image."""

    UNREVIEWED = "unreviewed"
    NEEDS_ATTENTION = "needs_attention"
    REVIEWED = "reviewed"


# Where a user spacing came from: typed in, or measured on a ruler in the image.
USER_SPACING_SOURCES = ("user", "calibration")


class RunState(str, Enum):
    """Life cycle of a training run."""

    PENDING = "pending"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


def parse_enum(kind: type[Enum], value: object) -> Any:
    """``kind(value)`` with a ProjectError naming the allowed values."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)  # type: ignore[attr-defined]
        raise ProjectError(f"unknown {kind.__name__} {value!r}; use one of: {allowed}") from None


@dataclass(frozen=True)
class Landmark:
    """A placed landmark in pixels of the original image (origin: centre of the top-left pixel)."""

    x: float
    y: float
    source: LandmarkSource
    confidence: float | None = None


@dataclass(frozen=True)
class ImageRecord:
    """A radiograph registered in a project (the file stays where it is).

    ``path`` is absolute; ``stored_path`` is what the project file holds (relative to
    the project folder when the image lies inside the project's parent folder).
    ``spacing`` is the one to use: the file's own, else the user's.
    """

    id: int
    path: Path
    stored_path: str
    width: int
    height: int
    size_bytes: int
    sha256: str
    file_spacing: Spacing | None
    user_spacing: Spacing | None
    status: ReviewStatus
    added: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def spacing(self) -> Spacing | None:
        return self.file_spacing or self.user_spacing


@dataclass(frozen=True)
class SkippedFile:
    """A file that was not added, and why."""

    path: Path
    reason: str


@dataclass
class AddReport:
    """Outcome of :meth:`Project.add_images`: every path ends in exactly one list."""

    added: list[ImageRecord] = field(default_factory=list)
    duplicates: list[SkippedFile] = field(default_factory=list)
    failed: list[SkippedFile] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"added {len(self.added)} image(s), skipped {len(self.duplicates)} duplicate(s), "
            f"{len(self.failed)} failed"
        ]
        lines += [f"  duplicate: {s.path}: {s.reason}" for s in self.duplicates]
        lines += [f"  failed: {s.path}: {s.reason}" for s in self.failed]
        return "\n".join(lines)


@dataclass
class ImageCheck:
    """Outcome of :meth:`Project.check_images`.

    ``relocated`` pairs a record whose file is missing or changed with a file found
    elsewhere that has the recorded content hash.
    """

    ok: list[ImageRecord] = field(default_factory=list)
    missing: list[ImageRecord] = field(default_factory=list)
    changed: list[ImageRecord] = field(default_factory=list)
    relocated: list[tuple[ImageRecord, Path]] = field(default_factory=list)


@dataclass(frozen=True)
class Run:
    """A training run; its files live in ``folder`` (``<project>/runs/<id>``)."""

    id: int
    name: str
    state: RunState
    config: dict[str, Any]
    metrics: dict[str, Any]
    checkpoint: Path | None
    folder: Path
    created: str
    updated: str


@dataclass(frozen=True)
class EditEntry:
    """One row of the append-only edit log.

    ``data`` holds the before/after values needed to undo the edit; ``undoes`` is the
    id of the entry an undo reverted; ``redoes`` the id of the undo entry a redo reversed
    (a redo repeats the reverted entry's action and data).
    """

    id: int
    time: str
    action: str
    summary: str
    data: dict[str, Any]
    undoable: bool
    undoes: int | None
    redoes: int | None = None


@dataclass
class ImportReport:
    """Outcome of a landmark import."""

    matched: list[str] = field(default_factory=list)
    unmatched_in_file: list[str] = field(default_factory=list)
    images_without_labels: list[str] = field(default_factory=list)
    # "image: landmark (x, y)" for each point left out because it lies outside its image.
    outside_image: list[str] = field(default_factory=list)
    points_set: int = 0
    edit_id: int | None = None

    def summary(self, limit: int = 10) -> str:
        def some(items: list[str]) -> str:
            more = f" … and {len(items) - limit} more" if len(items) > limit else ""
            return ", ".join(items[:limit]) + more

        lines = [f"imported {self.points_set} point(s) for {len(self.matched)} image(s)"]
        if self.unmatched_in_file:
            lines.append(
                f"  {len(self.unmatched_in_file)} image(s) in the file are not in the project: "
                + some(self.unmatched_in_file)
            )
        if self.images_without_labels:
            lines.append(
                f"  {len(self.images_without_labels)} project image(s) have no rows in the file: "
                + some(self.images_without_labels)
            )
        if self.outside_image:
            lines.append(
                f"  {len(self.outside_image)} point(s) lie outside their image and were left "
                "out (check the file's coordinates are in pixels of these images): "
                + some(self.outside_image)
            )
        return "\n".join(lines)
