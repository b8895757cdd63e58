"""The one-page PDF report (Ctrl+P, written off the GUI thread, first page rendered to PNG)
and the measurements CSV of the reviewed images."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import threading

import pytest
from gestures import show_active
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from cc2d_app.dialogs import file_dialogs
from cc2d_app.logic.measurements import measure_image, value_text
from cc2d_app.main_window import MainWindow
from cc2d_app.session import ProjectSession
from engine.analysis import load_analysis
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import Landmark, LandmarkSource, Project, ReviewStatus, default_schema


@pytest.fixture()
def project(tmp_path):
    """Three phantom images, ISBI landmarks: the template, one reviewed, one not."""
    _paths, table = write_phantom_dataset(tmp_path / "rays", 3,
                                          PhantomSpec(n_landmarks=19, width=300, height=360))
    folder = tmp_path / "proj"
    s = ProjectSession.create(folder, default_schema())
    s.add_images_task([tmp_path / "rays"])(lambda d, t: None, threading.Event())
    s.images_added()
    recs = s.images()
    s.set_template(recs[0].id)
    for i, (x, y) in enumerate(table.get(recs[0].name)):
        s.place(recs[0].id, i, x, y)
    predicted = {r.id: {i: Landmark(x + 2, y - 1, LandmarkSource.PREDICTED, 0.3 + 0.03 * i)
                        for i, (x, y) in enumerate(table.get(r.name))} for r in recs[1:]}
    s.close()   # the predictions as a training stores them, through the store itself
    with Project.open(folder) as store:
        store.apply_edits(predicted, predictions=predicted)
    s = ProjectSession.open(folder)
    s.place(recs[1].id, 0, 40.0, 50.0)  # a correction
    s.set_status(recs[1].id, ReviewStatus.REVIEWED)
    s.set_calibration(recs[1].id, 0.1)
    s.close()
    return folder, [r.id for r in recs], [r.name for r in recs]


def test_report_pdf_written_with_ctrl_p(qtbot, project, tmp_path, monkeypatch):
    folder, ids, names = project
    out = tmp_path / "reports" / "second"  # the suffix is added
    asked = []
    monkeypatch.setattr(file_dialogs, "choose_save_file",
                        lambda *a: asked.append(a[1:]) or str(out))
    window = MainWindow()
    show_active(qtbot, window)
    window.open_project(str(folder))
    ws = window.workspace
    ws.show_image(ids[1])
    rec = window.session.image(ids[1])
    qtbot.waitUntil(lambda: ws.canvas.image_size() == (rec.width, rec.height))
    messages = []
    ws.messageText.connect(messages.append)
    QTest.keyClick(ws.canvas, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    pdf = out.with_suffix(".pdf")
    qtbot.waitUntil(lambda: any("Report written" in m for m in messages), timeout=20000)
    assert asked[0][0] == "Save the report" and asked[0][1].endswith(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and str(pdf) in messages[-1]
    results = measure_image(load_analysis("isbi2015"), window.session.landmarks(ids[1]),
                            rec.spacing)
    window.close()

    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftotext, pdftoppm) not installed")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.M) and "(A4)" in pages
    for needle in ("Cephalometric report", "proj", names[1], "0.1 mm/px", "calibrated",
                   "ISBI 2015", "Normal range", "corrected", "predicted (0.33)"):
        assert needle in text, needle
    for r in results:  # every measurement with its value and class
        assert r.name in text
        assert value_text(r).rstrip("°m ").rstrip() in text
        assert (r.class_meaning or "not classified") in text
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", "-f", "1", "-l", "1",
                    str(pdf), str(png)], check=True)
    page = QImage(str(png) + ".png")
    assert page.width() / page.height() == pytest.approx(210 / 297, abs=0.01)  # A4 portrait
    # The radiograph is on the page: the phantom's dark background, left under the header.
    x, y = int(page.width() * 0.2), int(page.height() * 0.3)
    assert QImage.pixelColor(page, x, y).lightness() < 200


def test_measurements_csv_of_reviewed_images(qtbot, project, tmp_path, monkeypatch):
    folder, ids, names = project
    out = tmp_path / "table.csv"
    monkeypatch.setattr(file_dialogs, "choose_save_file", lambda *a: str(out))
    window = MainWindow()
    show_active(qtbot, window)
    window.open_project(str(folder))
    messages = []
    window.workspace.messageText.connect(messages.append)
    window.act_measurements_csv.trigger()
    qtbot.waitUntil(lambda: any("written to" in m for m in messages), timeout=10000)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert "16 measurements of 2 image(s)" in next(m for m in messages if "written to" in m)
    assert sorted({r["image"] for r in rows}) == sorted(names[:2])  # template + reviewed
    reviewed = {r["measurement"]: r for r in rows if r["image"] == names[1]}
    expected = measure_image(load_analysis("isbi2015"), window.session.landmarks(ids[1]),
                             window.session.image(ids[1]).spacing)
    for r in expected:
        row = reviewed[r.id]
        assert float(row["value"]) == pytest.approx(r.value, rel=1e-3)
        assert row["unit"] == r.unit and row["class"] == (r.class_name or "")
        assert row["borderline"] == str(r.borderline).lower()
    assert reviewed["MW"]["unit"] == "mm"
    template = {r["measurement"]: r for r in rows if r["image"] == names[0]}
    assert template["MW"]["unit"] == "px" and template["MW"]["class"] == ""  # no spacing
    window.close()

