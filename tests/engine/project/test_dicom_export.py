"""The DICOM SR export read back: every point, source, confidence, value, unit and class
recovered, the Secondary Capture of a non-DICOM image carrying the patient fields, one
study for both; a DICOM source is referred to by its own UIDs."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from engine.analysis import load_analysis
from engine.analysis.point_error import load_model
from engine.dicom_out.sr import read_report
from engine.project import Landmark, LandmarkSource, PatientFields, Project, default_schema
from engine.project.dicom_export import export_dicom_sr, point_codes
from engine.project.export import image_names
from engine.project.measuring import project_measuring
from tests.engine.analysis.skull import skull

P, T = LandmarkSource.PREDICTED, LandmarkSource.TEMPLATE
DOE = PatientFields("Doe, Jane", "P-0042", "1980-01-02", "2024-05-06", "Smith, Ann")


@pytest.fixture
def isbi_project(tmp_path, image_dir):
    with Project.create(tmp_path / "proj", schema=default_schema()) as project:
        project.add_images([image_dir])
        first, second = project.images()[:2]
        points = skull() * 0.03
        project.apply_edits({first.id: {i: Landmark(x, y, T) for i, (x, y) in enumerate(points)}})
        project.set_template(first.id)
        project.apply_edits({second.id: {i: Landmark(x + 0.25, y, P, 0.5 + 0.01 * i)
                                         for i, (x, y) in enumerate(points)}})
        project.set_patient(second.id, DOE)
    return tmp_path / "proj", second.id


def test_every_point_and_value_comes_back(isbi_project, tmp_path):
    folder, image_id = isbi_project
    with Project.open(folder, read_only=True) as project:
        codes = [project.schema.label(i) for i in range(19)]
        bound = [load_analysis(a).bind(codes) for a in ("isbi2015", "steiner")]
        measuring = project_measuring(project, bound, load_model())
        names = image_names(project)
        written = export_dicom_sr(project, tmp_path / "sr", [image_id], measuring)
        landmarks = project.landmarks(image_id)
        rec = project.image(image_id)
        sections = measuring.sections(landmarks, rec.status, rec.spacing)
    stem = names[image_id].rsplit(".", 1)[0]
    assert [p.name for p in written] == [f"{stem}_sc.dcm", f"{stem}_sr.dcm"]
    sc, sr = (pydicom.dcmread(p) for p in written)
    assert str(sc.PatientName) == "Doe^Jane" and sc.PatientID == "P-0042"
    assert sc.PatientBirthDate == "19800102" and sc.StudyDate == "20240506"
    assert sr.StudyInstanceUID == sc.StudyInstanceUID and str(sr.PatientName) == "Doe^Jane"
    assert sr.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0] \
        .ReferencedSOPSequence[0].ReferencedSOPInstanceUID == sc.SOPInstanceUID

    back = read_report(written[1])
    assert [p.code for p in back.points] == codes
    for p, lm in zip(back.points, landmarks):
        assert (p.x, p.y) == pytest.approx((lm.x, lm.y), abs=1e-4)
        assert p.source == "predicted" and p.confidence == pytest.approx(lm.confidence)
    for bound_, results in sections:
        for r in results:
            if not np.isfinite(r.value):
                continue
            value, ucum = back.values[(bound_.analysis.id, r.id)]
            assert value == pytest.approx(r.value, rel=1e-6)
            assert ucum == {"°": "deg", "mm": "mm", "": "1", "px": "{pixel}", "%": "%"}[r.unit]
            assert back.classes.get((bound_.analysis.id, r.id)) == (r.class_name or None)


def test_a_dicom_image_is_referred_to_not_copied(tmp_path):
    from pydicom.data import get_testdata_file

    from engine.dicom_out.source import source_for
    from engine.dicom_out.sr import PointOut, measurement_report, write_dataset

    path = get_testdata_file("CT_small.dcm", download=False)
    source = source_for(__import__("pathlib").Path(path), lambda: pytest.fail("no pixels"),
                        PatientFields(), None, "k")
    assert source.capture is None
    sr = measurement_report(source.dataset, [PointOut("S", "Sella", 3.0, 4.0, "template")],
                            [], "k")
    out = write_dataset(tmp_path / "sr.dcm", sr)
    back = pydicom.dcmread(out)
    original = pydicom.dcmread(path, stop_before_pixels=True)
    assert back.StudyInstanceUID == original.StudyInstanceUID
    assert back.PatientID == original.PatientID
    assert read_report(out).points[0].source == "template"


def test_codes_that_do_not_fit_become_numbers():
    assert point_codes(["S", "Upper incisor apex root", "S"]) == ["L1", "L2", "L3"]
    assert point_codes(["S", "N"]) == ["S", "N"]


def test_a_file_that_is_not_a_report_is_refused(tmp_path):
    from pydicom.data import get_testdata_file

    from engine.errors import CC2DError
    with pytest.raises(CC2DError, match="not a measurement report"):
        read_report(get_testdata_file("CT_small.dcm", download=False))


def test_cc2d_project_export_dicom_sr(isbi_project, tmp_path, capsys):
    from test_project_cli import run_cli

    folder, _ = isbi_project
    out = tmp_path / "dicom"
    assert run_cli(["project", "export", str(folder), str(out), "--format", "dicom-sr",
                    "--analysis", "isbi2015"]) == 0
    assert "exported dicom-sr to 4 files" in capsys.readouterr().out   # 2 images × (SC, SR)
    reports = sorted(out.glob("*_sr.dcm"))
    assert len(reports) == 2 and len(list(out.glob("*_sc.dcm"))) == 2
    back = read_report(reports[0])
    assert len(back.points) == 19 and ("isbi2015", "SNA") in back.values
    # Written again: the same study and instance (nothing changed), files replaced.
    first = pydicom.dcmread(reports[0])
    assert run_cli(["project", "export", str(folder), str(out), "--format", "dicom-sr"]) == 0
    again = pydicom.dcmread(reports[0])
    assert (again.StudyInstanceUID, again.SOPInstanceUID) == (first.StudyInstanceUID,
                                                             first.SOPInstanceUID)


def test_the_report_as_an_encapsulated_pdf_in_the_same_study(tmp_path):
    from engine.dicom_out.pdf import ENCAPSULATED_PDF, encapsulated_pdf
    from engine.dicom_out.source import secondary_capture
    from engine.dicom_out.sr import write_dataset

    sc = secondary_capture(np.random.default_rng(0).random((20, 30)), DOE, None, "k")
    pdf = b"%PDF-1.4\n% a tiny document\n%%EOF\n"
    out = write_dataset(tmp_path / "r.dcm", encapsulated_pdf(pdf, sc, "Cephalometric report", "k"))
    back = pydicom.dcmread(out)
    assert back.SOPClassUID == ENCAPSULATED_PDF and back.StudyInstanceUID == sc.StudyInstanceUID
    assert str(back.PatientName) == "Doe^Jane" and back.MIMETypeOfEncapsulatedDocument == \
        "application/pdf"
    assert bytes(back.EncapsulatedDocument)[:back.EncapsulatedDocumentLength] == pdf
    with pytest.raises(ValueError, match="not a PDF"):
        encapsulated_pdf(b"hello", sc, "x", "k")
