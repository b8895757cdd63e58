"""The template saved in a run folder, so prediction needs only the run and the images."""

from __future__ import annotations

import json
from pathlib import Path

from engine.atomic import atomic_write_text
from engine.data.template import Template
from engine.errors import CheckpointError
from engine.run_folder import RunFolder
from engine.run_record import read_template


def save_template(run_dir: Path, template: Template) -> None:
    data = {"image": str(Path(template.image).resolve()), "names": list(template.names),
            "points": template.points.tolist()}
    atomic_write_text(RunFolder(run_dir).template_json, json.dumps(data, indent=2))


def load_template(run_dir: Path) -> Template:
    path = RunFolder(run_dir).template_json
    if not path.is_file():
        raise CheckpointError(
            f"{run_dir} has no saved template; give --template and --labels")
    return read_template(path)
