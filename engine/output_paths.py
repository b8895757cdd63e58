"""Output paths that would destroy something are refused before anything is written.

Two rules, for every writer: a target that exists must be a regular file (a named pipe,
a device or a socket is never replaced by a file, nor blocked on), and a target must not
be one of the files the work reads or owns (an input image, the labels, the project's
database). Files are compared by identity (device and inode), so a link, a relative path
or another spelling of an input is caught too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from engine.errors import CC2DError


class OutputPathError(CC2DError):
    """An output path that names an input, the project's own files or a special file."""


_KINDS = {stat.S_ISFIFO: "a named pipe", stat.S_ISCHR: "a character device",
          stat.S_ISBLK: "a block device", stat.S_ISSOCK: "a socket", stat.S_ISDIR: "a folder"}


def special_kind(path: str | os.PathLike[str]) -> str | None:
    """"a named pipe", "a folder", ... when ``path`` exists and is not a regular file
    (links followed); None for a regular file or nothing there."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None   # absent (or unreachable: opening it then says why)
    return next((kind for test, kind in _KINDS.items() if test(mode)), None)


def refuse_special(path: str | os.PathLike[str]) -> None:
    """OutputPathError when ``path`` exists and is not a regular file."""
    kind = special_kind(path)
    if kind is not None:
        raise OutputPathError(f"{path} is {kind}, not a regular file; name a file to "
                              "write (nothing was written)")


class ProtectedFiles:
    """Files no output may replace; ``what`` says what they are in the message."""

    def __init__(self, paths: Iterable[str | os.PathLike[str]], what: str) -> None:
        self._what = what
        self._ids: dict[tuple[int, int], Path] = {}
        for p in paths:
            try:
                st = os.stat(p)
            except OSError:
                continue   # a file that is not there cannot be overwritten
            self._ids[(st.st_dev, st.st_ino)] = Path(p)

    def check(self, path: str | os.PathLike[str]) -> None:
        """OutputPathError if writing ``path`` would replace a protected or special file."""
        refuse_special(path)
        try:
            st = os.stat(path)
        except OSError:
            return
        hit = self._ids.get((st.st_dev, st.st_ino))
        if hit is not None:
            same = "" if Path(path) == hit else f" (the same file as {hit})"
            raise OutputPathError(f"{path} is {self._what}{same}; writing it would destroy "
                                  "it — name another output (nothing was written)")
