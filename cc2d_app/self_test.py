"""``cc2d-app --self-test``: does this installation (the PyInstaller bundle or a source
checkout) have everything the app needs? No display, data or network is needed.

Each check returns a one-line detail or raises with the reason; every check runs (so one
run lists every problem), and the exit status is 0 only when all of them passed.
The demo project is built in a temporary settings folder, never in the user's.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

Check = tuple[str, Callable[[], str]]

# Platform plugin the window uses on each OS; offscreen is what the self-test itself runs on.
NATIVE_PLATFORM = {"linux": "xcb", "win32": "windows", "darwin": "cocoa"}
GUI_TIMEOUT_S = 60.0


class SelfTestError(Exception):
    """A check failed; the message says why."""


def bundle_dir() -> Path | None:
    """The unpacked bundle's internal folder when running frozen (PyInstaller), else None."""
    meipass = getattr(sys, "_MEIPASS", None)
    return Path(meipass).resolve() if getattr(sys, "frozen", False) and meipass else None


def _inside_bundle(path: str | os.PathLike[str]) -> bool:
    base = bundle_dir()
    return base is None or Path(path).resolve().is_relative_to(base)


def check_imports() -> str:
    import cv2
    import numpy
    import pydicom
    import torch
    import torchvision

    modules = (torch, torchvision, cv2, pydicom, numpy)
    # A bundle that loads a package from elsewhere (a stray PYTHONPATH, a system Python)
    # would pass here and fail on the clinic's machine.
    outside = [m.__name__ for m in modules if not _inside_bundle(m.__file__)]
    if outside:
        raise SelfTestError(f"loaded from outside the bundle: {', '.join(outside)}")
    return ", ".join(f"{m.__name__} {m.__version__}" for m in modules)


def check_nms() -> str:
    import torch
    from torchvision.ops import nms

    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=torch.float32)
    keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), iou_threshold=0.5).tolist()
    if keep != [0, 2]:
        raise SelfTestError(f"torchvision.ops.nms kept {keep}, expected [0, 2]")
    return "torchvision.ops.nms (compiled ops) kept [0, 2]"


def check_network() -> str:
    import torch

    from engine.models.landmark_unet import LandmarkUNet
    from engine.tpl.config import PROFILES, TPLConfig

    cfg = TPLConfig(**PROFILES["tiny"])
    net = LandmarkUNet(3, cfg.width, cfg.batch_norm, cfg.output_stride).eval()
    size = cfg.image_size
    image = torch.rand(1, 1, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        heat, offsets = net(image)
    if heat.shape != (1, 3, size, size) or offsets.shape != (1, 3, 2, size, size):
        raise SelfTestError(f"TPL network gave {tuple(heat.shape)}, {tuple(offsets.shape)}")
    if not (torch.isfinite(heat).all() and torch.isfinite(offsets).all()):
        raise SelfTestError("TPL network gave non-finite outputs")
    return f"TPL network forward on CPU ({size}×{size}, 3 landmarks)"


def check_pretrained_weights() -> str:
    from engine.models.efficientnet_lite import EfficientNetLite0, load_lite0_weights, weights_path

    path = weights_path()
    if not _inside_bundle(path):
        raise SelfTestError(f"the ImageNet weights load from outside the bundle: {path}")
    return f"{load_lite0_weights(EfficientNetLite0(), path)} loaded"


def check_cuda() -> str:
    import torch

    if not torch.cuda.is_available():
        return "no CUDA device: the app trains on the CPU"
    # A device is there: prove the bundled CUDA libraries load and compute.
    x = torch.ones(64, 64, device="cuda")
    if float((x @ x).sum()) != 64.0 ** 3:
        raise SelfTestError("a matrix product on the GPU gave a wrong result")
    return f"CUDA works on {torch.cuda.get_device_name(0)}"


def check_dicom() -> str:
    from pydicom.data import get_testdata_file

    from engine.data.dicom import read_dicom

    path = get_testdata_file("CT_small.dcm", download=False)  # shipped with pydicom
    if path is None:
        raise SelfTestError("pydicom's test file CT_small.dcm is missing")
    pixels, spacing = read_dicom(path)
    if pixels.shape != (128, 128) or spacing is None:
        raise SelfTestError(f"CT_small.dcm decoded as {pixels.shape}, spacing {spacing}")
    return f"CT_small.dcm decoded, 128×128, {spacing.row_mm:.3g} mm pixels"


def check_dicom_sr() -> str:
    """An SR over a Secondary Capture, in memory and read back (highdicom's tables)."""
    import io

    import numpy as np
    import pydicom

    from engine.dicom_out.source import secondary_capture
    from engine.dicom_out.sr import PointOut, measurement_report
    from engine.project import PatientFields

    sc = secondary_capture(np.linspace(0, 1, 64).reshape(8, 8), PatientFields(), None, "self")
    sr = measurement_report(sc, [PointOut("S", "Sella", 2.0, 3.0, "template")], [], "self")
    buffer = io.BytesIO()
    sr.save_as(buffer, enforce_file_format=True)
    back = pydicom.dcmread(io.BytesIO(buffer.getvalue()))
    if back.StudyInstanceUID != sc.StudyInstanceUID:
        raise SelfTestError("the SR is not in its image's study")
    return "an SR over a Secondary Capture written and read back"


def check_resources() -> str:
    from engine.analysis.library import library, shipped_analyses_dir
    from engine.analysis.point_error import load_model
    from engine.project.schema import shipped_schema_ids, shipped_schemas_dir

    shipped = library((shipped_analyses_dir(),))
    schemas, analyses = shipped_schema_ids(), [a.id for a in shipped.analyses]
    if not schemas or not analyses or shipped.problems:
        raise SelfTestError(f"shipped schemas {schemas} or analyses {analyses} missing or "
                            f"broken: {'; '.join(shipped.problems)}")
    load_model()   # the points' error tables, checked
    if not _inside_bundle(shipped_schemas_dir()):
        raise SelfTestError(f"resources read from outside the bundle: {shipped_schemas_dir()}")
    from cc2d_app.main import app_icon_path

    if not app_icon_path().is_file():
        raise SelfTestError(f"app icon missing: {app_icon_path()}")
    return f"schemas {', '.join(schemas)}; analyses {', '.join(analyses)}; app icon"


def check_qt_plugins() -> str:
    from PySide6.QtCore import QCoreApplication

    native = NATIVE_PLATFORM.get(sys.platform)
    for folder in map(Path, QCoreApplication.libraryPaths()):
        names = {p.name for p in (folder / "platforms").glob("*")}
        if any("offscreen" in n for n in names):
            break
    else:
        raise SelfTestError(f"no Qt platform plugins in {QCoreApplication.libraryPaths()}")
    if native and not any(native in n for n in names):
        raise SelfTestError(f"the '{native}' platform plugin is missing from {folder}")
    if not _inside_bundle(folder):
        raise SelfTestError(f"Qt plugins loaded from outside the bundle: {folder}")
    return f"platforms {', '.join(sorted(names))} in {folder}"


def check_icon() -> str:
    import qtawesome as qta

    image = qta.icon("mdi6.school", color="black").pixmap(32, 32).toImage()
    inked = sum(image.pixelColor(x, y).alpha() > 0 for x in range(32) for y in range(32))
    if inked < 20:  # an icon font that failed to load draws nothing
        raise SelfTestError(f"qtawesome's mdi6.school drew {inked} pixels (fonts missing?)")
    return f"qtawesome icon drawn ({inked} of 1024 pixels inked)"


def check_demo_window() -> str:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from cc2d_app.main_window import MainWindow

    app = QApplication.instance()
    window = MainWindow()
    window.show()
    try:
        window.open_demo()
        deadline = time.monotonic() + GUI_TIMEOUT_S
        while time.monotonic() < deadline:
            app.processEvents()
            # show_error does not block: a failure shows up as a visible message box.
            boxes = [w for w in app.topLevelWidgets() if isinstance(w, QMessageBox)
                     and w.isVisible()]
            if boxes:
                raise SelfTestError(f"{boxes[0].windowTitle()}: {boxes[0].text()}")
            if window.session is not None and window.workspace.current_id is not None:
                rec = window.session.image(window.workspace.current_id)
                if window.workspace.canvas.image_size() == (rec.width, rec.height):
                    return (f"demo project opened, {len(window.session.images())} images, "
                            f"{rec.name} drawn at {rec.width}×{rec.height}")
            time.sleep(0.01)
        raise SelfTestError(f"the demo did not open within {GUI_TIMEOUT_S:.0f} s")
    finally:
        window.close()
        app.processEvents()


CHECKS: tuple[Check, ...] = (
    ("imports", check_imports),
    ("torchvision ops", check_nms),
    ("TPL network", check_network),
    ("pretrained weights", check_pretrained_weights),
    ("CUDA", check_cuda),
    ("DICOM", check_dicom),
    ("DICOM SR", check_dicom_sr),
    ("resources", check_resources),
    ("Qt plugins", check_qt_plugins),
    ("icons", check_icon),
    ("demo window", check_demo_window),
)


def run_checks(checks: Sequence[Check], say: Callable[[str], None]) -> int:
    """Run every check, report each, and return 0 when all passed, else 1."""
    failed = []
    for name, check in checks:
        start = time.perf_counter()
        try:
            detail = check()
        except Exception as exc:  # any failure is a verdict, with its reason
            failed.append(name)
            say(f"  FAIL  {name}: {type(exc).__name__}: {exc}")
        else:
            say(f"  ok    {name}: {detail} ({time.perf_counter() - start:.1f} s)")
    if failed:
        say(f"self-test FAILED: {', '.join(failed)}")
        return 1
    say("self-test passed")
    return 0


def _say(line: str) -> None:
    if sys.stdout is not None:  # None in a windowed build on Windows
        print(line, flush=True)


def run_self_test() -> int:
    """The ``--self-test`` entry: a QApplication, a temporary settings folder, every check."""
    from PySide6.QtWidgets import QApplication

    from cc2d_app.settings import SETTINGS_DIR_ENV
    from cc2d_app.views.theme import apply_theme

    where = bundle_dir() or Path(__file__).resolve().parents[1]
    _say(f"CC2D landmark studio self-test ({'bundle' if bundle_dir() else 'source'}: {where})")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cc2d-self-test-") as settings:
        previous = os.environ.get(SETTINGS_DIR_ENV)
        os.environ[SETTINGS_DIR_ENV] = settings
        try:
            app = QApplication.instance() or QApplication(sys.argv[:1])
            apply_theme(app)
            status = run_checks(CHECKS, _say)
        finally:
            if previous is None:
                os.environ.pop(SETTINGS_DIR_ENV, None)
            else:
                os.environ[SETTINGS_DIR_ENV] = previous
    _say(f"({time.perf_counter() - start:.1f} s)")
    return status
