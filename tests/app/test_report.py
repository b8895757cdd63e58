"""The PDF report (Ctrl+P, written off the GUI thread, first page rendered to PNG): the
patient, each measurement in its colour, whole landmark names, one table per analysis over
as many pages as they need; and the measurements CSV of the reviewed images."""

from __future__ import annotations

import csv
import dataclasses
import re
import shutil
import subprocess
import threading

import pytest
from gestures import show_active
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QImage, QPdfWriter
from PySide6.QtTest import QTest

from cc2d_app.controllers.report_actions import report_data
from cc2d_app.dialogs import file_dialogs
from cc2d_app.logic.measurements import value_text
from cc2d_app.logic.palette import MEASUREMENT_PALETTE, measurement_colour
from cc2d_app.main_window import MainWindow
from cc2d_app.session import ProjectSession
from cc2d_app.views import report_layout
from cc2d_app.views.report import IMAGE_H, IMAGE_MAX_W, IMAGE_TOP, write_report
from cc2d_app.views.report_image import DPI
from engine.analysis import load_analysis
from engine.analysis.point_error import load_model
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import (
    Landmark,
    LandmarkSource,
    PatientFields,
    Project,
    ReviewStatus,
    default_schema,
    load_schema,
    shipped_schemas_dir,
)
from engine.project.measuring import Measuring, measure_image, sigma_text

DOE = PatientFields("Doe, Jane", "P-0042", "1980-01-02", "2024-05-06", "Smith, Ann")


def isbi():
    schema = default_schema()
    return load_analysis("isbi2015").bind([schema.label(i) for i in range(len(schema))])


def measuring(*analyses):
    schema = default_schema()
    codes = tuple(schema.label(i) for i in range(len(schema)))
    model = load_model()
    return Measuring(tuple(load_analysis(a).bind(codes) for a in analyses), model, codes,
                     model.predicted(codes), 0)


def pdf_pages(pdf, layout: bool = False) -> list[str]:
    """Each page's text by pdftotext: in reading order with all white space one space (a
    wrapped table cell reads as one), or as laid out."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    text = subprocess.run(["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1]   # each page ends with a form feed
    return pages if layout else [" ".join(page.split()) for page in pages]


def pdf_text(pdf, layout: bool = False) -> str:
    return " ".join(pdf_pages(pdf, layout))


def page_count(pdf) -> int:
    """Pages of a PDF that Qt wrote, without poppler: its page objects."""
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf.read_bytes()))


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
    assert s.set_patient(recs[1].id, DOE)
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
    results = measure_image(isbi(), window.session.landmarks(ids[1]), rec.spacing, 0.0)
    window.close()

    assert page_count(pdf) == 1   # one analysis fits the first page
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftotext, pdftoppm) not installed")
    text = pdf_text(pdf)
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", pages, re.M) and "(A4)" in pages
    for needle in ("Cephalometric report", "proj", names[1], "0.1 mm/px", "calibrated",
                   "ISBI 2015", "Norm", "90 % interval", "Other class", "corrected",
                   "predicted (0.33)", "Page 1 of 1", "like one clinician"):
        assert needle in text, needle
    # The patient, each field named; laid out, a field and its value stay on one line.
    laid_out = pdf_text(pdf, layout=True)
    for label, value in DOE.shown():
        assert f"{label}: {value}" in laid_out, label
    # Whole landmark names, none cut with an ellipsis ("Supramentale (B po…").
    assert "…" not in text
    for name in default_schema().names:
        assert name in text, name
    for r in results:  # every measurement with its value and class
        assert r.name in text
        assert value_text(r).rstrip("°m ").rstrip() in text
        assert " ".join((r.class_meaning or "not classified").split()) in text
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
    table = tmp_path / "table_isbi2015.csv"     # one table per chosen analysis
    assert str(table) in next(m for m in messages if "written to" in m)
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert [r["image"] for r in rows] == names[:2]   # one row per image: template, reviewed
    expected = measure_image(isbi(), window.session.landmarks(ids[1]),
                             window.session.image(ids[1]).spacing, 0.0)
    for r in expected:
        assert float(rows[1][r.id]) == pytest.approx(r.value, rel=1e-3)
        assert rows[1][f"{r.id} unit"] == r.unit
        assert rows[1][f"{r.id} class"] == (r.class_name or "")
    assert rows[1]["MW unit"] == "mm"
    assert rows[0]["MW unit"] == "px" and rows[0]["MW class"] == ""  # no spacing
    window.close()


def _report(qtbot, project, sections=None, patient=None):
    """The report data of the reviewed image as Ctrl+P gathers it, its sections and patient
    replaced when given."""
    folder, ids, _names = project
    session = ProjectSession.open(folder)
    try:
        data = report_data(session, ids[1], measuring("isbi2015"), None,
                           sigma_text(0))
    finally:
        session.close()
    changes = {k: v for k, v in (("sections", sections), ("patient", patient)) if v is not None}
    return dataclasses.replace(data, **changes)


def test_three_analyses_take_more_than_one_page_each_table_whole(qtbot, project, tmp_path):
    data = _report(qtbot, project)
    results = data.sections[0][1]
    sections = [("First analysis", results), ("Second analysis", results),
                ("Third analysis", results[:3])]
    pdf = write_report(tmp_path / "three.pdf", dataclasses.replace(data, sections=sections))
    assert page_count(pdf) > 1
    pages = pdf_pages(pdf)
    assert len(pages) == page_count(pdf) and f"Page {len(pages)} of {len(pages)}" in pages[-1]
    # Page 1: the image, the landmarks and the first table only; the others after it.
    assert "Analyses: First analysis, Second analysis, Third analysis" in pages[0]
    assert "Measurements — First analysis" in pages[0] and "Measurements — S" not in pages[0]
    rest = " ".join(pages[1:])
    for title in ("Measurements — Second analysis", "Measurements — Third analysis"):
        assert title in rest
    assert "Landmarks" not in rest and "Doe, Jane · P-0042" in pages[1]
    for r in results:   # every row of every table is on some page
        assert rest.count(f" {r.name} ") >= (2 if r in results[:3] else 1), r.name


def test_a_report_without_analyses_or_patient_still_renders(qtbot, project, tmp_path):
    data = _report(qtbot, project, sections=[], patient=PatientFields())
    pdf = write_report(tmp_path / "bare.pdf", data)
    assert pdf.read_bytes().startswith(b"%PDF") and page_count(pdf) == 1
    text = pdf_text(pdf)
    assert "No analysis for this landmark set." in text and "Landmark sources:" in text
    assert "Supramentale (B point)" in text and "Patient" not in text


def test_a_long_table_continues_on_the_next_page_under_its_header(qtbot, project, tmp_path):
    data = _report(qtbot, project)
    many = data.sections[0][1] * 6   # 48 rows: page 1 holds some, the rest continue
    pdf = write_report(tmp_path / "long.pdf", dataclasses.replace(data, sections=[("Big", many)]))
    assert page_count(pdf) == 2
    first, later = pdf_pages(pdf)
    assert "Measurements — Big" in first and "(continued)" not in first
    assert "Measurements — Big (continued)" in later and "90 % interval" in later
    assert "Doe, Jane" in later   # the later page's header names the patient too


def test_each_measurement_has_its_own_colour_cycling_the_palette():
    r = measure_image(isbi(), [None] * 19, None, 1.0)
    colours = report_layout.measurement_colours([("A", r), ("B", r[:2])])
    assert [k[0] for k in colours] == [m.id for m in r]   # one per measurement, shared once
    assert list(colours.values()) == [measurement_colour(k) for k in range(len(r))]
    assert len(set(MEASUREMENT_PALETTE)) == len(MEASUREMENT_PALETTE)


def test_no_shipped_landmark_name_is_cut(qtbot):
    """At the narrowest landmark list (a landscape image takes the widest frame), every
    name of every shipped schema fits whole, and so does its label and source."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    device = QPdfWriter(buffer)
    device.setResolution(DPI)
    width = report_layout.CONTENT_W - IMAGE_MAX_W - 4
    sources = ["template", "corrected", "predicted (0.33)", "not placed"]
    schemas = [load_schema(p) for p in sorted(shipped_schemas_dir().glob("*.json"))]
    assert schemas
    for schema in schemas:
        labels = [schema.label(i) for i in range(len(schema))]
        row = report_layout.list_row(len(schema), IMAGE_H, IMAGE_TOP)
        cols = report_layout.landmark_columns(labels, list(schema.names), sources * 5, width,
                                              row, device)
        font = report_layout.font(cols.points)
        assert cols.points >= 6.5, schema.name   # still readable
        for label, name in zip(labels, schema.names):
            room = cols.name_w if label != name else cols.name_w + cols.label_w
            assert report_layout.elided(name, font, room, device) == name, name
            if label != name:
                assert report_layout.elided(label, font, cols.label_w, device) == label
        for source in sources:
            assert report_layout.elided(source, font, cols.source_w, device) == source


def test_pagination_keeps_titles_with_rows_and_the_notes_on_the_page():
    paginate = report_layout.paginate
    # The first table fits the first page; the others start on the second.
    layout = paginate([[6.0] * 5, [6.0] * 3, [6.0] * 2], notes_h=10, first_top=170)
    assert [[(t.section, t.start, t.end) for t in page] for page in layout.pages] == [
        [(0, 0, 5)], [(1, 0, 3), (2, 0, 2)]]
    assert layout.notes_page == 1
    # 40 rows from low on page 1: split, continued, the rows in order and each once.
    layout = paginate([[6.0] * 40], notes_h=10, first_top=170)
    parts = [t for page in layout.pages for t in page]
    assert parts[0].start == 0 and parts[-1].end == 40 and len(layout.pages) == 2
    assert all(a.end == b.start for a, b in zip(parts, parts[1:]))
    assert [t.continued for t in parts] == [False, True]
    # Room for a title but one row only: the table starts on the next page.
    layout = paginate([[6.0] * 4], notes_h=10, first_top=report_layout.BOTTOM - 19)
    assert layout.pages[0] == [] and layout.pages[1][0].y == report_layout.TOP_LATER
    # Notes that do not fit under the last table get a page of their own.
    layout = paginate([[6.0] * 4], notes_h=30, first_top=report_layout.BOTTOM - 45)
    assert layout.notes_page == 1 and layout.notes_y == report_layout.TOP_LATER
    assert paginate([], notes_h=10, first_top=200) == report_layout.Layout([[]], 0, 200)


def open_export_dialog(qtbot, folder):
    """The main window on ``folder`` and its Export dialog, opened by the menu action."""
    from cc2d_app.dialogs.export_dialog import ExportDialog

    window = MainWindow()
    show_active(qtbot, window)
    window.open_project(str(folder))
    window.act_export.trigger()
    dialog = window.findChild(ExportDialog)
    qtbot.waitExposed(dialog)
    return window, dialog


def test_dicom_export_holds_the_chosen_analyses_and_the_report(qtbot, project, tmp_path):
    import pydicom
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPushButton

    from engine.dicom_out.sr import read_report

    folder, ids, names = project
    window, dialog = open_export_dialog(qtbot, folder)
    boxes = {b.text().split(":")[0]: b for b in dialog.findChildren(QCheckBox)}
    for name, box in boxes.items():   # DICOM only
        if box.isChecked() != (name == "DICOM"):
            qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert [n for n, b in boxes.items() if b.isChecked()] == ["DICOM"]
    out = dialog.findChild(QLineEdit, "exportFolder")
    out.selectAll()
    qtbot.keyClicks(out, str(tmp_path / "out"))
    qtbot.mouseClick(next(b for b in dialog.findChildren(QPushButton) if b.text() == "Export"),
                     Qt.MouseButton.LeftButton)
    status = dialog.findChild(QLabel, "exportStatus")
    qtbot.waitUntil(lambda: "Wrote" in status.text(), timeout=30000)
    window.close()
    stem = names[1].rsplit(".", 1)[0]
    dicom = tmp_path / "out" / "dicom"
    sr, sc, doc = (dicom / f"{stem}_{kind}.dcm" for kind in ("sr", "sc", "report"))
    back = read_report(sr)
    assert len(back.points) == 19 and ("isbi2015", "SNA") in back.values
    pdf = pydicom.dcmread(doc)
    assert bytes(pdf.EncapsulatedDocument).startswith(b"%PDF")
    assert pdf.StudyInstanceUID == pydicom.dcmread(sc).StudyInstanceUID
    assert str(pdf.PatientName) == "Doe^Jane"
