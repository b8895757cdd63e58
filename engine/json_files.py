"""Reading a JSON file the engine did not write itself (schemas, analyses, run records,
configs), checked like user input: a regular file, of a sane size, not nested so deeply
that the parser recurses out of the stack."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from engine.output_paths import special_kind

MAX_JSON_BYTES = 64 << 20   # a schema, an analysis or a run record is kilobytes


class JsonReadError(ValueError):
    """Why a JSON file could not be read; callers wrap it in their own CC2DError."""


def read_json(path: str | os.PathLike[str]) -> Any:
    return read_json_with_text(path)[0]


def read_json_with_text(path: str | os.PathLike[str]) -> tuple[Any, str]:
    """The parsed file and its text (for messages that name a line)."""
    path = Path(path)
    kind = special_kind(path)
    if kind is not None:
        raise JsonReadError(f"it is {kind}, not a file")
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise JsonReadError(f"it is over {MAX_JSON_BYTES >> 20} MB")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JsonReadError(getattr(exc, "strerror", None) or str(exc)) from None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise JsonReadError(str(exc)) from None
    except RecursionError:
        raise JsonReadError("it is nested too deeply") from None
