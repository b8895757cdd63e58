"""The layout of a ``cc2d run`` folder and its record ``run.json``: the one place that
knows both.

``run.json`` holds the settings, the environment, the images with their keys and,
per stage, its timing once done. Once a stage is done, the settings and template
that produced it are fixed: :meth:`RunFolder.check_same` refuses a rerun with others.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.atomic import atomic_write_text
from engine.config_io import ADDED_FIELDS
from engine.errors import CheckpointError, ImageReadError
from engine.json_files import JsonReadError, read_json
from engine.output_paths import special_kind
from engine.run_record import check_record

STAGES = ("ssl_train", "pseudo_labels", "tpl_train", "tpl_predict", "refine_train", "predict")
# What a finished stage depends on: a rerun must bring the same values.
# A stage whose network can be reused elsewhere: its sub-folder and its config's key.
_STAGE_FILES = {"ssl_train": ("ssl", "ssl_config"), "refine_train": ("refine", "refine_config")}
FIXED_KEYS = ("ssl_config", "instant_config", "tpl_config", "refine_config", "template",
              "landmarks", "template_points", "labelled", "inputs")


def input_fingerprint(images: Sequence[Path], template: Path) -> dict[str, Any]:
    """What a resumed run must find unchanged: which images (their resolved paths) and the
    template's bytes. A run folder resumed with an image added or removed, or a template
    whose pixels changed, is refused instead of mixing the two sets."""
    names = sorted(str(Path(p).resolve()) for p in images)
    digest = hashlib.sha256("\n".join(names).encode("utf-8", "surrogateescape")).hexdigest()
    kind = special_kind(template)
    if kind is not None:
        raise ImageReadError(f"the template {template} is {kind}, not an image file")
    content = hashlib.sha256()
    try:
        with open(template, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                content.update(block)
    except OSError as exc:
        raise ImageReadError(f"cannot read the template {template}: "
                             f"{exc.strerror or exc}") from None
    return {"n_images": len(names), "images_sha256": digest,
            "template_sha256": content.hexdigest()}


@dataclass(frozen=True)
class RunFolder:
    """Paths of a run folder (nothing is created until written)."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def ssl(self) -> Path:
        return self.root / "ssl"

    @property
    def tpl(self) -> Path:
        return self.root / "tpl"

    @property
    def refine(self) -> Path:
        return self.root / "refine"

    @property
    def run_json(self) -> Path:
        return self.root / "run.json"

    @property
    def template_json(self) -> Path:
        return self.root / "template.json"

    @property
    def pseudo_labels(self) -> Path:
        return self.root / "pseudo_labels.csv"

    @property
    def tpl_predictions(self) -> Path:
        return self.root / "tpl_predictions.csv"

    @property
    def predictions(self) -> Path:
        return self.root / "predictions.csv"

    def read_record(self) -> dict[str, Any]:
        """The content of ``run.json`` (``{"stages": {}}`` when there is none yet); a damaged
        file, or a value not what it must be (:mod:`engine.run_record`), is a CheckpointError
        that says so."""
        path = self.run_json
        if not path.exists():
            return {"stages": {}}
        try:
            data = read_json(path)
        except JsonReadError as exc:
            raise CheckpointError(
                f"{path} is damaged ({exc}); delete the run folder {self.root} to start "
                "afresh, or choose another one") from None
        return check_record(data, path)

    def write_record(self, data: Mapping[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.run_json, json.dumps(dict(data), indent=2, default=str))

    def seed_from(self, other: RunFolder, stages: tuple[str, ...],
                  **note: Any) -> None:
        """Start this (new, empty) folder with ``other``'s finished ``stages``
        ("ssl_train", "refine_train"): their networks are copied and recorded as done,
        with the config they were made with, so a run here reuses them."""
        record = other.read_record()
        if self.root.exists() and any(self.root.iterdir()):
            raise CheckpointError(f"{self.root} is not empty; choose a new run folder")
        missing = [s for s in stages if s not in record["stages"]]
        if missing:
            raise CheckpointError(f"{other.root} has not finished {', '.join(missing)}")
        kept: dict[str, Any] = {"stages": {}, **note}
        for stage in stages:
            network, config = _STAGE_FILES[stage]
            shutil.copytree(getattr(other, network), getattr(self, network))
            kept["stages"][stage] = record["stages"][stage]
            if config in record:
                kept[config] = record[config]
        self.write_record(kept)

    def finished_stages(self) -> set[str]:
        """Stages ``run.json`` records as done (empty when the folder has none)."""
        return set(self.read_record()["stages"])

    def check_same(self, record: Mapping[str, Any], wanted: Mapping[str, Any]) -> None:
        """Refuse ``wanted`` settings when ``record`` has done stages under other ones."""
        done = [s for s in STAGES if s in record["stages"]]
        if not done:
            return
        wanted = as_json(wanted)
        # Until pseudo-labels are made, the fields only they use may change (SSL reused).
        loose = () if "pseudo_labels" in done else _PSEUDO_LABEL_FIELDS
        differ = [key for key in FIXED_KEYS if key in record
                  and _normal(key, record[key], loose) != _normal(key, wanted.get(key), loose)]
        if differ:
            lines = [f"  {key}: {_difference(record[key], wanted.get(key))}" for key in differ]
            raise CheckpointError(
                f"{self.root} already holds stage(s) {', '.join(done)} made with other "
                f"settings:\n" + "\n".join(lines) + "\nrun again with the recorded settings "
                "to resume, or choose another run folder to start afresh")


def as_json(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists, paths strings)."""
    return json.loads(json.dumps(value, default=str))


# SSLConfig fields that change the pseudo-labels but not the SSL network.
_PSEUDO_LABEL_FIELDS = ("cycle_candidates", "pseudo_keep")


def _normal(key: str, value: Any, loose: tuple[str, ...] = ()) -> Any:
    # Older records hold the template's path as given, possibly relative.
    if key == "template" and value:
        return str(Path(value).resolve())
    if key.endswith("_config") and isinstance(value, dict):
        return {k: v for k, v in value.items()
                if ADDED_FIELDS.get(k, object()) != v and not (key == "ssl_config" and k in loose)}
    return value


def _difference(recorded: Any, wanted: Any) -> str:
    if isinstance(recorded, dict) and isinstance(wanted, dict):
        keys = sorted(set(recorded) | set(wanted))
        parts = [f"{k} {recorded.get(k)!r} → {wanted.get(k)!r}" for k in keys
                 if recorded.get(k) != wanted.get(k)]
        return "; ".join(parts)
    return f"{recorded!r} → {wanted!r}"
