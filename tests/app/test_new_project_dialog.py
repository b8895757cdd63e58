from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
)

from cc2d_app.dialogs import file_dialogs
from cc2d_app.dialogs.new_project_dialog import NewProjectDialog
from cc2d_app.dialogs.schema_editor import parse_landmark_lines, read_schema_csv
from cc2d_app.logic.palette import LANDMARK_PALETTE as PALETTE
from engine.errors import CC2DError

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def rays(tmp_path) -> Path:
    folder = tmp_path / "rays"
    folder.mkdir()
    for i in range(3):
        image = np.full((40, 30), 60 * i, np.uint8)
        assert cv2.imwrite(str(folder / f"ceph{i}.png"), image)
    (folder / "notes.txt").write_text("not an image")
    return folder


def _dialog(qtbot) -> NewProjectDialog:
    dialog = NewProjectDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _button(dialog: QDialog, text: str) -> QPushButton:
    return next(b for b in dialog.findChildren(QPushButton) if b.text() == text)


def _radio(dialog: QDialog, starts: str) -> QRadioButton:
    return next(r for r in dialog.findChildren(QRadioButton) if r.text().startswith(starts))


def _pick(qtbot, dialog: QDialog, starts: str) -> None:
    # Click the round indicator: a radio button only reacts on its indicator and text,
    # not on the empty rest of its row.
    radio = _radio(dialog, starts)
    qtbot.mouseClick(radio, LEFT, pos=QPoint(8, radio.height() // 2))
    assert radio.isChecked()


def _type(qtbot, edit: QLineEdit | QPlainTextEdit, text: str) -> None:
    edit.setFocus()
    QTest.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(edit, Qt.Key.Key_Delete)
    for i, line in enumerate(text.split("\n")):
        if i:
            QTest.keyClick(edit, Qt.Key.Key_Return)
        qtbot.keyClicks(edit, line)


def _type_images(qtbot, dialog: QDialog, folder: Path | str) -> QLabel:
    _type(qtbot, dialog.findChild(QLineEdit, "imagesFolder"), str(folder))
    status = dialog.findChild(QLabel, "imagesStatus")
    qtbot.waitUntil(lambda: status.isVisible() and status.text() != "", timeout=3000)
    return status


def _custom(qtbot, dialog: QDialog, text: str) -> None:
    _pick(qtbot, dialog, "Custom list")
    _type(qtbot, dialog.findChild(QPlainTextEdit, "customLandmarks"), text)


def _preview(dialog: QDialog) -> list[str]:
    preview = dialog.findChild(QListWidget, "landmarkPreview")
    return [preview.item(i).text() for i in range(preview.count())]


def test_typed_folder_custom_list_and_create(qtbot, rays):
    dialog = _dialog(qtbot)
    create = _button(dialog, "Create project")
    assert not create.isEnabled()

    assert _type_images(qtbot, dialog, rays).text() == "3 images found"
    assert dialog.findChild(QLineEdit, "projectFolder").text() == str(rays.parent / "rays_cc2d")
    assert create.isEnabled()  # the shipped ISBI schema is chosen by default

    _pick(qtbot, dialog, "Custom list")
    assert not create.isEnabled()
    _custom(qtbot, dialog, "S, Sella\nN, Nasion\nMenton")
    assert dialog.findChild(QLabel, "landmarkCount").text() == "3 landmarks"
    assert _preview(dialog) == ["1. S — Sella", "2. N — Nasion", "3. Menton"]
    assert create.isEnabled()

    qtbot.mouseClick(create, LEFT)
    assert dialog.result() == QDialog.DialogCode.Accepted
    spec = dialog.result_spec()
    assert spec.images_dir == rays.resolve()
    assert spec.project_dir == (rays.parent / "rays_cc2d").resolve()
    assert spec.schema.names == ("Sella", "Nasion", "Menton")
    assert [lm.abbreviation for lm in spec.schema.landmarks] == ["S", "N", None]
    assert [lm.color for lm in spec.schema.landmarks] == list(PALETTE[:3])


def test_duplicate_names_are_refused_inline(qtbot, rays):
    dialog = _dialog(qtbot)
    _type_images(qtbot, dialog, rays)
    _custom(qtbot, dialog, "Sella\nNasion\nsella")
    error = dialog.findChild(QLabel, "schemaError")
    assert error.isVisible()
    assert error.text() == (
        "Landmarks 1 and 3 are both called 'sella'; names must be unique."
    )
    assert not _button(dialog, "Create project").isEnabled()
    # Fixing the list clears the error and enables Create.
    _custom(qtbot, dialog, "Sella\nNasion\nMenton")
    assert not error.isVisible()
    assert _button(dialog, "Create project").isEnabled()


def test_duplicate_abbreviations_are_refused(qtbot, rays):
    dialog = _dialog(qtbot)
    _type_images(qtbot, dialog, rays)
    _custom(qtbot, dialog, "S, Sella\nS, Subnasale")
    assert "abbreviation 'S'" in dialog.findChild(QLabel, "schemaError").text()
    assert not _button(dialog, "Create project").isEnabled()


def test_folder_without_images_shows_the_engine_message(qtbot, tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    dialog = _dialog(qtbot)
    status = _type_images(qtbot, dialog, tmp_path)
    assert "contains no images" in status.text()
    assert "e0443e" in status.styleSheet()  # red
    assert not _button(dialog, "Create project").isEnabled()


def test_existing_project_folder_is_refused(qtbot, rays, tmp_path):
    existing = tmp_path / "old_project"
    existing.mkdir()
    (existing / "project.sqlite").write_bytes(b"")
    dialog = _dialog(qtbot)
    _type_images(qtbot, dialog, rays)
    _type(qtbot, dialog.findChild(QLineEdit, "projectFolder"), str(existing))
    status = dialog.findChild(QLabel, "projectStatus")
    assert status.isVisible() and "Open project" in status.text()
    assert not _button(dialog, "Create project").isEnabled()
    # A typed project folder is kept when the radiograph folder changes.
    _type_images(qtbot, dialog, rays.parent / "rays" / ".")
    assert dialog.findChild(QLineEdit, "projectFolder").text() == str(existing)


def test_browse_for_images(qtbot, rays, monkeypatch):
    monkeypatch.setattr(file_dialogs, "choose_directory", lambda *a: str(rays))
    dialog = _dialog(qtbot)
    qtbot.mouseClick(dialog.findChild(QPushButton, "imagesFolderBrowse"), LEFT)
    assert dialog.findChild(QLineEdit, "imagesFolder").text() == str(rays)
    assert dialog.findChild(QLabel, "imagesStatus").text() == "3 images found"
    assert dialog.findChild(QLineEdit, "projectFolder").text() == str(rays.parent / "rays_cc2d")


def test_shipped_isbi_schema_has_19_landmarks(qtbot, rays):
    dialog = _dialog(qtbot)
    isbi = _radio(dialog, "ISBI 2015 cephalometric")
    assert isbi.isChecked() and isbi.text().endswith("19 landmarks")
    assert dialog.findChild(QLabel, "landmarkCount").text() == "19 landmarks"
    assert _preview(dialog)[0] == "1. S — Sella"
    _type_images(qtbot, dialog, rays)
    qtbot.mouseClick(_button(dialog, "Create project"), LEFT)
    assert len(dialog.result_spec().schema) == 19


def _import_csv(qtbot, dialog: QDialog, monkeypatch, path: Path) -> None:
    monkeypatch.setattr(file_dialogs, "choose_file", lambda *a: str(path))
    _pick(qtbot, dialog, "Import from CSV")
    qtbot.mouseClick(_button(dialog, "Choose CSV file…"), LEFT)


def test_import_schema_list_csv(qtbot, rays, tmp_path, monkeypatch):
    csv_path = tmp_path / "hand.csv"
    csv_path.write_text(
        "Name,Abbr,Color,Description\n"
        "Thumb tip,TT,#112233,Tip of the distal phalanx\n"
        "Index tip,,,\n"
    )
    dialog = _dialog(qtbot)
    _type_images(qtbot, dialog, rays)
    _import_csv(qtbot, dialog, monkeypatch, csv_path)
    assert _preview(dialog) == ["1. TT — Thumb tip", "2. Index tip"]
    qtbot.mouseClick(_button(dialog, "Create project"), LEFT)
    schema = dialog.result_spec().schema
    assert schema.name == "hand"
    assert schema.landmarks[0].color == "#112233"
    assert schema.landmarks[0].description == "Tip of the distal phalanx"
    assert schema.landmarks[1].color == PALETTE[1]


def test_import_long_landmark_csv_in_landmark_order(qtbot, rays, tmp_path, monkeypatch):
    csv_path = tmp_path / "labels.csv"
    csv_path.write_text(
        "image,landmark,name,x,y\n"
        "a.png,2,Nasion,5,6\na.png,1,Sella,1,2\nb.png,1,Sella,3,4\nb.png,2,Nasion,7,8\n"
    )
    dialog = _dialog(qtbot)
    _type_images(qtbot, dialog, rays)
    _import_csv(qtbot, dialog, monkeypatch, csv_path)
    assert _preview(dialog) == ["1. Sella", "2. Nasion"]
    assert _button(dialog, "Create project").isEnabled()


def test_import_bad_csv_is_refused_inline(qtbot, rays, tmp_path, monkeypatch):
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("label,colour\nSella,#ff0000\n")
    dialog = _dialog(qtbot)
    _type_images(qtbot, dialog, rays)
    _pick(qtbot, dialog, "Import from CSV")
    assert not _button(dialog, "Create project").isEnabled()  # no file yet
    _import_csv(qtbot, dialog, monkeypatch, csv_path)
    error = dialog.findChild(QLabel, "schemaError")
    assert error.isVisible() and "no 'name' column" in error.text()
    assert not _button(dialog, "Create project").isEnabled()


def test_parse_landmark_lines():
    schema = parse_landmark_lines("  S, Sella \n\nGo, Gonion\nPogonion, soft tissue\nMenton\n")
    assert schema.names == ("Sella", "Gonion", "soft tissue", "Menton")
    assert schema.landmarks[2].abbreviation == "Pogonion"
    assert len({lm.color for lm in schema.landmarks}) == 4
    with pytest.raises(CC2DError, match="empty"):
        parse_landmark_lines(" \n\n")


def test_read_schema_csv_errors(tmp_path):
    empty_name = tmp_path / "gap.csv"
    empty_name.write_text("name,abbreviation\nSella,S\n,N\n")
    with pytest.raises(CC2DError, match="line 3: the name is empty"):
        read_schema_csv(empty_name)
    with pytest.raises(CC2DError, match="Cannot read"):
        read_schema_csv(tmp_path / "missing.csv")
    bad_colour = tmp_path / "colour.csv"
    bad_colour.write_text("name,color\nSella,red\n")
    with pytest.raises(CC2DError, match="colour 'red'"):
        read_schema_csv(bad_colour)
