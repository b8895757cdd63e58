"""Bad input and faults: each is reported clearly and nothing already saved is lost."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import struct
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from project_helpers import IS_ROOT, custom_schema, write_dicom, write_png

from engine.errors import ProjectError
from engine.project import Landmark, Project, export_csv, export_json
from engine.project import db as dbm


def _png_header(path: Path, width: int, height: int) -> Path:
    """Only a valid PNG signature and IHDR chunk: the size a decoder would allocate."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    data = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
    path.write_bytes(data + struct.pack(">I", zlib.crc32(chunk)))
    return path


def test_bad_files_are_reported_per_file_and_the_rest_added(
    project: Project, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.png").write_bytes(b"")
    good_jpeg = cv2.imencode(".jpg", np.full((64, 64), 128, np.uint8))[1].tobytes()
    (bad / "truncated.jpg").write_bytes(good_jpeg[: len(good_jpeg) // 2])
    good_png = (tmp_path / "images" / "img0.png").read_bytes()
    (bad / "truncated.png").write_bytes(good_png[: len(good_png) - 200])
    (bad / "text.jpg").write_text("this is not a JPEG", encoding="utf-8")
    write_dicom(bad / "nopixels.dcm", pixel_data=False)
    from pydicom.uid import JPEG2000Lossless

    write_dicom(bad / "j2k.dcm", transfer_syntax=JPEG2000Lossless, encapsulated=b"\xff\x4f junk")
    _png_header(bad / "huge.png", 30000, 30000)
    rgba = np.random.default_rng(5).integers(0, 256, (20, 30, 4), dtype=np.uint8)
    cv2.imwrite(str(bad / "rgba.png"), rgba)
    deep = (np.random.default_rng(6).integers(0, 65536, (20, 30))).astype(np.uint16)
    cv2.imwrite(str(bad / "deep16.png"), deep)

    start = time.perf_counter()
    report = project.add_images([bad])
    assert time.perf_counter() - start < 5  # the huge one is refused from its header
    assert sorted(r.name for r in report.added) == ["deep16.png", "rgba.png"]
    reasons = {f.path.name: f.reason for f in report.failed}
    assert "empty (0 bytes)" in reasons["empty.png"]
    assert "truncated" in reasons["truncated.jpg"]
    assert "truncated or corrupt" in reasons["truncated.png"]
    assert "not an image (starts with text" in reasons["text.jpg"]
    assert "without pixel data" in reasons["nopixels.dcm"]
    assert "compressed" in reasons["j2k.dcm"] and "openjpeg" in reasons["j2k.dcm"]
    assert "30000x30000" in reasons["huge.png"] and "limit" in reasons["huge.png"]
    assert len(report.failed) == 7 and len(project.images()) == 6


def test_unicode_and_spaces_in_paths(tmp_path: Path) -> None:
    folder = tmp_path / "Études ünïcødé" / "проект с пробелами 画像"
    img = write_png(tmp_path / "Bilder mit Leerzeichen" / "röntgen 1 – ß.png", seed=3)
    with Project.create(folder, schema=custom_schema()) as proj:
        (rec,) = proj.add_images([img]).added
        proj.set_landmark(rec.id, 5, 1, 2, "corrected")
        out = export_csv(proj, folder / "export ü.csv")
    assert "röntgen 1 – ß.png" in out.read_text(encoding="utf-8")
    with Project.open(folder) as proj:
        assert proj.images()[0].path == img and not proj.check_images().missing


def _deny_writes_under(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Simulate a read-only folder (chmod does not stop root): refuse creating files in it."""
    real_open = os.open

    def fake_open(path: str | os.PathLike[str], flags: int, *args: object, **kw: object) -> int:
        writing = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        if writing and Path(os.path.abspath(path)).is_relative_to(folder):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kw)

    monkeypatch.setattr(os, "open", fake_open)


def test_read_only_project_folder(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    img = project.images()[0].id
    project.set_landmark(img, 0, 7, 8, "corrected")
    project.close()
    (project.folder / "project.lock").unlink()
    if IS_ROOT:
        _deny_writes_under(monkeypatch, project.folder)
    else:
        os.chmod(project.folder, 0o555)
    try:
        with pytest.raises(ProjectError, match="folder is read-only .*read-only to export"):
            Project.open(project.folder)
        # Exporting into a writable place still works from a read-only open.
        with Project.open(project.folder, read_only=True) as ro:
            assert ro.landmarks(img)[0].x == 7
            out = export_csv(ro, tmp_path / "out.csv")
            with pytest.raises(ProjectError, match="permission denied; choose another folder"):
                export_csv(ro, project.folder / "out.csv")
        assert "7.000" in out.read_text()
        with pytest.raises(ProjectError, match="permission denied"):
            Project.create(project.folder / "sub")
        assert not (project.folder / "sub" / "project.sqlite").exists()
    finally:
        os.chmod(project.folder, 0o755)


def test_disk_full_during_export_keeps_the_earlier_file(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out.json"
    export_json(project, out)
    before = out.read_bytes()
    project.set_landmark(project.images()[0].id, 0, 1, 1, "corrected")

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(ProjectError, match="disk full while writing .*earlier file is unchanged"):
        export_json(project, out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_disk_full_during_a_database_write(project: Project) -> None:
    img = project.images()[0].id
    project.set_landmark(img, 0, 1, 1, "corrected")
    pages = project._db.query("PRAGMA page_count")[0][0]
    project._db.conn.execute(f"PRAGMA max_page_count = {pages}")
    big = {i: {k: Landmark(k, k, "predicted") for k in range(37)}
           for i in (r.id for r in project.images())}
    with pytest.raises(ProjectError, match="disk full: .*not saved, earlier edits are safe"):
        for _ in range(50):
            project.apply_edits(big, summary="x" * 5000)
    project._db.conn.execute("PRAGMA max_page_count = 1073741823")
    assert project.landmarks(img)[0] == Landmark(1, 1, "corrected")
    project.set_landmark(img, 1, 2, 2, "corrected")  # usable again once space is back
    assert project.integrity_check() == ["ok"]


def test_project_from_a_newer_version(project: Project) -> None:
    project._db.conn.execute(f"PRAGMA user_version = {dbm.SCHEMA_VERSION + 1}")
    project.close()
    with pytest.raises(ProjectError, match="made by a newer version .*update the app"):
        Project.open(project.folder)
    # A refused open must not hold the lock.
    with pytest.raises(ProjectError, match="newer version"):
        Project.open(project.folder)


def test_older_version_is_migrated_with_a_backup(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    img = project.images()[0].id
    project.set_landmark(img, 0, 3, 4, "corrected")
    project.close()
    # Pretend this version of the app adds one more format.
    old = dbm.SCHEMA_VERSION
    monkeypatch.setattr(dbm, "MIGRATIONS", [*dbm.MIGRATIONS, "ALTER TABLE images ADD note TEXT;"])
    monkeypatch.setattr(dbm, "SCHEMA_VERSION", len(dbm.MIGRATIONS))
    with pytest.raises(ProjectError, match=f"older format {old}; open it once for writing"):
        Project.open(project.folder, read_only=True)
    with Project.open(project.folder) as proj:
        assert proj._db.query("PRAGMA user_version")[0][0] == old + 1
        assert proj._db.query("SELECT note FROM images")[0][0] is None
        assert proj.landmarks(img)[0].x == 3
    backup = sqlite3.connect(project.folder / f"project.sqlite.v{old}.bak")
    assert backup.execute("PRAGMA user_version").fetchone()[0] == old
    backup.close()


def test_sqlite_file_without_a_version_is_not_a_project(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    conn = sqlite3.connect(tmp_path / "p" / "project.sqlite")
    conn.execute("PRAGMA user_version = 0")
    conn.close()
    with pytest.raises(ProjectError, match="not a CC2D project"):
        Project.open(tmp_path / "p")


@pytest.mark.parametrize("where", ["header", "page"])
def test_corrupted_project_file(project: Project, where: str) -> None:
    img = project.images()[0].id
    for k in range(37):  # enough rows for several pages
        project.set_landmark(img, k, k, k, "corrected")
    project.close()
    path = project.folder / "project.sqlite"
    data = bytearray(path.read_bytes())
    start = 0 if where == "header" else 4096 * 2
    data[start : start + 3000] = np.random.default_rng(0).bytes(3000)
    path.write_bytes(bytes(data))
    with pytest.raises(ProjectError, match="is damaged .*restore project.sqlite from a backup"):
        Project.open(project.folder)
    with pytest.raises(ProjectError, match="damaged"):
        Project.open(project.folder, read_only=True)


def test_not_a_project_database(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    conn = sqlite3.connect(tmp_path / "p" / "project.sqlite")
    conn.execute("CREATE TABLE other (x)")
    conn.close()
    with pytest.raises(ProjectError, match="not a CC2D project"):
        Project.open(tmp_path / "p")
    (tmp_path / "e").mkdir()
    sqlite3.connect(tmp_path / "e" / "project.sqlite").close()  # 0 bytes: content lost
    with pytest.raises(ProjectError, match="is damaged \\(it is empty\\)"):
        Project.open(tmp_path / "e")
    write_png(tmp_path / "q" / "project.sqlite", seed=1)
    with pytest.raises(ProjectError, match="damaged"):
        Project.open(tmp_path / "q")


@pytest.mark.parametrize(("free", "words"), [
    (20 * 1024, r"disk full \(20 KB free\): could not save the edit"),
    (50 << 30, "could not save the edit in .*disk I/O error"),
])
def test_a_disk_io_error_with_almost_no_space_left_says_disk_full(tmp_path, monkeypatch,
                                                                  free, words) -> None:
    # SQLite said "disk I/O error" when < 24 KB were left; with plenty free it stays that.
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(dbm.shutil, "disk_usage", lambda _p: usage(1 << 40, 0, free))
    exc = sqlite3.OperationalError("disk I/O error")
    exc.sqlite_errorname = "SQLITE_IOERR_WRITE"
    error = dbm.translate(exc, tmp_path / "project.sqlite", "save the edit")
    assert re.search(words, str(error))
