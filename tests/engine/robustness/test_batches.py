"""One bad file never stops a batch: it is skipped and reported, the rest goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from bad_files import dicom_bytes, encoded, radiograph, set_dicom_text

from engine.data.working_set import build_working_set
from engine.project import Project

pytest.importorskip("pydicom")


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """Two good images and the malformed files that used to abort a whole folder."""
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(2):
        (folder / f"good{i}.png").write_bytes(encoded(".png", radiograph(seed=i)))
    frames = dicom_bytes(radiograph(seed=5), NumberOfFrames=1)
    (folder / "frames.dcm").write_bytes(set_dicom_text(frames, (0x0028, 0x0008), b"ab"))
    (folder / "palette.dcm").write_bytes(dicom_bytes(radiograph(seed=6),
                                                     photometric="PALETTE COLOR"))
    damaged = bytearray(encoded(".jpg", radiograph(256, 256, seed=0)))
    damaged[len(damaged) // 2:len(damaged) // 2 + 20] = b"\x55" * 20
    (folder / "damaged.jpg").write_bytes(bytes(damaged))
    return folder


def test_project_add_keeps_the_good_files(tmp_path: Path, mixed_folder: Path) -> None:
    with Project.create(tmp_path / "proj") as project:
        report = project.add_images([mixed_folder])
    assert sorted(r.name for r in report.added) == ["good0.png", "good1.png"]
    reasons = {s.path.name: s.reason for s in report.failed}
    assert set(reasons) == {"frames.dcm", "palette.dcm", "damaged.jpg"}
    assert "NumberOfFrames" in reasons["frames.dcm"]
    assert "lookup table" in reasons["palette.dcm"]
    assert "damaged JPEG" in reasons["damaged.jpg"]


def test_working_set_skips_and_reports(mixed_folder: Path) -> None:
    paths = sorted(mixed_folder.iterdir())
    skipped: list[tuple[Path, str]] = []
    data = build_working_set(paths, 32, torch.device("cpu"), skipped=skipped, workers=2)
    assert sorted(p.name for p in data.paths) == ["good0.png", "good1.png"]
    assert sorted(p.name for p, _ in skipped) == ["damaged.jpg", "frames.dcm", "palette.dcm"]
    assert all(str(p) in reason for p, reason in skipped)
    assert data.pixels.shape == (2, 1, 32, 32)
