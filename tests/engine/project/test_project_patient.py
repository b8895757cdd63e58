"""Patient and exam fields per image: stored as an undoable edit, checked when typed and when
read back, taken from a DICOM header until entered, kept through the format-3 upgrade."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest
from project_helpers import write_dicom

from engine.data.dicom_patient import date_text, person_name_text
from engine.errors import ProjectError
from engine.project import Landmark, LandmarkSource, PatientFields, Project
from engine.project import db as dbm
from engine.project.patient import MAX_LENGTH
from engine.project.reader import ProjectReader

DOE = PatientFields("Doe, Jane", "P-0042", "1980-01-02", "2024-05-06", "Smith, Ann")


def test_fields_are_stored_undone_redone_and_kept_on_reopen(project: Project) -> None:
    first = project.images()[0]
    assert project.patient(first.id) == PatientFields() and project.stored_patient(
        first.id) is None   # a PNG has no header fields
    entry = project.set_patient(first.id, PatientFields("  Doe, Jane ", "P-0042", "1980-01-02",
                                                        "2024-05-06", "Smith, Ann"))
    assert project.patient(first.id) == DOE            # spaces around a value are dropped
    assert project.touched_images(entry) == {first.id}
    assert project.undo_redo_state()[0] == f"set the patient and exam fields of {first.name}"
    project.undo()
    assert project.stored_patient(first.id) is None
    project.redo()
    project.set_patient(first.id, PatientFields(name="Roe, Richard"))
    project.undo()
    assert project.patient(first.id) == DOE
    folder = project.folder
    project.close()
    with Project.open(folder, read_only=True) as again:
        assert again.patient(first.id) == DOE
        assert ProjectReader(again).patient(first.id) == DOE


@pytest.mark.parametrize("fields,message", [
    (PatientFields(birth_date="02/01/1980"), "Birth date '02/01/1980' cannot be stored: "
                                             "not a date as YYYY-MM-DD"),
    (PatientFields(exam_date="2024-02-30"), "Exam date '2024-02-30' cannot be stored: not a "
                                            "date that exists"),
    (PatientFields(name="x" * (MAX_LENGTH + 1)), f"longer than {MAX_LENGTH} characters"),
    (PatientFields(operator="Ann\nSmith"), "Operator 'Ann\\nSmith' cannot be stored: it holds a "
                                           "line break"),
    (PatientFields(patient_id=42), "Patient ID 42 cannot be stored: not text"),  # type: ignore
])
def test_a_bad_value_is_refused_naming_the_field_and_nothing_is_written(
        project: Project, fields: PatientFields, message: str) -> None:
    first = project.images()[0].id
    log = len(project.edit_log())
    with pytest.raises(ProjectError, match=re.escape(message)):
        project.set_patient(first, fields)
    assert project.stored_patient(first) is None and len(project.edit_log()) == log


def test_an_unknown_image_is_refused(project: Project) -> None:
    with pytest.raises(ProjectError, match="no image with id 999"):
        project.set_patient(999, DOE)
    with pytest.raises(ProjectError, match="no image with id 999"):
        project.patient(999)


def _set_cell(project: Project, column: str, value: object) -> None:
    conn = sqlite3.connect(project.folder / dbm.DB_NAME, isolation_level=None)
    conn.execute(f"UPDATE patient_fields SET {column} = ?", (value,))
    conn.close()


@pytest.mark.parametrize("column,value,shown,why", [
    ("birth_date", "1980-13-01", "'1980-13-01'", "not a date that exists"),
    ("exam_date", "yesterday", "'yesterday'", "not a date as YYYY-MM-DD"),
    ("name", "y" * 500, "'yyyyyyyy", f"longer than {MAX_LENGTH} characters"),
    ("name", b"\x00\x01", "b'\\x00\\x01'", "not text"),
    ("operator", "a\tb", "'a\\tb'", "it holds a line break, tab"),
])
def test_a_damaged_stored_value_is_a_clear_project_error(project: Project, column: str,
                                                         value: object, shown: str, why: str
                                                         ) -> None:
    first = project.images()[0].id
    project.set_patient(first, DOE)
    _set_cell(project, column, value)
    with pytest.raises(ProjectError) as info:
        project.patient(first)
    text = str(info.value)
    assert f"patient_fields row of image {first} has {column}={shown}" in text, text
    assert why in text and "project.sqlite is damaged" in text
    assert "restore project.sqlite from a backup" in text


def test_an_undo_that_would_write_a_damaged_logged_value_is_refused(project: Project) -> None:
    first = project.images()[0].id
    project.set_patient(first, DOE)
    entry = project.edit_log()[-1]
    conn = sqlite3.connect(project.folder / dbm.DB_NAME, isolation_level=None)
    conn.execute("DROP TRIGGER edit_log_no_update")
    conn.execute("UPDATE edit_log SET data_json = ? WHERE id = ?",
                 (json.dumps({"image": first, "before": {"name": 5}, "after": None}), entry.id))
    conn.close()
    with pytest.raises(ProjectError, match=rf"edit_log row {entry.id} has data_json=.*"
                                           r"change\.before\.name: not text"):
        project.undo()
    assert project.patient(first) == DOE


def test_a_format_3_project_is_upgraded_keeping_its_data(tmp_path: Path, image_dir: Path
                                                         ) -> None:
    folder = tmp_path / "old"
    with Project.create(folder) as project:
        first = project.add_images([image_dir]).added[0].id
        project.set_landmark(first, 0, 5.0, 6.0, LandmarkSource.TEMPLATE)
        project.set_template(first)
    # A format-3 file is this one without the table format 4 added.
    conn = sqlite3.connect(folder / dbm.DB_NAME, isolation_level=None)
    conn.execute("DROP TABLE patient_fields")
    conn.execute("PRAGMA user_version = 3")
    conn.close()
    with Project.open(folder) as project:
        assert project._db.query("PRAGMA user_version")[0][0] == dbm.SCHEMA_VERSION == 4
        assert len(project.images()) == 4 and project.template().id == first
        assert project.landmarks(first)[0] == Landmark(5.0, 6.0, LandmarkSource.TEMPLATE)
        assert project.patient(first) == PatientFields()
        project.set_patient(first, DOE)
        project.undo()
        project.undo()   # the edits made before the upgrade still undo
        assert project.template() is None
    backup = sqlite3.connect(folder / "project.sqlite.v3.bak")
    assert backup.execute("PRAGMA user_version").fetchone()[0] == 3
    backup.close()


def _doe_dicom(path: Path, **extra: object) -> Path:
    attributes = {"PatientName": "Doe^Jane^Q^Dr", "PatientID": "P-0042",
                  "PatientBirthDate": "19800102", "AcquisitionDate": "20240506",
                  "OperatorsName": ["Smith^Ann", "Lee^Bo"], **extra}
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_dicom(path, **attributes)


def test_a_dicom_shows_its_header_fields_until_some_are_entered(tmp_path: Path) -> None:
    pytest.importorskip("pydicom")
    dcm = _doe_dicom(tmp_path / "rays" / "ceph.dcm")
    with Project.create(tmp_path / "proj") as project:
        image = project.add_images([dcm]).added[0].id
        # No StudyDate: the acquisition's; several operators joined.
        header = PatientFields("Doe, Dr Jane Q", "P-0042", "1980-01-02", "2024-05-06",
                               "Smith, Ann; Lee, Bo")
        assert project.patient(image) == header and project.stored_patient(image) is None
        # Cleared to hide the name: stays cleared, the header does not fill it again.
        project.set_patient(image, PatientFields(patient_id="P-0042"))
        assert project.patient(image) == PatientFields(patient_id="P-0042")
        project.set_patient(image, None)   # forgotten: the header's again
        assert project.patient(image) == header
        project.close()


def test_header_values_that_cannot_be_stored_are_left_out(tmp_path: Path) -> None:
    pytest.importorskip("pydicom")
    dcm = _doe_dicom(tmp_path / "rays" / "ceph.dcm", StudyDate="20240231",
                     PatientID="P\x0742")
    with Project.create(tmp_path / "proj") as project:
        image = project.add_images([dcm]).added[0].id
        got = project.patient(image)
        # StudyDate is no real date: not taken, nor does it hide the next candidate.
        assert got.exam_date == "2024-05-06" and got.patient_id == ""
        assert got.name == "Doe, Dr Jane Q"


def test_without_pydicom_a_dicom_has_no_header_fields(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pydicom")
    dcm = _doe_dicom(tmp_path / "rays" / "ceph.dcm")
    with Project.create(tmp_path / "proj") as project:
        image = project.add_images([dcm]).added[0].id
        monkeypatch.setitem(sys.modules, "pydicom", None)   # as on the GPU machines
        assert project.patient(image) == PatientFields()
        dcm.unlink()   # a file moved away: no fields, no error (the viewer says it is gone)
        monkeypatch.undo()
        assert project.patient(image) == PatientFields()


@pytest.mark.parametrize("value,text", [
    ("Doe^John", "Doe, John"),
    ("Doe^John^Q^^Jr", "Doe, John Q, Jr"),
    ("Doe", "Doe"),
    ("^Cher", "Cher"),
    ("=山田^太郎", "山田, 太郎"),   # only the ideographic group
    ("", ""),
    (None, ""),
])
def test_person_names_read_family_first(value: object, text: str) -> None:
    assert person_name_text(value) == text


@pytest.mark.parametrize("value,text", [
    ("19800102", "1980-01-02"), ("1980.01.02", "1980-01-02"), (" 1980-01-02 ", "1980-01-02"),
    ("19800230", ""), ("1980", ""), ("", ""), (None, ""),
])
def test_dicom_dates_become_iso(value: object, text: str) -> None:
    assert date_text(value) == text


def test_dicom_values_as_pydicom_gives_them() -> None:
    pydicom = pytest.importorskip("pydicom")
    from pydicom.multival import MultiValue
    from pydicom.valuerep import DA, PersonName

    assert person_name_text(PersonName("Doe^Jane")) == "Doe, Jane"   # not one per character
    assert person_name_text(MultiValue(PersonName, ["A^B", "C^D"])) == "A, B; C, D"
    assert date_text(DA("20240506")) == "2024-05-06"
    assert pydicom.__version__
