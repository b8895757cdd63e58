"""Small valid projects and run folders, and the damage the record tests do to them: a cell of
project.sqlite set to any value (past its CHECK constraints and the log's triggers), a value
of run.json, a config or a checkpoint replaced."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import torch

from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import LandmarkSchema, LandmarkSource, PatientFields, Project, export

TABLES = ("project", "images", "landmarks", "predictions", "patient_fields", "runs",
          "edit_log")


def small_project(folder: Path) -> Path:
    """A 3-landmark project of two phantoms with a template, points, a kept prediction, a
    review status, a user spacing, patient fields and a run: a row in every table."""
    write_phantom_dataset(folder / "img", 2, PhantomSpec(n_landmarks=3, width=40, height=30))
    with Project.create(folder / "p", LandmarkSchema.from_names(["A", "B", "C"])) as project:
        first, second = project.add_images([folder / "img"]).added
        project.set_template(first.id)
        project.set_landmarks(first.id, [(1, 2), (3, 4), (5, 6)], LandmarkSource.TEMPLATE)
        point = project.landmarks(first.id)[0]
        project.apply_edits({second.id: {1: point}}, predictions={second.id: {1: point}},
                            statuses={second.id: "needs_attention"})
        project.set_user_spacing(second.id, (0.1, 0.1))
        project.set_patient(second.id, PatientFields("Doe, Jane", "P1", "1980-01-02",
                                                     "2024-05-06", "Smith, Ann"))
        project.add_run({"profile": "tiny"})
    return folder / "p"


def set_cell(project: Path, table: str, column: str, value: Any, rowid: int = 1) -> None:
    """Set one cell of ``table``'s row ``rowid`` (its n-th row for tables without rowid) to
    ``value`` as SQLite would store it, past CHECK constraints and the log's triggers."""
    conn = sqlite3.connect(project / "project.sqlite", isolation_level=None)
    try:
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        conn.execute("PRAGMA ignore_check_constraints = ON")
        for name, _ in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        keys = [r[0] for r in conn.execute(f"SELECT {_key(table)} FROM {table} "
                                           f"ORDER BY {_key(table)}")]
        where = keys[min(rowid, len(keys)) - 1]
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {_key(table)} = ?", (value, where))
        for _, sql in triggers:
            conn.execute(sql)
    finally:
        conn.close()


def _key(table: str) -> str:
    # landmarks and predictions are WITHOUT ROWID tables: (image_id, idx) names a row.
    return "image_id * 100000 + idx" if table in ("landmarks", "predictions") else "rowid"


def cells(project: Path) -> tuple[list[tuple[str, str]], list[Any]]:
    """((table, column) of every column, the data of every edit-log entry, oldest first)."""
    conn = sqlite3.connect(project / "project.sqlite")
    try:
        names = [(t, r[1]) for t in TABLES for r in conn.execute(f"PRAGMA table_info({t})")]
        logged = [json.loads(r[0])
                  for r in conn.execute("SELECT data_json FROM edit_log ORDER BY id")]
    finally:
        conn.close()   # a connection left open keeps -wal and -shm files beside the file
    return names, logged


def read_everything(project: Path, out: Path) -> None:
    """Every read the app and the CLI make of a project, and every export."""
    with Project.open(project, read_only=True) as p:
        for rec in p.images():
            p.landmarks(rec.id)
            p.predictions(rec.id)
            p.patient(rec.id)
        p.template()
        p.status_counts()
        p.runs()
        for entry in p.edit_log():
            p.touched_images(entry)
        p.undo_redo_state()
        for fmt, name in (("csv", "x.csv"), ("json", "x.json"), ("coco", "c.json")):
            export(p, out / name, fmt)


def undo_all(project: Path) -> None:
    """Undo every edit, then redo one: every logged change is written back."""
    with Project.open(project) as p:
        while p.undo() is not None:
            pass
        p.redo()


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value))


def replace_tensor(path: Path, key: str, value: Any) -> None:
    """Checkpoint ``path`` with the network tensor (or entry) ``key`` set to ``value``."""
    state = torch.load(path, weights_only=True)
    net = state["net"]
    if key in net:
        net[key] = value
    else:
        state[key] = value
    torch.save(state, path)


def tpl_run(folder: Path) -> tuple[Path, Path]:
    """(a finished TPL-only run folder, its three phantom images): a network trained for one
    step, its config, the saved template and a run record, as ``cc2d run`` leaves them."""
    from dataclasses import asdict

    import numpy as np

    from engine.data.grid import to_grid
    from engine.data.template import Template
    from engine.data.working_set import build_working_set
    from engine.run_folder import RunFolder
    from engine.ssl.run_files import save_template
    from engine.tpl.config import profile_config
    from engine.tpl.train import train_tpl

    images = folder / "images"
    paths, truth = write_phantom_dataset(images, 3, PhantomSpec(n_landmarks=3, width=60,
                                                                height=70), seed=3)
    config = profile_config("tiny", steps=1, batch_size=2)
    data = build_working_set(paths, config.image_size, torch.device("cpu"))
    labels = torch.tensor(np.stack([to_grid(truth.get(p.name), *data.sizes[i], 64)
                                    for i, p in enumerate(paths)]), dtype=torch.float32)
    is_template = torch.tensor([True, False, False])
    run = RunFolder(folder / "run")
    result = train_tpl(data, labels, is_template, run.tpl, config, torch.device("cpu"))
    template = Template(paths[0], truth.names, truth.get(paths[0].name))
    save_template(run.root, template)
    run.write_record({
        "stages": {"tpl_train": asdict(result), "tpl_predict": {}, "predict": {}},
        "settings": {"profile": "tiny", "ssl": None, "tpl": {"steps": 1}, "refine": None,
                     "instant": None},
        "tpl_config": asdict(config), "template": str(paths[0].resolve()),
        "landmarks": list(truth.names), "template_points": template.points.tolist(),
        "labelled": [], "n_images": 3,
        "image_keys": {p.name: str(p.resolve()) for p in paths}})
    return run.root, images


def predict_with(run: Path, images: Path, out: Path) -> int:
    """``cc2d predict`` of ``images`` with ``run``; its exit status."""
    from engine.cli.main import main

    return main(["predict", "--run", str(run), "--images", str(images), "--out", str(out),
                 "--device", "cpu"])
