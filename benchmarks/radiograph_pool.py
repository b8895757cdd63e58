"""The radiographs of the folder-opening benchmark: full-size JPEG, 16-bit PNG and DICOM
files made from real cephalograms (or phantoms), kept outside the repository and reused."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("jpeg", "png16", "dicom")
EXT = {"jpeg": ".jpg", "png16": ".png", "dicom": ".dcm"}
KIND_OF_EXT = {v: k for k, v in EXT.items()}
WIDTH, HEIGHT = 1935, 2400
DATA_VERSION = 1  # bump when the generated files change
DX_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation



def _sources() -> tuple[str, list[Path]]:
    isbi = ROOT.parent / "shared" / "data" / "isbi2015" / "images"
    files = sorted(isbi.glob("*.jpg")) if isbi.is_dir() else []
    return ("isbi2015", files) if files else ("phantom", [])


def _base_image(source: str, files: list[Path], i: int) -> Any:
    """float32 (HEIGHT, WIDTH) in [0, 1]: source image ``i`` resized up to full size."""
    import cv2
    import numpy as np

    if source == "isbi2015":
        small = cv2.imread(str(files[i % len(files)]), cv2.IMREAD_GRAYSCALE)
        small = small.astype(np.float32) / 255.0
    else:
        from engine.data.phantom import PhantomSpec, make_phantom

        small, _ = make_phantom(PhantomSpec(width=WIDTH // 4, height=HEIGHT // 4), seed=i)
    big = cv2.resize(small, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    return np.clip(big, 0.0, 1.0)


def _write_file(path: Path, kind: str, base: Any, seed: int) -> None:
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    if kind == "jpeg":
        img = base * 255.0 + rng.normal(0.0, 1.5, base.shape).astype(np.float32)
        img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        if not cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 92]):
            raise OSError(f"could not write {path}")
        return
    # 12-bit detector data with quantum-like noise.
    v12 = base * 4095.0 + rng.normal(0.0, 6.0, base.shape).astype(np.float32)
    v12 = np.clip(np.rint(v12), 0, 4095).astype(np.uint16)
    if kind == "png16":
        if not cv2.imwrite(str(path), v12 * np.uint16(16), [cv2.IMWRITE_PNG_COMPRESSION, 3]):
            raise OSError(f"could not write {path}")
        return
    _write_dicom(path, v12)


def _write_dicom(path: Path, v12: Any) -> None:
    import numpy as np
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DX_STORAGE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = DX_STORAGE
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.PatientName = "Benchmark^Synthetic"
    ds.PatientID = "BENCH"
    ds.Rows, ds.Columns = v12.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    ds.PixelSpacing = [0.1, 0.1]
    lo, hi = np.percentile(v12[::8, ::8], (1.0, 99.0))
    ds.WindowCenter = f"{(lo + hi) / 2:.1f}"
    ds.WindowWidth = f"{max(hi - lo, 1.0):.1f}"
    ds.PixelData = np.ascontiguousarray(v12).tobytes()
    if int(pydicom.__version__.split(".")[0]) >= 3:
        ds.save_as(path, enforce_file_format=True)
    else:  # pydicom 2.x
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(path, write_like_original=False)


def ensure_data(data_dir: Path, n: int, say: Any) -> tuple[str, list[Path]]:
    """The pool of ``n`` generated files (kinds cycling jpeg, png16, dicom), reused if there."""
    source, files = _sources()
    pool = data_dir / "pool"
    manifest_path = pool / "manifest.json"
    manifest = {"version": DATA_VERSION, "source": source, "size": [WIDTH, HEIGHT]}
    if manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            old = {}
        if {k: old.get(k) for k in manifest} != manifest:
            say(f"data in {pool} was made differently ({old}); regenerating")
            shutil.rmtree(pool)
    pool.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest))
    paths = [pool / f"ceph_{i + 1:04d}{EXT[KINDS[i % 3]]}" for i in range(n)]
    missing = [i for i, p in enumerate(paths) if not p.exists()]
    if missing:
        say(f"generating {len(missing)} of {n} images ({source}, {WIDTH}x{HEIGHT}) in {pool} …")
        t = time.perf_counter()
        for k, i in enumerate(missing):
            tmp = paths[i].with_name(".part" + paths[i].suffix)
            _write_file(tmp, KINDS[i % 3], _base_image(source, files, i), seed=1000 + i)
            tmp.rename(paths[i])
            if (k + 1) % 30 == 0:
                say(f"  {k + 1}/{len(missing)} ({time.perf_counter() - t:.0f} s)")
        say(f"generated in {time.perf_counter() - t:.1f} s")
    else:
        say(f"reusing {n} images in {pool}")
    return source, paths


def make_view(data_dir: Path, pool: list[Path], first: str) -> Path:
    """A folder of hard links to the pool, rotated so that the first sorted file is ``first``."""
    view = data_dir / "views" / f"first_{first}_n{len(pool)}"
    if view.exists():
        shutil.rmtree(view)
    view.mkdir(parents=True)
    offset = KINDS.index(first)
    for k in range(len(pool)):
        src = pool[(k + offset) % len(pool)]
        dst = view / f"img_{k + 1:04d}{src.suffix}"
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
    return view


def evict(paths: list[Path]) -> bool:
    """Drop the files' pages from the page cache (no root needed for clean pages)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


