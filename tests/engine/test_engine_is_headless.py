"""The engine never imports Qt or the GUI package (house rule, as in napari's core)."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import engine

FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qtawesome", "qtpy", "cc2d_app")
ENGINE_DIR = Path(engine.__file__).parent


def _engine_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages([str(ENGINE_DIR)], prefix="engine."))


def test_no_engine_source_imports_qt_or_the_gui():
    offenders = []
    for path in ENGINE_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ENGINE_DIR)}: {n}" for n in names
                          if n.split(".")[0] in FORBIDDEN]
    assert not offenders, offenders


def test_importing_every_engine_module_loads_no_qt():
    modules = _engine_modules()
    assert "engine.cli.main" in modules and len(modules) > 10
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
