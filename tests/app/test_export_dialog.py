"""The export dialog: formats, which images, where; files read back."""

from __future__ import annotations

import csv
import threading

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPushButton, QRadioButton

from cc2d_app.dialogs.export_dialog import ExportDialog
from cc2d_app.session import ProjectSession
from cc2d_app.settings import AppSettings
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import LandmarkSchema, ReviewStatus

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture()
def session(tmp_path, qtbot):
    write_phantom_dataset(tmp_path / "rays", 3, PhantomSpec(n_landmarks=3, width=64, height=80))
    s = ProjectSession.create(tmp_path / "proj", LandmarkSchema.from_names(["A", "B", "C"]))
    s.add_images_task([tmp_path / "rays"])(lambda d, t: None, threading.Event())
    s.images_added()
    a, b, c = (r.id for r in s.images())
    for i in range(3):
        s.place(a, i, 10 + i, 20 + i)  # the template (first image annotated)
    s.set_template(a)
    s.place(b, 0, 5, 6)
    s.set_status(b, ReviewStatus.REVIEWED)
    s.place(c, 1, 7, 8)
    yield s
    s.close()


def check(qtbot, widget) -> None:
    qtbot.mouseClick(widget, LEFT, pos=QPoint(8, widget.height() // 2))


def test_export_reviewed_csv_and_pngs(qtbot, session, tmp_path):
    dialog = ExportDialog(session, current_id=None)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    boxes = {b.text().split(" (")[0]: b for b in dialog.findChildren(QCheckBox)}
    check(qtbot, boxes["Annotated PNGs"])
    radios = {r.text().split("  (")[0]: r for r in dialog.findChildren(QRadioButton)}
    assert not radios["The current image"].isEnabled()  # no image on screen
    check(qtbot, radios["Reviewed images and the template"])
    folder = dialog.findChild(QLineEdit, "exportFolder")
    folder.selectAll()
    qtbot.keyClicks(folder, str(tmp_path / "out"))
    export = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Export")
    qtbot.mouseClick(export, LEFT)
    status = dialog.findChild(QLabel, "exportStatus")
    qtbot.waitUntil(lambda: "Wrote" in status.text(), timeout=10000)
    assert "4 points of 2 image(s)" in status.text() and str(tmp_path / "out") in status.text()
    rows = list(csv.DictReader((tmp_path / "out" / "landmarks.csv").open(encoding="utf-8")))
    placed = [(r["image"].rsplit("/", 1)[-1], r["landmark"], r["x_px"]) for r in rows
              if r["x_px"]]
    assert placed == [("phantom_000.png", "1", "10.000"), ("phantom_000.png", "2", "11.000"),
                      ("phantom_000.png", "3", "12.000"), ("phantom_001.png", "1", "5.000")]
    pngs = sorted(p.name for p in (tmp_path / "out" / "annotated").iterdir())
    assert pngs == ["phantom_000_landmarks.png", "phantom_001_landmarks.png"]


def test_no_format_no_export(qtbot, session):
    dialog = ExportDialog(session, current_id=session.images()[0].id)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    export = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Export")
    assert export.isEnabled()
    csv_box = next(b for b in dialog.findChildren(QCheckBox) if b.text().startswith("CSV"))
    check(qtbot, csv_box)
    assert not export.isEnabled()


def export_to(qtbot, session, folder):
    """Open the dialog, type ``folder``, click Export; returns the dialog and the button."""
    dialog = ExportDialog(session, current_id=None)
    qtbot.addWidget(dialog)
    dialog.open()
    field = dialog.findChild(QLineEdit, "exportFolder")
    field.selectAll()
    qtbot.keyClicks(field, str(folder))
    export = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Export")
    qtbot.mouseClick(export, LEFT)
    return dialog, export


def test_a_failed_export_says_why_and_keeps_the_dialog(qtbot, session, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    dialog, export = export_to(qtbot, session, blocker / "inside")
    from PySide6.QtWidgets import QApplication, QMessageBox

    qtbot.waitUntil(lambda: any(isinstance(w, QMessageBox) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=10000)
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.isVisible())
    assert "a_file" in box.text()
    box.accept()
    qtbot.waitUntil(export.isEnabled)


def test_missing_image_files_are_named_after_the_export(qtbot, session, tmp_path):
    gone = session.images()[2]
    gone.path.unlink()
    dialog, _export = export_to(qtbot, session, tmp_path / "out")
    status = dialog.findChild(QLabel, "exportStatus")
    qtbot.waitUntil(lambda: "Wrote" in status.text(), timeout=10000)
    assert "1 image file(s) are missing" in status.text() and gone.name in status.text()


def test_the_dialog_remembers_the_last_ticks(qtbot, session, tmp_path):
    settings = AppSettings()

    def opened() -> tuple[ExportDialog, dict, dict]:
        dialog = ExportDialog(session, current_id=None, settings=settings)
        qtbot.addWidget(dialog)
        dialog.open()
        qtbot.waitExposed(dialog)
        boxes = {b.text().split(" (")[0]: b for b in dialog.findChildren(QCheckBox)}
        radios = {r.text().split("  (")[0]: r for r in dialog.findChildren(QRadioButton)}
        return dialog, boxes, radios

    dialog, boxes, radios = opened()
    assert dialog.chosen_formats() == ["csv"] and dialog.chosen_scope() == "all"  # first time
    check(qtbot, boxes["JSON"])
    check(qtbot, boxes["CSV"])
    check(qtbot, radios["Reviewed images and the template"])
    folder = dialog.findChild(QLineEdit, "exportFolder")
    folder.selectAll()
    qtbot.keyClicks(folder, str(tmp_path / "out"))
    qtbot.mouseClick(next(b for b in dialog.findChildren(QPushButton) if b.text() == "Export"),
                     LEFT)
    qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=10000)
    dialog.close()
    again, _boxes, _radios = opened()
    assert again.chosen_formats() == ["json"] and again.chosen_scope() == "reviewed"
