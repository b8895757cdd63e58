"""Against a real Orthanc (DICOMweb): search → fetch → project → SR → send → read back,
and the faults a clinic meets: server down, wrong password, a study deleted between
search and fetch, a non-image series, a fetch resumed, an object the server refuses."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from engine.analysis import load_analysis
from engine.analysis.point_error import load_model
from engine.dicom_out.sr import read_report, write_dataset
from engine.pacs.connection import Connection, PacsError
from engine.pacs.search import search_studies
from engine.pacs.transfer import fetch_study, send_files
from engine.project import Landmark, LandmarkSource, PatientFields, Project, default_schema
from engine.project.dicom_export import export_dicom_sr
from engine.project.measuring import project_measuring
from tests.orthanc_server import PASSWORD, USER, free_port, upload_phantoms

PATIENT = PatientFields("Ceph, Test", "CC2D-7", "2001-02-03", "2024-05-06", "")


@pytest.fixture(scope="module")
def uploaded(orthanc, tmp_path_factory):
    """Three phantom cephalograms of one patient as DICOM DX, stored on the PACS."""
    conn = Connection(orthanc.dicomweb, USER, PASSWORD)
    files, table, paths = upload_phantoms(conn, tmp_path_factory.mktemp("phantoms"), PATIENT)
    return conn, files, table, paths


def test_search_fetch_resume_project_sr_send_and_read_back(uploaded, tmp_path,
                                                           pretrained_weights):
    conn, files, table, paths = uploaded
    (study,) = search_studies(conn, patient="ceph", modality="DX")
    assert (study.patient_name, study.patient_id, study.date) == ("Ceph, Test", "CC2D-7",
                                                                 "20240506")
    assert search_studies(conn, patient="nobody") == []
    got = fetch_study(conn, study.uid, tmp_path / "in")
    assert len(got.written) == 3 and got.not_images == 0
    again = fetch_study(conn, study.uid, tmp_path / "in")   # resumable: nothing twice
    assert again.written == [] and len(again.already_there) == 3

    with Project.create(tmp_path / "proj", schema=default_schema()) as project:
        report = project.add_images([tmp_path / "in"])
        assert len(report.added) == 3
        first = project.images()[0]
        truth = table.get(paths[0].name)
        project.apply_edits({first.id: {i: Landmark(x, y, LandmarkSource.TEMPLATE)
                                        for i, (x, y) in enumerate(truth)}})
        project.set_template(first.id)
        # The instant predictions on the other two, as the app's and `cc2d project match`.
        import torch

        from engine.project.jobs import match_inputs, run_match
        from engine.project.training import store_predictions
        inputs = match_inputs(project)
        store_predictions(project, run_match(inputs, torch.device("cpu")),
                          [p for _i, p in inputs.targets], label="instant predictions")
        predicted = project.landmarks(project.images()[1].id)
        codes = [project.schema.label(i) for i in range(19)]
        measuring = project_measuring(project, [load_analysis("isbi2015").bind(codes)],
                                      load_model())
        written = export_dicom_sr(project, tmp_path / "out", None, measuring)
    assert len(written) == 3       # DICOM sources: referred to, not copied
    sr, sr_predicted = written[0], written[1]
    assert pydicom.dcmread(sr).StudyInstanceUID == study.uid
    assert all(s.accepted for s in send_files(conn, written))
    back_predicted = read_report(sr_predicted).points
    assert {p.source for p in back_predicted} == {"predicted"}
    assert [p.confidence for p in back_predicted] == pytest.approx(
        [lm.confidence for lm in predicted])

    # Read back from the PACS: the study now also holds the SR, which a fetch leaves there.
    refetched = fetch_study(conn, study.uid, tmp_path / "again")
    assert refetched.not_images == 3 and len(refetched.written) == 3
    instances = conn.client().search_for_instances(study_instance_uid=study.uid)
    sr_uid = pydicom.dcmread(sr).SOPInstanceUID
    (entry,) = [i for i in instances if i["00080018"]["Value"][0] == sr_uid]
    back = conn.client().retrieve_instance(study.uid, entry["0020000E"]["Value"][0], sr_uid)
    write_dataset(tmp_path / "back.dcm", back)
    points = read_report(tmp_path / "back.dcm").points
    assert len(points) == 19
    assert np.allclose([(p.x, p.y) for p in points], truth, atol=1e-4)


def test_wrong_password_and_server_down_say_so(uploaded):
    conn, *_ = uploaded
    with pytest.raises(PacsError, match="refused the user name or password"):
        search_studies(Connection(conn.url, USER, "wrong"))
    with pytest.raises(PacsError, match="cannot reach the PACS"):
        search_studies(Connection(f"http://127.0.0.1:{free_port()}/dicom-web"))
    with pytest.raises(PacsError, match="must start with http"):
        Connection("ftp://pacs")


def test_a_study_deleted_between_search_and_fetch(orthanc, uploaded, tmp_path):
    import requests

    conn, files, *_ = uploaded
    ds = pydicom.dcmread(files[0])
    ds.StudyInstanceUID = ds.StudyInstanceUID[:-1] + "9"
    ds.SOPInstanceUID = ds.SOPInstanceUID[:-1] + "9"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    other = write_dataset(tmp_path / "other.dcm", ds)
    assert send_files(conn, [other])[0].accepted
    found = {s.uid for s in search_studies(conn, patient="ceph")}
    assert ds.StudyInstanceUID in found
    lookup = requests.post(f"{orthanc.rest}/tools/lookup", data=ds.StudyInstanceUID,
                           auth=(USER, PASSWORD)).json()
    requests.delete(f"{orthanc.rest}/studies/{lookup[0]['ID']}", auth=(USER, PASSWORD))
    with pytest.raises(PacsError, match="not on the PACS"):
        fetch_study(conn, ds.StudyInstanceUID, tmp_path / "gone")
    assert not any((tmp_path / "gone").glob("*.dcm"))


def test_objects_that_cannot_be_sent_are_named(uploaded, tmp_path):
    conn, *_ = uploaded
    junk = tmp_path / "notes.dcm"
    junk.write_bytes(b"not a dicom file")
    (sent,) = send_files(conn, [junk])
    assert not sent.accepted and "not a DICOM file" in sent.reason


def test_the_cli_configures_searches_fetches_and_sends(orthanc, uploaded, tmp_path,
                                                       monkeypatch, capsys):
    import os
    import stat

    from engine.cli.main import main

    monkeypatch.setenv("CC2D_SETTINGS_DIR", str(tmp_path / "settings"))
    monkeypatch.setenv("CC2D_PACS_PASSWORD", PASSWORD)
    assert main(["pacs", "configure", "--url", orthanc.dicomweb, "--user", USER]) == 0
    secret = tmp_path / "settings" / "pacs_password"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert PASSWORD not in (tmp_path / "settings" / "pacs.json").read_text()
    monkeypatch.delenv("CC2D_PACS_PASSWORD")          # from the private file now
    capsys.readouterr()
    assert main(["pacs", "search", "--patient", "ceph", "--date", "20240101-"]) == 0
    uid = capsys.readouterr().out.split("\t")[0]
    assert main(["pacs", "fetch", uid, "--out", str(tmp_path / "in")]) == 0
    assert "3 image(s) fetched" in capsys.readouterr().out
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"junk")
    assert main(["pacs", "send", str(junk)]) == 2
    assert "REFUSED" in capsys.readouterr().out
    os.chmod(secret, 0o644)
    assert main(["pacs", "search"]) == 2
    assert "can be read by other users" in capsys.readouterr().err


def test_a_connection_cut_mid_fetch_leaves_only_whole_images_and_resumes(uploaded, tmp_path,
                                                                         monkeypatch):
    import requests
    from dicomweb_client.api import DICOMwebClient

    conn, *_ = uploaded
    (study,) = search_studies(conn, patient="ceph", modality="DX")
    real = DICOMwebClient.retrieve_instance
    calls = []

    def cut(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise requests.exceptions.ConnectionError("connection reset by peer")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DICOMwebClient, "retrieve_instance", cut)
    with pytest.raises(PacsError, match="cannot reach the PACS"):
        fetch_study(conn, study.uid, tmp_path / "in")
    files = list((tmp_path / "in").iterdir())
    assert len(files) == 1 and pydicom.dcmread(files[0]).SOPInstanceUID   # whole, readable
    monkeypatch.setattr(DICOMwebClient, "retrieve_instance", real)
    resumed = fetch_study(conn, study.uid, tmp_path / "in")
    assert len(resumed.already_there) == 1 and len(resumed.images) >= 3


def test_an_sr_the_server_refuses_is_named_with_its_reason(uploaded, tmp_path):
    from engine.dicom_out.sr import PointOut, measurement_report

    conn, files, *_ = uploaded
    ds = measurement_report(pydicom.dcmread(files[0]), [PointOut("S", "Sella", 1, 2,
                                                                 "template")], [], "refused")
    del ds.SOPInstanceUID          # an SR without its instance UID: no PACS can file it
    broken = tmp_path / "broken.dcm"
    ds.save_as(broken)
    (sent,) = send_files(conn, [broken])
    assert not sent.accepted and sent.reason


def test_an_image_that_arrived_cut_is_recognised(uploaded):
    from engine.pacs.transfer import incomplete

    conn, files, *_ = uploaded
    ds = pydicom.dcmread(files[0])
    assert incomplete(ds) == ""
    ds.PixelData = ds.PixelData[:1000]
    assert incomplete(ds) == f"1000 of {ds.Rows * ds.Columns * 2} pixel bytes"
    del ds.PixelData
    assert incomplete(ds) == "no pixel data"
