"""Per-user preferences of the app: recent projects, window layout, last used folders.

Only window state and preferences live here; project data lives in the project store.
The INI file is ``$CC2D_SETTINGS_DIR/cc2d-studio.ini`` when that variable is set (tests,
portable installs), else the platform's user config location.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from engine.user_data import APPLICATION, ORGANISATION, SETTINGS_DIR_ENV

SETTINGS_FILE = "cc2d-studio.ini"
MAX_RECENT = 10

_RECENT_KEY = "recent/projects"
_GEOMETRY_KEY = "window/geometry"
_STATE_KEY = "window/state"


@dataclass(frozen=True)
class RecentProject:
    """A project opened before: its folder and the name shown for it."""

    path: Path
    name: str


class AppSettings:
    """Typed access to the app's QSettings (INI format)."""

    def __init__(self) -> None:
        override = os.environ.get(SETTINGS_DIR_ENV)
        if override:
            self._qs = QSettings(str(Path(override) / SETTINGS_FILE), QSettings.Format.IniFormat)
        else:
            self._qs = QSettings(
                QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION
            )

    @property
    def file_path(self) -> Path:
        """The INI file these settings are stored in."""
        return Path(self._qs.fileName())

    # Recent projects ------------------------------------------------------------------

    def recent_projects(self) -> list[RecentProject]:
        """Projects opened before, most recent first; folders that vanished are left out."""
        return [r for r in self._stored_recent() if r.path.is_dir()]

    def add_recent_project(self, folder: str | os.PathLike[str], name: str | None = None) -> None:
        """Put ``folder`` first in the recent list (once, by resolved path; at most 10)."""
        path = Path(folder).expanduser().resolve()
        entry = RecentProject(path, name or path.name)
        rest = [r for r in self._stored_recent() if r.path != path]
        self._write_recent([entry, *rest][:MAX_RECENT])

    def remove_recent_project(self, folder: str | os.PathLike[str]) -> None:
        """Forget ``folder`` (e.g. after it failed to open)."""
        path = Path(folder).expanduser().resolve()
        self._write_recent([r for r in self._stored_recent() if r.path != path])

    def _stored_recent(self) -> list[RecentProject]:
        # Stored as one JSON string: INI lists of one element come back as a bare string.
        raw = self._qs.value(_RECENT_KEY, "")
        try:
            items = json.loads(raw) if isinstance(raw, str) and raw else []
        except json.JSONDecodeError:
            return []  # a hand-edited, broken entry should not stop the app from starting
        out = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                path = Path(item["path"])
                out.append(RecentProject(path, str(item.get("name") or path.name)))
        return out

    def _write_recent(self, entries: list[RecentProject]) -> None:
        data = [{"path": str(r.path), "name": r.name} for r in entries]
        self._qs.setValue(_RECENT_KEY, json.dumps(data))
        self._qs.sync()

    # Window layout --------------------------------------------------------------------

    def window_geometry(self) -> bytes | None:
        """What ``QMainWindow.saveGeometry()`` returned last time, if anything."""
        return self._bytes(_GEOMETRY_KEY)

    def window_state(self) -> bytes | None:
        """What ``QMainWindow.saveState()`` returned last time, if anything."""
        return self._bytes(_STATE_KEY)

    def save_window(self, geometry: bytes | QByteArray, state: bytes | QByteArray) -> None:
        """Remember the main window's geometry and dock/toolbar state."""
        self._qs.setValue(_GEOMETRY_KEY, QByteArray(geometry))
        self._qs.setValue(_STATE_KEY, QByteArray(state))
        self._qs.sync()

    def _bytes(self, key: str) -> bytes | None:
        value = self._qs.value(key)
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value.data()
        return None

    # File dialogs ---------------------------------------------------------------------

    def last_folder(self, purpose: str) -> str:
        """Folder a file dialog for ``purpose`` (e.g. "images", "project") last used.

        Falls back to the home folder when none was saved or it no longer exists.
        """
        value = self._qs.value(f"folders/{purpose}", "")
        if isinstance(value, str) and value and Path(value).is_dir():
            return value
        return str(Path.home())

    def set_last_folder(self, purpose: str, folder: str | os.PathLike[str]) -> None:
        self._qs.setValue(f"folders/{purpose}", str(folder))
        self._qs.sync()

    # Choices remembered between dialogs ------------------------------------------------

    def export_choices(self, formats: Sequence[str], scopes: Sequence[str]
                       ) -> tuple[list[str], str] | None:
        """The export formats and image scope chosen last, among those offered now; None
        when nothing valid was saved."""
        raw = self._qs.value("export/choices", "")
        try:
            saved = json.loads(raw) if isinstance(raw, str) and raw else None
        except json.JSONDecodeError:
            return None
        if not isinstance(saved, dict):
            return None
        chosen = [f for f in saved.get("formats", []) if isinstance(f, str) and f in formats]
        scope = saved.get("scope")
        if not chosen or scope not in scopes:
            return None
        return chosen, scope

    def set_export_choices(self, formats: Sequence[str], scope: str) -> None:
        self._qs.setValue("export/choices", json.dumps({"formats": list(formats),
                                                        "scope": scope}))
        self._qs.sync()

    def analyses(self, schema_id: str) -> list[str] | None:
        """The analyses chosen last for projects of this landmark schema (None: never)."""
        raw = self._qs.value(f"analyses/{schema_id}", "")
        try:
            saved = json.loads(raw) if isinstance(raw, str) and raw else None
        except json.JSONDecodeError:
            return None
        if not isinstance(saved, list) or not all(isinstance(a, str) for a in saved):
            return None
        return saved

    def set_analyses(self, schema_id: str, analysis_ids: Sequence[str]) -> None:
        self._qs.setValue(f"analyses/{schema_id}", json.dumps(list(analysis_ids)))
        self._qs.sync()

    def ask_before_quit(self) -> bool:
        return self._qs.value("quit/ask", "true") != "false"

    def set_ask_before_quit(self, ask: bool) -> None:
        self._qs.setValue("quit/ask", "true" if ask else "false")
        self._qs.sync()

    # Demo -----------------------------------------------------------------------------

    @staticmethod
    def demo_dir() -> Path:
        """Where the demo project is built: ``$CC2D_SETTINGS_DIR/demo`` or the app-data folder."""
        override = os.environ.get(SETTINGS_DIR_ENV)
        if override:
            return Path(override) / "demo"
        # Named explicitly: AppDataLocation would depend on QCoreApplication's names being set.
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
        return Path(base) / ORGANISATION / APPLICATION / "demo"
