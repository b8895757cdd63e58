"""The user's own data folder for this app (beside the GUI's settings, never a project's):
``$CC2D_SETTINGS_DIR`` (tests and portable set-ups), else the platform's data location,
named as the GUI names its own."""

from __future__ import annotations

import os
import sys
from pathlib import Path

SETTINGS_DIR_ENV = "CC2D_SETTINGS_DIR"
ORGANISATION, APPLICATION = "CC2D", "CC2D landmark studio"


def app_data_dir() -> Path:
    settings = os.environ.get(SETTINGS_DIR_ENV)
    if settings:
        return Path(settings)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / ORGANISATION / APPLICATION
