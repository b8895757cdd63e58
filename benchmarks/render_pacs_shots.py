"""The PACS screens for docs/screenshots/: a real Orthanc on 127.0.0.1 holding DICOM
copies of three ISBI cephalograms (made in a temporary folder, never kept), the New
project from PACS dialog after a search with a study picked (pacs_search.png), and the
SR of one of them dumped by dcmdump (sr_dcmdump.txt).

    xvfb-run -a .venv/bin/python benchmarks/render_pacs_shots.py [--isbi DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--isbi", default=str(REPO.parent / "shared" / "data" / "isbi2015"))
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="cc2d-pacs-"))
    os.environ["CC2D_SETTINGS_DIR"] = str(scratch / "settings")
    sys.path.insert(0, str(REPO))
    import requests
    from app_events import open_main_window, pump, wait_until
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QLineEdit

    from cc2d_app.dialogs.pacs_dialog import PacsDialog
    from engine.data.images import load_image
    from engine.dicom_out.source import secondary_capture
    from engine.dicom_out.sr import write_dataset
    from engine.pacs.connection import Connection
    from engine.pacs.transfer import send_files
    from engine.project import PatientFields
    from tests.orthanc_server import PASSWORD, USER, _plugin, free_port

    port = free_port()
    config = {"Name": "cc2d-shots", "StorageDirectory": str(scratch / "db"),
              "IndexDirectory": str(scratch / "db"), "HttpPort": port, "DicomPort": free_port(),
              "RemoteAccessAllowed": False, "AuthenticationEnabled": True,
              "RegisteredUsers": {USER: PASSWORD}, "Plugins": [str(_plugin())],
              "DicomWeb": {"Enable": True, "Root": "/dicom-web/"}}
    (scratch / "orthanc.json").write_text(json.dumps(config))
    server = subprocess.Popen(["Orthanc", str(scratch / "orthanc.json")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    rest = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(f"{rest}/system", auth=(USER, PASSWORD), timeout=1).ok:
                break
        except requests.exceptions.ConnectionError:
            time.sleep(0.2)
    try:
        conn = Connection(f"{rest}/dicom-web", USER, PASSWORD)
        files = []
        for k, (name, date) in enumerate((("125.jpg", "2024-03-01"), ("126.jpg", "2024-09-12"),
                                          ("127.jpg", "2025-02-20"))):
            patient = PatientFields("Sample, Patient", "ISBI-125", "2009-06-15", date, "")
            ds = secondary_capture(load_image(Path(args.isbi) / "images" / name).pixels,
                                   patient, (0.2, 0.2), f"shots {k}")
            ds.Modality, ds.StudyDescription = "DX", "Lateral cephalogram"
            files.append(write_dataset(scratch / f"ceph{k}.dcm", ds))
        send_files(conn, files)
        app, window = open_main_window()
        window.act_pacs.trigger()
        pump(app, 0.3)
        dialog = window.findChild(PacsDialog)
        for name, text in (("pacsUrl", conn.url), ("pacsUser", USER),
                           ("pacsPassword", PASSWORD), ("pacsPatient", "sample")):
            edit = dialog.findChild(QLineEdit, name)
            edit.selectAll()
            QTest.keyClicks(edit, text)
        dialog.search.click()
        wait_until(app, lambda: "found" in dialog.status.text(), 20)
        row = dialog.table.topLevelItem(1)
        QTest.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton,
                         pos=dialog.table.visualItemRect(row).center())
        wait_until(app, lambda: "series" in dialog.status.text(), 20)
        pump(app, 0.3)
        dialog.grab().save(str(OUT / "pacs_search.png"))
        dialog.reject()
        window.close()
        # The SR of a project made from the first image, with its 19 doctors' points.
        sr = _sr_of(files[0], Path(args.isbi), scratch)
        dump = subprocess.run(["dcmdump", "+L", str(sr)], capture_output=True, text=True)
        (OUT / "sr_dcmdump.txt").write_text(dump.stdout)
    finally:
        server.terminate()
    print(f"PACS screenshots in {OUT}")
    return 0


def _sr_of(dicom: Path, isbi: Path, scratch: Path) -> Path:
    import csv

    from engine.analysis import load_analysis
    from engine.analysis.point_error import load_model
    from engine.project import Landmark, LandmarkSource, Project, default_schema
    from engine.project.dicom_export import export_dicom_sr
    from engine.project.measuring import project_measuring

    rows = [r for r in csv.DictReader((isbi / "landmarks.csv").open()) if r["image"] == "125.jpg"]
    with Project.create(scratch / "proj", schema=default_schema()) as project:
        project.add_images([dicom])
        rec = project.images()[0]
        project.apply_edits({rec.id: {int(r["landmark"]) - 1: Landmark(
            float(r["x"]), float(r["y"]), LandmarkSource.TEMPLATE) for r in rows}})
        project.set_template(rec.id)
        codes = [project.schema.label(i) for i in range(19)]
        measuring = project_measuring(project, [load_analysis("isbi2015").bind(codes)],
                                      load_model())
        (sr,) = export_dicom_sr(project, scratch / "sr", [rec.id], measuring)
    return sr


if __name__ == "__main__":
    sys.exit(main())
