"""Landmark schemas: the ordered list of landmarks a project annotates.

A schema is stored inside each project (so a project never depends on a file
that may change later) and shipped ones live in ``resources/schemas/*.json``:

    {"id": "...", "name": "...", "description": "...",
     "landmarks": [{"name": "Sella", "abbreviation": "S", "color": "#e6194b",
                    "description": "Centre of the sella turcica"}, ...]}

Only ``name`` is required per landmark; the order is the landmark order.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ProjectError
from engine.json_files import JsonReadError, read_json

DEFAULT_SCHEMA_ID = "isbi2015_cephalometric"
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class LandmarkDef:
    """One landmark: full name, optional short label, ``#rrggbb`` display colour and a
    one-line description of where it lies (shown to the annotator)."""

    name: str
    abbreviation: str | None = None
    color: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class LandmarkSchema:
    """Ordered landmark definitions; index ``i`` in the API is landmark ``i + 1`` in files."""

    name: str
    landmarks: tuple[LandmarkDef, ...]
    id: str = "custom"
    description: str = ""

    def __post_init__(self) -> None:
        _validate(self)

    def __len__(self) -> int:
        return len(self.landmarks)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(lm.name for lm in self.landmarks)

    def label(self, index: int) -> str:
        """Short label of landmark ``index`` (abbreviation, else the name)."""
        lm = self.landmarks[index]
        return lm.abbreviation or lm.name

    def index_of(self, name: str) -> int | None:
        """Index of the landmark called ``name`` (or abbreviated so), case-insensitive."""
        key = name.strip().casefold()
        for i, lm in enumerate(self.landmarks):
            if lm.name.casefold() == key or (lm.abbreviation or "").casefold() == key:
                return i
        return None

    @classmethod
    def from_names(cls, names: Iterable[str], name: str = "Custom schema") -> LandmarkSchema:
        """A schema from bare landmark names (no abbreviations or colours)."""
        return cls(name=name, landmarks=tuple(LandmarkDef(n) for n in names))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "schema") -> LandmarkSchema:
        """Build from the JSON structure described in the module docstring."""
        if not isinstance(data, Mapping) or not isinstance(data.get("landmarks"), list):
            raise ProjectError(f"{where}: expected an object with a 'landmarks' list")
        defs = []
        for i, item in enumerate(data["landmarks"], start=1):
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                raise ProjectError(f"{where}: landmark {i} has no 'name' text")
            abbr, color = item.get("abbreviation"), item.get("color")
            description = item.get("description")
            if abbr is not None and not isinstance(abbr, str):
                raise ProjectError(f"{where}: landmark {i} abbreviation must be text")
            if color is not None and not isinstance(color, str):
                raise ProjectError(f"{where}: landmark {i} color must be text like '#ff0000'")
            if description is not None and not isinstance(description, str):
                raise ProjectError(f"{where}: landmark {i} description must be text")
            defs.append(LandmarkDef(item["name"], abbr or None, color or None, description or None))
        name = data.get("name") or data.get("id") or "Custom schema"
        return cls(
            name=str(name),
            landmarks=tuple(defs),
            id=str(data.get("id") or "custom"),
            description=str(data.get("description") or ""),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, the inverse of :meth:`from_dict`."""
        landmarks = []
        for lm in self.landmarks:
            item: dict[str, Any] = {"name": lm.name}
            if lm.abbreviation:
                item["abbreviation"] = lm.abbreviation
            if lm.color:
                item["color"] = lm.color
            if lm.description:
                item["description"] = lm.description
            landmarks.append(item)
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "landmarks": landmarks,
        }


def _bad_text(text: str) -> bool:
    # Control characters (newlines, tabs) would break one-line CSV cells and UI labels;
    # surrounding spaces would not survive CSV readers that strip cells.
    return not text or text != text.strip() or any(
        unicodedata.category(c) in ("Cc", "Cs") for c in text
    )


def _validate(schema: LandmarkSchema) -> None:
    if not schema.landmarks:
        raise ProjectError(f"landmark schema '{schema.name}' has no landmarks")
    seen: dict[str, int] = {}
    for i, lm in enumerate(schema.landmarks, start=1):
        if _bad_text(lm.name):
            raise ProjectError(
                f"landmark {i} of schema '{schema.name}' has an invalid name {lm.name!r}: "
                "names must be non-empty, without leading/trailing spaces or control characters"
            )
        if lm.abbreviation is not None and _bad_text(lm.abbreviation):
            raise ProjectError(
                f"landmark {i} ({lm.name}) has an invalid abbreviation {lm.abbreviation!r}"
            )
        if lm.description is not None and _bad_text(lm.description):
            raise ProjectError(
                f"landmark {i} ({lm.name}) has an invalid description {lm.description!r}: "
                "one line of text, without leading/trailing spaces"
            )
        if lm.color is not None and not _COLOR.match(lm.color):
            raise ProjectError(
                f"landmark {i} ({lm.name}) colour {lm.color!r} is not like '#ff8800'"
            )
        key = lm.name.casefold()
        if key in seen:
            raise ProjectError(
                f"schema '{schema.name}' names landmarks {seen[key]} and {i} both '{lm.name}'; "
                "names must be unique"
            )
        seen[key] = i


def shipped_schemas_dir() -> Path:
    """Folder of the schemas shipped with the app (``<repo>/resources/schemas``).

    Resolved beside the ``engine`` package, which works both from a source tree and
    an editable install. ``CC2D_SCHEMAS_DIR`` overrides it for other layouts.
    """
    override = os.environ.get("CC2D_SCHEMAS_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "resources" / "schemas"


def shipped_schema_ids() -> list[str]:
    """Ids (file stems) of the shipped schemas."""
    folder = shipped_schemas_dir()
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def load_schema(spec: str | os.PathLike[str]) -> LandmarkSchema:
    """Load a schema from a JSON file path or by the id of a shipped schema."""
    path = Path(spec)
    if not path.is_file():
        shipped = shipped_schemas_dir() / f"{spec}.json"
        if not shipped.is_file():
            known = ", ".join(shipped_schema_ids()) or "none found"
            raise ProjectError(
                f"landmark schema '{spec}' is neither a JSON file nor a shipped schema "
                f"(shipped: {known}; looked in {shipped_schemas_dir()})"
            )
        path = shipped
    try:
        data = read_json(path)
    except JsonReadError as exc:
        raise ProjectError(f"cannot read landmark schema {path}: {exc}") from None
    return LandmarkSchema.from_dict(data, where=str(path))


def default_schema() -> LandmarkSchema:
    """The ISBI 2015 cephalometric schema (19 landmarks)."""
    return load_schema(DEFAULT_SCHEMA_ID)

