"""A real Orthanc with its DICOMweb plugin on 127.0.0.1 for the PACS tests (the engine's
and the app's conftests import the fixture): a config with free ports and a user,
started, waited for, stopped; and phantom cephalograms to store on it. Without Orthanc
the tests skip with the line that installs it."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PLUGIN_DIRS = (Path("/usr/share/orthanc/plugins"), Path("/usr/lib/orthanc/plugins"),
               Path("/usr/local/share/orthanc/plugins"))
INSTALL = "sudo apt-get install orthanc orthanc-dicomweb"
USER, PASSWORD = "doctor", "s3cret"


@dataclass(frozen=True)
class Orthanc:
    rest: str            # http://127.0.0.1:PORT
    port: int

    @property
    def dicomweb(self) -> str:
        return f"{self.rest}/dicom-web"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _plugin() -> Path | None:
    for folder in PLUGIN_DIRS:
        found = sorted(folder.glob("libOrthancDicomWeb.so*")) if folder.is_dir() else []
        if found:
            return found[0]
    return None


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory) -> Iterator[Orthanc]:
    exe, plugin = shutil.which("Orthanc"), _plugin()
    if exe is None or plugin is None:
        pytest.skip(f"needs Orthanc and its DICOMweb plugin: {INSTALL}")
    import requests

    root = tmp_path_factory.mktemp("orthanc")
    port = free_port()
    config = {"Name": "cc2d-test", "StorageDirectory": str(root / "db"),
              "IndexDirectory": str(root / "db"), "HttpPort": port, "DicomPort": free_port(),
              "RemoteAccessAllowed": False, "AuthenticationEnabled": True,
              "RegisteredUsers": {USER: PASSWORD}, "Plugins": [str(plugin)],
              "DicomWeb": {"Enable": True, "Root": "/dicom-web/"}, "StableAge": 1}
    (root / "orthanc.json").write_text(json.dumps(config))
    log = (root / "orthanc.log").open("w")
    proc = subprocess.Popen([exe, str(root / "orthanc.json")], stdout=log,
                            stderr=subprocess.STDOUT)
    rest = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{rest}/system", auth=(USER, PASSWORD), timeout=1).ok:
                break
        except requests.exceptions.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"Orthanc did not start: {(root / 'orthanc.log').read_text()[-2000:]}")
        time.sleep(0.2)
    try:
        yield Orthanc(rest, port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def upload_phantoms(conn, folder: Path, patient, n: int = 3):
    """``n`` phantom cephalograms of one patient as DICOM DX files, stored through
    ``conn``; returns (files, landmark table, the phantoms' PNG paths)."""
    from engine.data.images import load_image
    from engine.data.phantom import PhantomSpec, write_phantom_dataset
    from engine.dicom_out.source import secondary_capture
    from engine.dicom_out.sr import write_dataset
    from engine.pacs.transfer import send_files

    paths, table = write_phantom_dataset(folder / "png", n,
                                         PhantomSpec(n_landmarks=19, width=160, height=200))
    files = []
    for k, p in enumerate(paths):
        ds = secondary_capture(load_image(p).pixels, patient, (0.1, 0.1), "phantom study")
        ds.SOPInstanceUID = f"{ds.SOPInstanceUID[:-3]}{k:03d}"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.Modality, ds.StudyDescription = "DX", "Lateral ceph"
        files.append(write_dataset(folder / f"ceph{k}.dcm", ds))
    sent = send_files(conn, files)
    assert all(s.accepted for s in sent), sent
    return files, table, paths
