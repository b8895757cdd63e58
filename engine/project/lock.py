"""One writer per project: an OS-level lock on ``project.lock``.

The lock is ``fcntl.flock`` (POSIX) or ``msvcrt.locking`` (Windows) on an open file,
so the operating system drops it when the holding process dies, even by SIGKILL or
a power cut: a stale lock file from a dead process is simply taken over. The file
also records the holder's pid and host so the refusal message can name them.
The file is never deleted on release: deleting it would let two processes lock two
different files of the same name.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from engine.errors import ProjectError

LOCK_NAME = "project.lock"

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
try:
    import msvcrt
except ImportError:  # POSIX
    msvcrt = None  # type: ignore[assignment]

# msvcrt locks are mandatory: lock a byte far past the holder text so others can still read it.
_WIN_LOCK_OFFSET = 1 << 20


class ProjectLock:
    """Exclusive lock on ``<folder>/project.lock``; use :meth:`acquire` / :meth:`release`."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise ProjectError naming the process that holds it."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:
            raise ProjectError(
                f"cannot lock {self.path.parent} for editing: the folder is read-only "
                "(permission denied); use a writable folder, or open an existing project "
                "read-only to export"
            ) from None
        except OSError as exc:
            raise ProjectError(
                f"cannot create the lock file {self.path}: {exc.strerror or exc}"
            ) from None
        try:
            _lock(fd)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise ProjectError(
                f"project {self.path.parent} is already open for editing ({holder}); "
                "close it there first, or open it read-only to export"
            ) from None
        try:
            host = socket.gethostname()
            info = json.dumps({"pid": os.getpid(), "host": host, "since": time.time()})
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, info.encode("utf-8"))
        except OSError:
            # The holder text is only for messages; the lock itself is what counts.
            pass
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    elif msvcrt is not None:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    elif msvcrt is not None:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8"))
        if info["pid"] == os.getpid() and info["host"] == socket.gethostname():
            return f"by this process, pid {info['pid']}"
        return f"by another process, pid {info['pid']} on host {info['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"
