"""New project from PACS (real Orthanc, real keys and clicks): the server typed in and
remembered (the password in a private file), a study found, its images fetched into a
folder, the New project dialog opened on it; a wrong password said in the dialog."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import test_report
from gestures import show_active
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit

from cc2d_app.dialogs import file_dialogs
from cc2d_app.dialogs.new_project_dialog import NewProjectDialog
from cc2d_app.dialogs.pacs_dialog import PacsDialog
from cc2d_app.main_window import MainWindow
from engine.pacs.connection import Connection
from engine.project import PatientFields
from tests.orthanc_server import PASSWORD, USER, upload_phantoms

LEFT = Qt.MouseButton.LeftButton
project = test_report.project   # the fixture: an ISBI project, one image reviewed


def type_into(qtbot, dialog, name, text):
    edit = dialog.findChild(QLineEdit, name)
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def test_search_and_fetch_a_study_into_a_new_project(qtbot, orthanc, tmp_path, monkeypatch):
    upload_phantoms(Connection(orthanc.dicomweb, USER, PASSWORD), tmp_path / "up",
                    PatientFields("Pacs, Patient", "PX-1", "", "2024-02-03", ""))
    monkeypatch.setattr(file_dialogs, "choose_directory", lambda *a: str(tmp_path / "study"))
    window = MainWindow()
    show_active(qtbot, window)
    window.act_pacs.trigger()
    dialog = window.findChild(PacsDialog)
    qtbot.waitExposed(dialog)
    type_into(qtbot, dialog, "pacsUrl", orthanc.dicomweb)
    type_into(qtbot, dialog, "pacsUser", USER)
    type_into(qtbot, dialog, "pacsPassword", "wrong")
    status = dialog.findChild(QLabel, "pacsStatus")
    qtbot.mouseClick(dialog.search, LEFT)
    qtbot.waitUntil(lambda: "refused the user name or password" in status.text(),
                    timeout=10000)
    type_into(qtbot, dialog, "pacsPassword", PASSWORD)
    type_into(qtbot, dialog, "pacsPatient", "pacs")
    qtbot.mouseClick(dialog.search, LEFT)
    qtbot.waitUntil(lambda: "1 study found" in status.text(), timeout=10000)
    row = dialog.table.topLevelItem(0)
    assert (row.text(0), row.text(1), row.text(2), row.text(3)) == (
        "2024-02-03", "Pacs, Patient", "PX-1", "DX")
    qtbot.mouseClick(dialog.table.viewport(), LEFT,
                     pos=dialog.table.visualItemRect(row).center())
    qtbot.waitUntil(lambda: "1 series" in status.text(), timeout=10000)
    series = dialog.series.topLevelItem(0)
    assert series.text(1) == "DX"
    assert series.checkState(0) == Qt.CheckState.Checked and dialog.fetch.isEnabled()
    qtbot.mouseClick(dialog.fetch, LEFT)
    qtbot.waitUntil(lambda: window.findChild(NewProjectDialog) is not None, timeout=20000)
    new = window.findChild(NewProjectDialog)
    assert new.findChild(QLineEdit, "imagesFolder").text() == str(tmp_path / "study")
    assert len(list((tmp_path / "study").glob("*.dcm"))) == 3
    window.close()
    secret = Path(os.environ["CC2D_SETTINGS_DIR"]) / "pacs_password"   # the tests' own
    assert secret.read_text() == PASSWORD and stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_export_sends_the_dicom_objects_and_says_what_the_pacs_took(qtbot, orthanc, project,
                                                                   tmp_path):
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QCheckBox, QPushButton

    from engine.pacs import settings as pacs_settings
    from engine.pacs.search import search_studies

    pacs_settings.save(orthanc.dicomweb, USER, PASSWORD)
    folder, _ids, _names = project
    window, dialog = test_report.open_export_dialog(qtbot, folder)
    send = dialog.findChild(QCheckBox, "sendToPacs")
    assert not send.isEnabled()           # only with the DICOM format
    boxes = {b.text().split(":")[0]: b for b in dialog.findChildren(QCheckBox)}
    for name in ("DICOM", "CSV (one row per image and landmark)"):
        qtbot.mouseClick(boxes[name], LEFT, pos=QPoint(8, boxes[name].height() // 2))
    assert send.isEnabled()
    qtbot.mouseClick(send, LEFT, pos=QPoint(8, send.height() // 2))
    type_into(qtbot, dialog, "exportFolder", str(tmp_path / "out"))
    qtbot.mouseClick(next(b for b in dialog.findChildren(QPushButton) if b.text() == "Export"),
                     LEFT)
    status = dialog.findChild(QLabel, "exportStatus")
    qtbot.waitUntil(lambda: "PACS:" in status.text(), timeout=30000)
    assert "PACS: 9 of 9 object(s) accepted" in status.text()   # 3 images × SC, SR, PDF
    window.close()
    found = search_studies(Connection(orthanc.dicomweb, USER, PASSWORD), patient="doe")
    assert len(found) == 1 and set(found[0].modalities) >= {"SR", "DOC"}
