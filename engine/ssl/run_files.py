"""The template saved in a run folder, so prediction needs only the run and the images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engine.atomic import atomic_write_text
from engine.data.template import Template
from engine.errors import CheckpointError
from engine.run_folder import RunFolder


def save_template(run_dir: Path, template: Template) -> None:
    data = {"image": str(Path(template.image).resolve()), "names": list(template.names),
            "points": template.points.tolist()}
    atomic_write_text(RunFolder(run_dir).template_json, json.dumps(data, indent=2))


def load_template(run_dir: Path) -> Template:
    path = RunFolder(run_dir).template_json
    if not path.is_file():
        raise CheckpointError(
            f"{run_dir} has no saved template; give --template and --labels")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Template(Path(data["image"]), tuple(data["names"]),
                        np.asarray(data["points"], dtype=np.float64))
    except (OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from None
