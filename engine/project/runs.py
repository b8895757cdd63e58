"""Training runs recorded in a project: config, metrics, checkpoint path and state.

Run files (checkpoints, logs) live in ``<project>/runs/<id>``; the database keeps
the bookkeeping. Run changes are traced in the edit log but are not user edits,
so :meth:`Project.undo` skips them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.errors import ProjectError
from engine.project import db as dbm
from engine.project import editlog, registry, rows
from engine.project.model import Run, RunState, parse_enum

RUNS_DIR = "runs"


class RunsMixin:
    """Run methods of :class:`~engine.project.store.Project`."""

    folder: Path
    _db: dbm.Database

    @property
    def runs_dir(self) -> Path:
        return self.folder / RUNS_DIR

    def add_run(self, config: Mapping[str, Any], name: str | None = None) -> Run:
        """Record a new (pending) training run and make its folder ``runs/<id>``."""
        stamp = editlog.now()
        config_json = _to_json(config, "run config")
        with dbm.transaction(self._db, "record a training run") as conn:
            cur = conn.execute(
                "INSERT INTO runs (name, state, config_json, created, updated) "
                "VALUES (?, ?, ?, ?, ?)",
                (name or "", RunState.PENDING.value, config_json, stamp, stamp),
            )
            run_id = int(cur.lastrowid or 0)
            if not name:
                conn.execute("UPDATE runs SET name = ? WHERE id = ?", (f"run {run_id}", run_id))
            editlog.append(conn, "run_add", f"training run {run_id}", {"run": run_id})
        try:
            self._run_folder(run_id).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProjectError(
                f"training run {run_id} was recorded but its folder {self._run_folder(run_id)} "
                f"cannot be created: {exc.strerror or exc}"
            ) from None
        return self.run(run_id)

    def update_run(
        self,
        run_id: int,
        *,
        state: RunState | str | None = None,
        metrics: Mapping[str, Any] | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
    ) -> Run:
        """Change a run's state, metrics (replaced) or checkpoint path."""
        self.run(run_id)
        sets: dict[str, Any] = {"updated": editlog.now()}
        if state is not None:
            sets["state"] = parse_enum(RunState, state).value
        if metrics is not None:
            sets["metrics_json"] = _to_json(metrics, "run metrics")
        if checkpoint is not None:
            sets["checkpoint"] = registry.store_path(self.folder, Path(checkpoint))
        with dbm.transaction(self._db, "update a training run") as conn:
            conn.execute(
                f"UPDATE runs SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?",
                (*sets.values(), run_id),
            )
            # Metrics may be long histories updated every epoch: log which keys, not values.
            logged = {k: v for k, v in sets.items() if k not in ("updated", "metrics_json")}
            if metrics is not None:
                logged["metrics"] = sorted(metrics)
            editlog.append(conn, "run_update", f"training run {run_id}: {', '.join(logged)}",
                           {"run": run_id, **logged})
        return self.run(run_id)

    def run(self, run_id: int) -> Run:
        """One training run; ProjectError if there is no such id."""
        found = self._db.query("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not found:
            raise ProjectError(f"there is no training run with id {run_id} in this project")
        return rows.run(self._db.path, found[0],
                        lambda stored: registry.resolve_path(self.folder, stored),
                        self._run_folder)

    def runs(self) -> list[Run]:
        """All training runs, oldest first."""
        return [self.run(r[0]) for r in self._db.query("SELECT id FROM runs ORDER BY id")]

    def _run_folder(self, run_id: int) -> Path:
        return self.runs_dir / f"{run_id:04d}"


def _to_json(value: Mapping[str, Any], what: str) -> str:
    try:
        return json.dumps(dict(value), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"{what} is not JSON-serialisable: {exc}") from None


