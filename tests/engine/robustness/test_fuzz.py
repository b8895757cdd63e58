"""Fuzzing the engine's boundaries: random damage to small images, CSVs and command lines.

The property everywhere: a result or a CC2DError (argparse's exit 2 for the command line),
never another exception, never a hang, never a non-finite pixel. Seeded (derandomized), so
CI runs the same cases every time; each case has a time limit.
"""

from __future__ import annotations

import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from bad_files import dicom_bytes, encoded, radiograph, set_dicom_text, with_exif_orientation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli.main import main
from engine.data.display import load_display, load_thumbnail
from engine.data.images import load_image
from engine.data.landmarks import read_landmark_csv
from engine.errors import CC2DError

CASE_SECONDS = 5
LIMIT = 2_000_000  # pixels: a forged header may claim more; refusing it is a correct result


def fuzz(cases: int) -> settings:
    # deadline=None: the time limit is time_limit's, which also stops a hang.
    return settings(max_examples=cases, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@contextmanager
def time_limit(seconds: int = CASE_SECONDS) -> Iterator[None]:
    """Fail the case instead of hanging the suite (SIGALRM; POSIX only)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"a case took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _seeds() -> dict[str, bytes]:
    img = radiograph(24, 32)
    seeds = {
        "png8": encoded(".png", img),
        "png16": encoded(".png", img.astype(np.uint16) * 257),
        "jpeg": encoded(".jpg", img),
        "jpeg_exif": with_exif_orientation(encoded(".jpg", img), 6),
        "bmp": encoded(".bmp", img),
        "tiff": encoded(".tif", img),
    }
    try:
        seeds["dicom"] = dicom_bytes(img.astype(np.uint16) * 16, RescaleSlope=1,
                                     RescaleIntercept=0, WindowCenter=2000, WindowWidth=4000,
                                     NumberOfFrames=1)
    except ImportError:  # pydicom is optional
        pass
    return seeds


SEEDS = _seeds()
SUFFIX = {"png8": ".png", "png16": ".png", "jpeg": ".jpg", "jpeg_exif": ".jpg", "bmp": ".bmp",
          "tiff": ".tif", "dicom": ".dcm"}


@st.composite
def damaged_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """A seed file with random damage: overwritten bytes (often in the header), a cut, or an
    insertion."""
    kind = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[kind])
    edited = kind == "dicom" and draw(st.integers(0, 2)) > 0
    if edited:  # a header edit: a text attribute the decoding trusts set to a forged value
        data = bytearray(set_dicom_text(bytes(data), draw(st.sampled_from(DICOM_TAGS)),
                                        draw(st.sampled_from(DICOM_VALUES))))
    for _ in range(draw(st.integers(0 if edited else 1, 3))):
        how = draw(st.sampled_from(["header", "anywhere", "cut", "insert", "big-number"]))
        at = draw(st.integers(0, len(data) - 1))
        if how == "header":
            at = draw(st.integers(0, min(len(data), 400) - 1))
            data[at] = draw(st.integers(0, 255))
        elif how == "anywhere":
            n = draw(st.integers(1, 16))
            data[at:at + n] = draw(st.binary(min_size=n, max_size=n))
        elif how == "cut":
            del data[at:]
            if not data:
                data = bytearray(b"\x00")
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        else:  # a size, count or offset field set to something huge
            data[at:at + 4] = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff",
                                                    b"\x00\x00\x00\x00", b"\x00\x01\x00\x00"]))
    return kind, bytes(data)


# NumberOfFrames, PhotometricInterpretation, WindowCenter, WindowWidth, RescaleIntercept,
# RescaleSlope: text attributes the decoding trusts.
DICOM_TAGS = [(0x0028, 0x0008), (0x0028, 0x0004), (0x0028, 0x1050), (0x0028, 0x1051),
              (0x0028, 0x1052), (0x0028, 0x1053)]
DICOM_VALUES = [b"ab", b"NaN", b"inf", b"-1", b"0", b"99999", b"PALETTE COLOR", b"YBR_FULL",
                b"MONOCHROME1", b"RGB", b"1e400", b""]


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def _result_or_error(read: Callable[[], object]) -> object | None:
    try:
        with time_limit():
            return read()
    except CC2DError:
        return None


@fuzz(400)
@given(case=damaged_files())
def test_damaged_images_load_or_fail_clearly(scratch: Path, case: tuple[str, bytes]) -> None:
    kind, data = case
    path = scratch / f"fuzz{SUFFIX[kind]}"
    path.write_bytes(data)
    image = _result_or_error(lambda: load_image(path, max_pixels=LIMIT))
    if image is not None:
        assert image.pixels.shape == (image.height, image.width)
        assert np.isfinite(image.pixels).all()
        assert image.pixels.min() >= 0.0 and image.pixels.max() <= 1.0
    display = _result_or_error(lambda: load_display(path, max_pixels=LIMIT))
    if display is not None:
        assert display.values.shape == (display.height, display.width)
        assert np.isfinite(display.values).all()
        if image is not None:
            assert (display.width, display.height) == (image.width, image.height)
    thumb = _result_or_error(lambda: load_thumbnail(path, 16, max_pixels=LIMIT))
    if thumb is not None:
        assert thumb.dtype == np.uint8 and max(thumb.shape) <= 32


GOOD_CSV = ("image,landmark,name,x,y,confidence\n"
            "a.png,1,Sella,10.5,20,0.9\na.png,2,Nasion,30,40.25,0.8\n"
            "b.png,1,Sella,11,21,\nb.png,2,Nasion,,,\n")
CSV_PIECES = [",", "\n", '"', " ", "0", "-1", "1e309", "nan", "inf", "100000000", "x", ";",
              "\ufeff", "\x00", "a.png", "3", ",,", "\r\n", "é", "-0.5"]


@st.composite
def mutated_csvs(draw: st.DrawFn) -> str:
    lines = GOOD_CSV.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["insert", "delete", "duplicate line", "drop line", "swap"]))
        text = "".join(lines)
        at = draw(st.integers(0, len(text)))
        if how == "insert":
            text = text[:at] + draw(st.sampled_from(CSV_PIECES)) + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 6)):]
        elif how == "duplicate line" and len(lines) > 1:
            i = draw(st.integers(1, len(lines) - 1))
            text = "".join(lines[:i + 1] + [lines[i]] + lines[i + 1:])
        elif how == "drop line" and len(lines) > 1:
            i = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[:i] + lines[i + 1:])
        elif how == "swap" and text:
            j = draw(st.integers(0, len(text) - 1))
            text = text[:j] + draw(st.sampled_from(CSV_PIECES)) + text[j + 1:]
        lines = text.splitlines(keepends=True) or [""]
    return "".join(lines)


@fuzz(400)
@given(text=mutated_csvs())
def test_mutated_landmark_csvs_read_or_fail_clearly(scratch: Path, text: str) -> None:
    path = scratch / "fuzz.csv"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    table = _result_or_error(lambda: read_landmark_csv(path))
    if table is not None:
        assert 1 <= table.n_landmarks <= 10_000
        for points in table.points.values():
            assert points.shape == (table.n_landmarks, 2)
            assert not np.isinf(points).any()


@pytest.fixture(scope="module")
def cli_files(scratch: Path) -> dict[str, str]:
    folder = scratch / "cli"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "a.png").write_bytes(SEEDS["png8"])
    (folder / "empty").mkdir()
    (folder / "labels.csv").write_text("image,landmark,x,y\na.png,1,5,5\n")
    (folder / "bad.csv").write_text("image,landmark,x,y\na.png,1,5\n")
    (folder / "file.txt").write_text("x")
    return {"images": str(folder / "images"), "empty": str(folder / "empty"),
            "labels": str(folder / "labels.csv"), "bad": str(folder / "bad.csv"),
            "file": str(folder / "file.txt"), "missing": str(folder / "missing"),
            "new": str(folder / "out" / "new.csv"), "below-file": str(folder / "file.txt/x")}


COMMANDS = [["evaluate"], ["predict"], ["run"], ["ssl", "train"], ["ssl", "predict"],
            ["project", "create"], ["project", "status"], ["project", "import"],
            ["project", "add"], ["project", "export"]]
OPTIONS = ["--pred", "--truth", "--spacing", "--json", "--run", "--images", "--out",
           "--template", "--labels", "--ssl-steps", "--tpl-steps", "--refine-steps",
           "--ssl-time", "--steps", "--batch-size", "--image-size", "--lr", "--device",
           "--profile", "--time-budget", "--seed", "--format"]
NUMBERS = ["0", "-1", "1", "nan", "inf", "-inf", "1e999", "0.2", "x", "", "999999999999",
           "gpu", "cuda:7", "cpu", "tiny", "csv"]


@st.composite
def command_lines(draw: st.DrawFn, files: dict[str, str]) -> list[str]:
    argv = list(draw(st.sampled_from(COMMANDS)))
    values = st.sampled_from(NUMBERS + [f"@{k}" for k in files])
    for _ in range(draw(st.integers(0, 7))):
        if draw(st.booleans()):
            argv.append(draw(st.sampled_from(OPTIONS)))
        value = draw(values)
        argv.append(files[value[1:]] if value.startswith("@") else value)
    if argv[0] in ("run", "ssl"):  # never let a random line start real training
        argv += ["--steps" if argv[0] == "ssl" else "--ssl-steps", "0"]
    return argv


@fuzz(300)
@given(data=st.data())
def test_random_command_lines_end_cleanly(cli_files: dict[str, str], data: st.DataObject,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    argv = data.draw(command_lines(cli_files))
    try:
        with time_limit():
            code = main(argv)
    except SystemExit as exc:  # argparse: usage error (2) or --help (0)
        assert exc.code in (0, 2), argv
        code = exc.code
    assert code in (0, 2), argv
    if code == 2:
        err = capsys.readouterr().err
        assert "error" in err and "Traceback" not in err, (argv, err)
    capsys.readouterr()
