"""Image ▸ Patient and exam…: typed with real key events, checked as typed, stored in the
project through the session as one undo step."""

from __future__ import annotations

import threading

import pytest
from gestures import show_active
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from cc2d_app.dialogs.patient_dialog import PatientDialog
from cc2d_app.main_window import MainWindow
from cc2d_app.session import ProjectSession
from engine.data.phantom import PhantomSpec, write_phantom_dataset
from engine.project import LandmarkSchema, PatientFields, Project

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture()
def folder(tmp_path):
    write_phantom_dataset(tmp_path / "rays", 2, PhantomSpec(n_landmarks=3, width=80, height=60))
    s = ProjectSession.create(tmp_path / "proj", LandmarkSchema.from_names(["A", "B", "C"]))
    s.add_images_task([tmp_path / "rays"])(lambda d, t: None, threading.Event())
    s.images_added()
    s.close()
    return tmp_path / "proj"


def _open_dialog(qtbot, window: MainWindow) -> PatientDialog:
    image_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Image")
    action = next(a for a in image_menu.actions() if a.text() == "P&atient and exam…")
    assert action.isEnabled()
    action.trigger()
    dialog = next(d for d in window.findChildren(PatientDialog) if d.isVisible())
    qtbot.waitExposed(dialog)
    dialog.activateWindow()   # as the window system does; keys go to the active window
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def _type(widget, text: str) -> None:
    """Select what the field holds and type ``text`` over it, key by key."""
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(widget, text)


def test_typed_fields_are_stored_checked_and_undone(qtbot, folder):
    window = MainWindow()
    show_active(qtbot, window)
    window.open_project(str(folder))
    session = window.session
    image = session.images()[1]
    window.workspace.show_image(image.id)
    dialog = _open_dialog(qtbot, window)
    other = session.images()[0].id
    assert image.name in dialog.windowTitle() and "none known yet" in dialog.intro.text()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)

    qtbot.mouseClick(dialog.edits["name"], LEFT)
    QTest.keyClicks(QApplication.focusWidget(), "Doe, Jane")
    for text in ("P-0042", "1980-13-01"):   # Tab walks the fields in order
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        _type(QApplication.focusWidget(), text)
    assert QApplication.focusWidget() is dialog.edits["birth_date"]
    assert not ok.isEnabled() and dialog.problem_label.isVisible()
    assert dialog.problem_label.text() == "Birth date: not a date that exists"
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)   # refused: stays open
    assert dialog.isVisible() and session.patient(image.id) == PatientFields()

    _type(dialog.edits["birth_date"], "1980-01-02")
    assert ok.isEnabled() and not dialog.problem_label.isVisible()
    for text in ("2024-05-06", " Smith, Ann "):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        _type(QApplication.focusWidget(), text)
    with qtbot.waitSignal(session.patientChanged) as changed:
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    expected = PatientFields("Doe, Jane", "P-0042", "1980-01-02", "2024-05-06", "Smith, Ann")
    assert changed.args == [image.id] and not dialog.isVisible()
    assert session.patient(image.id) == expected and session.patient_entered(image.id)
    assert window.act_undo.text() == f"&Undo set the patient and exam fields of {image.name}"

    # Opened again: the stored fields; an unchanged OK writes nothing.
    dialog = _open_dialog(qtbot, window)
    assert dialog.fields() == expected
    assert "as entered in this project" in dialog.intro.text()
    before = window.act_undo.text()
    QTest.keyClick(dialog.edits["name"], Qt.Key.Key_Return)
    assert not dialog.isVisible() and window.act_undo.text() == before

    # Escape after typing: nothing stored.
    dialog = _open_dialog(qtbot, window)
    _type(dialog.edits["operator"], "Someone else")
    QTest.keyClick(dialog.edits["operator"], Qt.Key.Key_Escape)
    assert not dialog.isVisible() and session.patient(image.id) == expected

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    with qtbot.waitSignal(session.patientChanged):
        QTest.keyClick(window.workspace.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert session.patient(image.id) == PatientFields()
    QTest.keyClick(window.workspace.canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    window.close()
    with Project.open(folder, read_only=True) as store:   # on disk, for the other image not
        assert store.patient(image.id) == expected
        assert store.stored_patient(other) is None
