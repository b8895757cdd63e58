"""Property tests: CSV/JSON export → import into a fresh project gives the same landmarks."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from project_helpers import write_png

from engine.data.landmarks import LandmarkTable, write_landmark_csv
from engine.project import (
    Landmark,
    LandmarkSchema,
    LandmarkSource,
    Project,
    ReviewStatus,
    export_csv,
    export_json,
    import_landmarks,
)

N_IMAGES = 3
SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

names_st = st.lists(
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool),
    min_size=1,
    max_size=40,
    unique_by=str.casefold,
)
WIDTH, HEIGHT = 40, 32  # write_png's default size
# Mostly inside the images; a point outside is left out by the import.
far = st.floats(-1e4, 1e5, allow_nan=False, allow_infinity=False)
point_st = st.none() | st.builds(
    Landmark,
    st.floats(-0.5, WIDTH - 0.5) | far,
    st.floats(-0.5, HEIGHT - 0.5) | far,
    st.sampled_from(LandmarkSource),
    st.none() | st.floats(0, 1, allow_nan=False),
)


@st.composite
def labelled_schemas(draw: st.DrawFn) -> tuple[LandmarkSchema, list[list[Landmark | None]], list]:
    names = draw(names_st)
    points = [draw(st.lists(point_st, min_size=len(names), max_size=len(names)))
              for _ in range(N_IMAGES)]
    statuses = draw(st.lists(st.sampled_from(ReviewStatus), min_size=N_IMAGES, max_size=N_IMAGES))
    return LandmarkSchema.from_names(names, name="random"), points, statuses


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("round trip") / "Bilder ü"
    return [write_png(folder / f"röntgen {i}.png", seed=100 + i) for i in range(N_IMAGES)]


@pytest.fixture
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def _fill(folder: Path, schema: LandmarkSchema, images: list[Path]) -> Project:
    proj = Project.create(folder, schema=schema)
    assert len(proj.add_images(images).added) == len(images)
    return proj


def _kept(p: Landmark | None) -> Landmark | None:
    """What an import keeps of ``p``: nothing when it lies outside the image."""
    inside = p is not None and -0.5 <= p.x <= WIDTH - 0.5 and -0.5 <= p.y <= HEIGHT - 0.5
    return p if inside else None


def _close(a: Landmark | None, b: Landmark | None, tol: float, conf_tol: float) -> bool:
    if a is None or b is None:
        return a is b
    conf_ok = (a.confidence is None and b.confidence is None) or (
        a.confidence is not None and b.confidence is not None
        and abs(a.confidence - b.confidence) <= conf_tol
    )
    return (abs(a.x - b.x) <= tol and abs(a.y - b.y) <= tol and a.source == b.source
            and conf_ok)


@pytest.mark.parametrize("fmt", ["csv", "json"])
@SETTINGS
@given(data=labelled_schemas())
def test_export_import_round_trip(fmt: str, data: tuple, images: list[Path], workdir: Path) -> None:
    schema, points, statuses = data
    sub = workdir / f"{fmt}-{len(list(workdir.iterdir()))}"
    with _fill(sub / "a", schema, images) as src:
        ids = [r.id for r in src.images()]
        placed = [{k: p for k, p in enumerate(pts) if p is not None} for pts in points]
        src.apply_edits(
            dict(zip(ids, placed, strict=True)), statuses=dict(zip(ids, statuses, strict=True))
        )
        expected = [[_kept(p) for p in src.landmarks(i)] for i in ids]
        out = (export_csv if fmt == "csv" else export_json)(src, sub / f"export.{fmt}")
    with _fill(sub / "b", schema, images) as dst:
        import_landmarks(dst, out)
        got = [dst.landmarks(r.id) for r in dst.images()]
        assert [r.status for r in dst.images()] == statuses
    # CSV keeps 3 decimals of a pixel and 4 of a confidence; JSON keeps every bit.
    tol, conf_tol = (6e-4, 6e-5) if fmt == "csv" else (0.0, 0.0)
    for exp_img, got_img in zip(expected, got, strict=True):
        pairs = zip(exp_img, got_img, strict=True)
        assert all(_close(e, g, tol, conf_tol) for e, g in pairs), (exp_img, got_img)


@SETTINGS
@given(data=labelled_schemas())
def test_long_csv_with_nan_imports_as_missing(
    data: tuple, images: list[Path], workdir: Path
) -> None:
    schema, points, _ = data
    sub = workdir / f"long-{len(list(workdir.iterdir()))}"
    table = LandmarkTable(names=schema.names)
    for path, pts in zip(images, points, strict=True):
        table.points[path.name] = np.array(
            [(p.x, p.y) if p is not None else (math.nan, math.nan) for p in pts], dtype=float
        )
    sub.mkdir()
    write_landmark_csv(sub / "labels.csv", table)
    with _fill(sub / "p", schema, images) as proj:
        import_landmarks(proj, sub / "labels.csv", source="template")
        for rec, pts in zip(proj.images(), points, strict=True):
            for got, exp in zip(proj.landmarks(rec.id), map(_kept, pts), strict=True):
                assert (got is None) == (exp is None)
                if exp is not None:
                    assert got.source is LandmarkSource.TEMPLATE
                    assert abs(got.x - exp.x) <= 6e-4 and abs(got.y - exp.y) <= 6e-4
