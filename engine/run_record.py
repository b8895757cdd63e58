"""What each value of a run record (``run.json``) and a run's ``template.json`` must be.

Both are read back from disk by resume, predict, refit and the project store, so they are
checked like user input: a number where a path belongs, a landmark count that is negative
or huge, a step count that is text is a CheckpointError naming the file and the key, not a
TypeError in whatever reads it first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.landmarks import MAX_LANDMARKS
from engine.data.template import Template
from engine.errors import CheckpointError
from engine.json_files import JsonReadError, read_json

_SETTINGS = ("profile", "ssl", "tpl", "refine", "instant")


def _is_int(value: Any, low: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _is_points(value: Any) -> bool:
    return (isinstance(value, list) and 0 < len(value) <= MAX_LANDMARKS
            and all(isinstance(p, list) and len(p) == 2 and all(map(_is_number, p))
                    for p in value))


def _is_names(value: Any) -> bool:
    return (isinstance(value, list) and 0 < len(value) <= MAX_LANDMARKS
            and all(isinstance(n, str) and n for n in value))


def _is_path(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _is_dict_of(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, dict) and all(map(check, value.values()))


def _is_list_of(keys: tuple[str, ...], check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, list) and all(
        isinstance(item, dict) and all(check(item.get(k)) for k in keys) for item in value)


def _is_stages(value: Any) -> bool:
    # A stage's "steps" is what a refit's step count is computed from.
    return _is_dict_of(lambda info: isinstance(info, dict) and (
        "steps" not in info or _is_int(info["steps"])))(value)


def _is_settings(value: Any) -> bool:
    return (isinstance(value, dict) and set(value) <= set(_SETTINGS)
            and isinstance(value.get("profile"), str)
            and all(value.get(k) is None or isinstance(value[k], dict) for k in _SETTINGS[1:]))


# Key of run.json -> (what it holds, its check). Keys not listed are not read back.
_KEYS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "stages": ("an object of finished stages", _is_stages),
    "settings": ("the profile and its overrides", _is_settings),
    "ssl_config": ("an object", _is_dict_of(lambda v: True)),
    "tpl_config": ("an object", _is_dict_of(lambda v: True)),
    "refine_config": ("an object", _is_dict_of(lambda v: True)),
    "instant_config": ("an object", _is_dict_of(lambda v: True)),
    "template": ("a path", _is_path),
    "landmarks": ("a list of landmark names", _is_names),
    "template_points": ("a list of (x, y) points", _is_points),
    "labelled": ("a list of images with points",
                 lambda v: _is_list_of(("image",), _is_path)(v)
                 and _is_list_of(("points",), _is_points)(v)),
    "image_keys": ("an object of image paths", _is_dict_of(_is_path)),
    "features_dir": ("a path", _is_path),
    "refit_of": ("a path", _is_path),
    "skipped_images": ("a list of images and reasons",
                       _is_list_of(("image", "reason"), lambda v: isinstance(v, str))),
    "n_images": ("a count", _is_int),
    "tpl_base_steps": ("a step count", lambda v: _is_int(v, 1)),
    "tpl_base_lr": ("a learning rate", lambda v: v is None or (_is_number(v) and v > 0)),
}


def check_record(data: Any, path: Path) -> dict[str, Any]:
    """``data`` read from ``path`` if it is a run record whose values are what they must be."""
    if not isinstance(data, dict) or not isinstance(data.get("stages"), dict):
        raise CheckpointError(
            f"{path} is not a cc2d run record (no 'stages'); choose another run folder")
    for key, (what, check) in _KEYS.items():
        if key in data and not check(data[key]):
            shown = repr(data[key])
            raise CheckpointError(
                f"{path} is damaged: its '{key}' is not {what} ({shown[:80]}); delete the run "
                "folder to start afresh, or choose another one")
    return data


def read_template(path: Path) -> Template:
    """The template a run saved (``template.json``): an image path, landmark names and one
    finite (x, y) per name."""
    try:
        data = read_json(path)
    except JsonReadError as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from None
    if not (isinstance(data, dict) and _is_path(data.get("image"))
            and _is_names(data.get("names")) and _is_points(data.get("points"))):
        raise CheckpointError(
            f"{path} is damaged: it needs an image path, landmark names and one finite (x, y) "
            "point per name; run cc2d run again in a new folder")
    if len(data["names"]) != len(data["points"]):
        raise CheckpointError(
            f"{path} is damaged: it names {len(data['names'])} landmarks but holds "
            f"{len(data['points'])} points; run cc2d run again in a new folder")
    return Template(Path(data["image"]), tuple(data["names"]),
                    np.asarray(data["points"], dtype=np.float64))
