"""The project database: sqlite3 connection, schema version, migrations, error translation.

``PRAGMA user_version`` holds the format version; ``MIGRATIONS[i]`` upgrades a file
from version ``i`` to ``i + 1``. Every write runs in its own ``BEGIN IMMEDIATE``
transaction (see :func:`transaction`), so an edit is on disk when the call returns.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.errors import ProjectError

DB_NAME = "project.sqlite"

_V1 = """
CREATE TABLE project (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schema_json TEXT NOT NULL,
    template_image_id INTEGER REFERENCES images(id) ON DELETE SET NULL,
    created TEXT NOT NULL
);
CREATE TABLE images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    file_row_mm REAL, file_col_mm REAL, file_spacing_source TEXT,
    user_row_mm REAL, user_col_mm REAL,
    status TEXT NOT NULL DEFAULT 'unreviewed'
        CHECK (status IN ('unreviewed', 'needs_attention', 'reviewed')),
    added TEXT NOT NULL
);
CREATE TABLE landmarks (
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL CHECK (idx >= 0),
    x REAL NOT NULL,
    y REAL NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('template', 'predicted', 'corrected')),
    confidence REAL,
    PRIMARY KEY (image_id, idx)
) WITHOUT ROWID;
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('pending', 'running', 'finished', 'failed', 'cancelled')),
    config_json TEXT NOT NULL,
    metrics_json TEXT NOT NULL DEFAULT '{}',
    checkpoint TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE edit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    action TEXT NOT NULL,
    summary TEXT NOT NULL,
    data_json TEXT NOT NULL,
    undoable INTEGER NOT NULL,
    undoes INTEGER UNIQUE REFERENCES edit_log(id)
);
-- The log is the audit trail: the database itself refuses to rewrite history.
CREATE TRIGGER edit_log_no_update BEFORE UPDATE ON edit_log
BEGIN SELECT RAISE(ABORT, 'the edit log is append-only'); END;
CREATE TRIGGER edit_log_no_delete BEFORE DELETE ON edit_log
BEGIN SELECT RAISE(ABORT, 'the edit log is append-only'); END;
"""

# Redo: a redo entry points at the undo it reverses. Spacing: where a user spacing came
# from ("user": typed; "calibration": measured on a ruler in the image).
_V2 = """
ALTER TABLE edit_log ADD COLUMN redoes INTEGER REFERENCES edit_log(id);
CREATE UNIQUE INDEX edit_log_redoes ON edit_log(redoes);
ALTER TABLE images ADD COLUMN user_spacing_source TEXT
    CHECK (user_spacing_source IN ('user', 'calibration'));
"""

# Index i holds the script that upgrades version i to i + 1; append, never edit.
# Version 3: the model's own predictions, kept beside the landmarks so a corrected point
# can be restored to what the model said.
_V3 = """
CREATE TABLE predictions (
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL CHECK (idx >= 0),
    x REAL NOT NULL,
    y REAL NOT NULL,
    confidence REAL,
    PRIMARY KEY (image_id, idx)
) WITHOUT ROWID;
"""

# Version 4: patient and exam fields per image (engine.project.patient); no row: none
# entered, a DICOM shows its header's.
_V4 = """
CREATE TABLE patient_fields (
    image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    exam_date TEXT NOT NULL,
    operator TEXT NOT NULL
);
"""

MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4]
SCHEMA_VERSION = len(MIGRATIONS)

_DAMAGED_HINT = (
    "restore project.sqlite from a backup (for example your file history or the "
    "project.sqlite.v*.bak copy made before an upgrade); the radiographs themselves are untouched"
)


def damaged(path: Path | str, detail: str) -> ProjectError:
    """The error for a project file whose content is damaged, ``detail`` saying where."""
    return ProjectError(f"project file {path} is damaged ({detail}); {_DAMAGED_HINT}")


class Database:
    """A connection plus a lock so that worker threads (GUI) can share one project."""

    def __init__(self, path: Path, conn: sqlite3.Connection, read_only: bool) -> None:
        self.path = path
        self.conn = conn
        self.read_only = read_only
        self.lock = threading.RLock()

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        """Run a read query and return all rows."""
        with self.lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise translate(exc, self.path, "read the project") from exc


def connect(path: Path, *, read_only: bool = False) -> Database:
    """Open ``path``, check it is an intact project of a known version, migrate it if older."""
    uri = path.resolve().as_uri()
    if not read_only:
        return _open(path, uri, read_only=False)
    try:
        # mode=ro never writes; the project may be open for writing elsewhere (WAL lets
        # readers and one writer work together).
        return _open(path, f"{uri}?mode=ro", read_only=True)
    except ProjectError as exc:
        code = getattr(exc.__cause__, "sqlite_errorname", "")
        if not (code.startswith("SQLITE_READONLY") or code == "SQLITE_CANTOPEN"):
            raise
    # A WAL reader needs a -shm file beside the database, which cannot be created in a
    # read-only folder. Nobody can be writing there either (a writer needs project.lock
    # in the same folder), so reading the file as immutable is safe.
    return _open(path, f"{uri}?mode=ro&immutable=1", read_only=True)


def _open(path: Path, uri: str, *, read_only: bool) -> Database:
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise translate(exc, path, "open the project") from exc
    conn.row_factory = sqlite3.Row
    db = Database(path, conn, read_only)
    try:
        _configure(db)
    except BaseException:
        conn.close()
        raise
    return db


def create(path: Path) -> None:
    """Create an empty project database at ``path`` at the current version."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        _migrate(conn, 0)
    except sqlite3.Error as exc:
        raise translate(exc, path, "create the project") from exc
    finally:
        conn.close()


def _configure(db: Database) -> None:
    conn, path = db.conn, db.path
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        # FULL: a commit survives power loss too, not only a crash of the app.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA busy_timeout = 5000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        problems = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.Error as exc:
        raise translate(exc, path, "open the project") from exc
    if problems != ["ok"]:
        raise damaged(path, "; ".join(problems[:3]))
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"project file {path} was made by a newer version of CC2D landmark studio "
            f"(format {version}; this version reads up to {SCHEMA_VERSION}); update the app"
        )
    if version == 0:
        try:
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.Error as exc:
            raise translate(exc, path, "open the project") from exc
        if tables == 0:  # a 0-byte file reads as an empty database: it lost its content
            raise damaged(path, "it is empty")
        raise ProjectError(f"{path} is an SQLite file but not a CC2D project (no format version)")
    if version < SCHEMA_VERSION:
        if db.read_only:
            raise ProjectError(
                f"project file {path} uses the older format {version}; open it once for "
                "writing to upgrade it before a read-only use"
            )
        backup = path.with_name(f"{path.name}.v{version}.bak")
        try:
            # A copy of the old file, in case the upgrade meets a bug or a full disk.
            dst = sqlite3.connect(backup)
            try:
                conn.backup(dst)
            finally:
                dst.close()
            _migrate(conn, version)
        except sqlite3.Error as exc:
            raise translate(exc, path, f"upgrade the project from format {version}") from exc
    if not db.read_only:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error as exc:
            raise translate(exc, path, "open the project") from exc


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    for target in range(version + 1, SCHEMA_VERSION + 1):
        # executescript commits what is pending, so each step is its own transaction.
        conn.executescript(
            f"BEGIN IMMEDIATE;\n{MIGRATIONS[target - 1]}\nPRAGMA user_version = {target};\nCOMMIT;"
        )


@contextmanager
def transaction(db: Database, doing: str) -> Iterator[sqlite3.Connection]:
    """One committed write: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""
    if db.read_only:
        raise ProjectError(f"cannot {doing}: the project {db.path.parent} is open read-only")
    with db.lock:
        conn = db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate(exc, db.path, doing) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite already rolled back (e.g. after SQLITE_FULL)
            if isinstance(exc, sqlite3.Error):
                raise translate(exc, db.path, doing) from exc
            raise


@contextmanager
def reading(db: Database, doing: str) -> Iterator[sqlite3.Connection]:
    """The connection for several reads under the lock, sqlite3 errors translated."""
    with db.lock:
        try:
            yield db.conn
        except sqlite3.Error as exc:
            raise translate(exc, db.path, doing) from exc


def integrity_check(db: Database) -> list[str]:
    """Full ``PRAGMA integrity_check``; ``["ok"]`` when the file is intact."""
    return [r[0] for r in db.query("PRAGMA integrity_check")]


# SQLite reports a write that found almost no space as "disk I/O error", not SQLITE_FULL
# (seen with < 24 KB left): below this much free space that is what it means.
LOW_SPACE_BYTES = 1 << 20


def _free_bytes(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path.parent).free
    except OSError:
        return None


def translate(exc: sqlite3.Error, path: Path, doing: str) -> ProjectError:
    """A user-facing ProjectError for an sqlite3 error while trying to ``doing``."""
    code = getattr(exc, "sqlite_errorname", "")
    text = str(exc)
    free = _free_bytes(path) if code.startswith("SQLITE_IOERR") or "disk I/O" in text else None
    if code == "SQLITE_FULL" or "disk is full" in text or (free is not None
                                                          and free < LOW_SPACE_BYTES):
        left = f" ({free // 1024} KB free)" if free is not None else ""
        return ProjectError(
            f"disk full{left}: could not {doing} in {path}; this change was not saved, "
            "earlier edits are safe. Free some disk space and try again"
        )
    broken = "not a database" in text or "malformed" in text
    if code in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or broken:
        return damaged(path, text)
    if code in ("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN") or "readonly" in text:
        return ProjectError(
            f"could not {doing}: {path} cannot be written or opened ({text}); check the folder's "
            "permissions, or open the project read-only to export"
        )
    if code == "SQLITE_BUSY" or "locked" in text:
        return ProjectError(f"could not {doing}: {path} is busy in another process ({text})")
    if isinstance(exc, sqlite3.IntegrityError):
        return ProjectError(f"could not {doing}: {text}")
    return ProjectError(f"could not {doing} in {path}: {text}")


def is_disk_full(exc: OSError) -> bool:
    """True for the OS errors that mean no space (or quota) is left."""
    return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
