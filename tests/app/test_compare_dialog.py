"""Two radiographs of one patient: the compare dialog superimposes the second on the first
(S–N by default, or the pair chosen) and lists every measurement's change."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from test_measurements_panel import open_measurements

from cc2d_app.dialogs.compare_dialog import SECOND_COLOUR, CompareDialog
from cc2d_app.logic.compare import default_pair
from cc2d_app.session import ProjectSession
from engine.analysis import load_analysis
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import LandmarkSchema, default_schema

LEFT = Qt.MouseButton.LeftButton
A_POINT = 4   # ISBI landmark 5 (A): SNA uses it


def _turned(points: np.ndarray, degrees: float, shift: tuple[float, float]) -> np.ndarray:
    a = math.radians(degrees)
    centre = np.array([150.0, 180.0])
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return (points - centre) @ rotation.T + centre + np.asarray(shift)


def patient_project(tmp_path, move_a: float = 0.0):
    """Two phantom images: the second holds the first's points turned 6° and moved (the
    same head placed otherwise), its A point ``move_a`` px further forward."""
    _paths, table = write_phantom_dataset(tmp_path / "rays", 2,
                                          PhantomSpec(n_landmarks=19, width=300, height=360))
    s = ProjectSession.create(tmp_path / "proj", default_schema())
    s.add_images_task([tmp_path / "rays"])(lambda d, t: None, threading.Event())
    s.images_added()
    first, second = s.images()
    points = table.get(first.name)
    moved = points.copy()
    moved[A_POINT, 0] += move_a
    later = _turned(moved, 6.0, (5.0, -4.0))
    s.set_template(first.id)
    for i, (x, y) in enumerate(points):
        s.place(first.id, i, x, y)
    for i, (x, y) in enumerate(later):
        s.place(second.id, i, x, y)
    s.close()
    return tmp_path / "proj", points, later


def _open_dialog(qtbot, folder) -> tuple[object, CompareDialog]:
    window, ws = open_measurements(qtbot, folder)
    qtbot.mouseClick(ws.measurements.compare, LEFT)
    dialog = window.findChild(CompareDialog)
    qtbot.waitExposed(dialog)
    return window, dialog


def _rows(dialog: CompareDialog) -> dict[str, tuple[str, str, str]]:
    table = dialog.table
    return {table.topLevelItem(k).text(0): tuple(table.topLevelItem(k).text(c)
                                                 for c in (1, 2, 3))
            for k in range(table.topLevelItemCount())}


def _second_dots(dialog: CompareDialog) -> list[tuple[float, float]]:
    return sorted((round(item.pos().x(), 6), round(item.pos().y(), 6))
                  for item in dialog.scene.items()
                  if hasattr(item, "brush") and item.brush().color().name() == SECOND_COLOUR)


def test_the_same_head_placed_otherwise_superimposes_exactly(qtbot, tmp_path):
    folder, points, _later = patient_project(tmp_path)
    window, dialog = _open_dialog(qtbot, folder)
    assert "registered at S, oriented on S–N" in dialog.legend.text()
    expected = sorted((round(x, 6), round(y, 6)) for x, y in points)
    assert np.allclose(_second_dots(dialog), expected, atol=1e-5)
    rows = _rows(dialog)
    assert rows.pop("ISBI 2015 challenge classification") == ("", "", "")   # its heading
    assert rows and all(change in ("0.0°", "0.0 px", "0.00") for _a, _b, change in rows.values())
    # Registered on another pair (Gonion towards Menton): a rigid turn still matches.
    dialog.at.setFocus()
    for _ in range(dialog.at.currentIndex() - 9):
        QTest.keyClick(dialog.at, Qt.Key.Key_Up)
    for _ in range(9 - dialog.at.currentIndex()):
        QTest.keyClick(dialog.at, Qt.Key.Key_Down)
    assert dialog.at.currentData() == 9
    assert "registered at Go, oriented on Go–N" in dialog.legend.text()
    assert np.allclose(_second_dots(dialog), expected, atol=1e-5)
    dialog.reject()
    window.close()


def test_a_moved_point_shows_its_change_as_measured(qtbot, tmp_path):
    folder, points, _later = patient_project(tmp_path, move_a=12.0)
    window, dialog = _open_dialog(qtbot, folder)
    schema = default_schema()
    analysis = load_analysis("isbi2015").bind([schema.label(i) for i in range(len(schema))])
    moved = points.copy()
    moved[A_POINT, 0] += 12.0   # SNA is the same on the turned copy: angles do not turn
    sna = {r.id: r.value for r in analysis.measure(moved, None)}["SNA"] - \
        {r.id: r.value for r in analysis.measure(points, None)}["SNA"]
    assert abs(sna) > 1.0
    first, second, change = _rows(dialog)[analysis.analysis.by_id("SNA").name]
    assert change == f"{sna:+.1f}°"
    assert _second_dots(dialog) != sorted((round(x, 6), round(y, 6)) for x, y in points)
    assert "no pixel size" not in dialog.legend.text()
    dialog.reject()
    window.close()


def test_one_image_without_a_pixel_size_is_drawn_pixel_for_pixel_and_said_so(qtbot, tmp_path):
    folder, points, _later = patient_project(tmp_path)
    session = ProjectSession.open(folder)
    session.set_calibration(session.images()[0].id, 0.1)   # the first image only
    session.close()
    window, dialog = _open_dialog(qtbot, folder)
    assert f"{dialog.second.currentText()} has no pixel size" in dialog.legend.text()
    expected = sorted((round(x, 6), round(y, 6)) for x, y in points)
    assert np.allclose(_second_dots(dialog), expected, atol=1e-5)
    dialog.reject()
    window.close()


def test_the_default_pair_is_s_n_when_the_schema_has_them():
    assert default_pair(default_schema()) == (0, 1)
    assert default_pair(LandmarkSchema.from_names(["Tip", "Nasion", "Sella"])) == (2, 1)
    assert default_pair(LandmarkSchema.from_names(["Tip", "Base"])) == (0, 1)


def test_the_superimposition_report(qtbot, tmp_path, monkeypatch):
    import shutil
    import subprocess

    from cc2d_app.dialogs import file_dialogs

    folder, _points, _later = patient_project(tmp_path, move_a=12.0)
    out = tmp_path / "sup"
    monkeypatch.setattr(file_dialogs, "choose_save_file", lambda *a: str(out))
    window, dialog = _open_dialog(qtbot, folder)
    assert dialog.report.isEnabled()
    qtbot.mouseClick(dialog.report, LEFT)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Written to"), timeout=20000)
    pdf = out.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    rows = _rows(dialog)
    window.close()
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                   text=True, check=True).stdout.split()).replace("ﬁ", "fi")
    assert "Superimposition" in text and "Registered at S, oriented on S–N" in text
    assert "ISBI 2015 challenge classification" in text
    first, second, change = rows["SNA"]
    assert f"SNA {first} {second} {change}" in text
