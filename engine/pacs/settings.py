"""Where the PACS settings live: the user's own data folder, never a project. The
address, user and TLS choice in ``pacs.json``; the password in ``pacs_password``, a file
only its owner may read (created so, and refused when others can read it), or in
``$CC2D_PACS_PASSWORD``."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

from engine.atomic import atomic_write_text
from engine.json_files import JsonReadError, read_json
from engine.pacs.connection import Connection, PacsError
from engine.user_data import app_data_dir

PASSWORD_ENV = "CC2D_PACS_PASSWORD"


def save(url: str, username: str = "", password: str | None = None,
         verify_tls: bool = True, folder: Path | None = None) -> Path:
    """Store the settings (the password only when given); returns the settings file."""
    Connection(url)   # checks the address
    folder = folder or app_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pacs.json"
    atomic_write_text(path, json.dumps({"url": url, "username": username,
                                        "verify_tls": bool(verify_tls)}, indent=1) + "\n")
    if password is not None:
        secret = folder / "pacs_password"
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(password)
        os.chmod(secret, 0o600)
    return path


def load(folder: Path | None = None) -> Connection:
    """The stored connection, its password from the environment or the private file."""
    folder = folder or app_data_dir()
    path = folder / "pacs.json"
    if not path.is_file():
        raise PacsError("no PACS is set up: `cc2d pacs configure --url URL [--user NAME]` "
                        "(or the app's PACS settings)")
    try:
        data = read_json(path)
    except JsonReadError as exc:
        raise PacsError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str) \
            or not isinstance(data.get("username", ""), str) \
            or not isinstance(data.get("verify_tls", True), bool):
        raise PacsError(f"{path} is damaged: set the PACS up again")
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = _private_password(folder / "pacs_password")
    return Connection(data["url"], data.get("username", ""), password or "",
                      data.get("verify_tls", True))


def _private_password(path: Path) -> str:
    if not path.is_file():
        return ""
    if sys.platform != "win32" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise PacsError(f"{path} can be read by other users; `chmod 600 {path}` or set the "
                        "password again")
    return path.read_text(encoding="utf-8").rstrip("\n")
