"""Checks run BEFORE Qt starts, so a missing display or system library is explained in one
readable line instead of Qt's "could not load the Qt platform plugin xcb" abort.

No Qt import here: importing PySide6.QtWidgets is what would fail.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

# Shared libraries Qt's xcb platform plugin loads, and the Debian/Ubuntu package of each.
SONAME_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}

# Everything the GUI needs on a bare Debian/Ubuntu desktop (quoted by the README).
GUI_LINUX_PACKAGES: tuple[str, ...] = tuple(dict.fromkeys(SONAME_PACKAGES.values()))

NO_DISPLAY_MESSAGE = (
    "CC2D landmark studio cannot open a window: no display (neither DISPLAY nor "
    "WAYLAND_DISPLAY is set). Run it on a desktop, or set QT_QPA_PLATFORM=offscreen "
    "for headless use."
)

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found\s*$")


def parse_ldd_missing(ldd_output: str) -> list[str]:
    """Sonames ``ldd`` reported as "not found", in order, each once."""
    found = (m.group(1) for m in map(_NOT_FOUND.match, ldd_output.splitlines()) if m)
    return list(dict.fromkeys(found))


def packages_for(sonames: Iterable[str]) -> list[str]:
    """Debian packages providing ``sonames``, each once; unknown sonames are kept as-is."""
    return list(dict.fromkeys(SONAME_PACKAGES.get(s, s) for s in sonames))


def install_hint(packages: Iterable[str]) -> str:
    """The one apt-get line that installs ``packages``."""
    return "sudo apt-get install -y " + " ".join(packages)


def _platform(env: Mapping[str, str]) -> str:
    # QT_QPA_PLATFORM may be a fallback list like "wayland;xcb"; Qt tries the first.
    return env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()


def uses_xcb(env: Mapping[str, str] | None = None) -> bool:
    """Whether Qt will start its X11 (xcb) platform plugin on this Linux machine."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return False
    platform = _platform(env)
    if platform:
        return platform == "xcb"
    # Unset: Qt starts Wayland first in a Wayland session or when only Wayland is there.
    if env.get("WAYLAND_DISPLAY") and (
        env.get("XDG_SESSION_TYPE") == "wayland" or not env.get("DISPLAY")
    ):
        return False
    return True


def xcb_libraries() -> list[Path]:
    """PySide6's xcb platform plugin and the Qt library behind it (those that exist)."""
    spec = importlib.util.find_spec("PySide6")  # locates the package without importing Qt
    if spec is None or not spec.submodule_search_locations:
        return []
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    candidates = [qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"]
    return [p for p in candidates if p.is_file()]


def missing_linux_packages() -> list[str]:
    """Debian packages the xcb plugin needs but cannot find; empty when fine or not applicable."""
    if not uses_xcb() or not os.environ.get("DISPLAY"):
        return []
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    sonames: list[str] = []
    for library in xcb_libraries():
        try:
            done = subprocess.run(
                [ldd, str(library)], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue  # no verdict is better than a false alarm; Qt will speak for itself
        sonames += parse_ldd_missing(done.stdout)
    return packages_for(sonames)


def preflight() -> str | None:
    """A message explaining why the GUI cannot start here, or None when it can (or may)."""
    if not uses_xcb():
        return None
    if not os.environ.get("DISPLAY"):
        return NO_DISPLAY_MESSAGE
    missing = missing_linux_packages()
    if not missing:
        return None
    known = [p for p in missing if ".so" not in p]
    unknown = [p for p in missing if ".so" in p]
    lines = [
        "CC2D landmark studio cannot open a window: Qt's X11 platform plugin needs system "
        f"libraries that are not installed ({', '.join(missing)})."
    ]
    if known:
        lines.append(f"On Debian/Ubuntu install them with:\n    {install_hint(known)}")
    if unknown:
        lines.append(f"No known package provides {', '.join(unknown)}; install it by that name.")
    lines.append("Or set QT_QPA_PLATFORM=offscreen for headless use.")
    return "\n".join(lines)
