"""``cc2d analyze`` and ``cc2d bench-analysis`` on small files, and the committed ISBI
benchmark reproduced from the committed predictions (skipped without the data)."""

import csv
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.data.landmarks import LandmarkTable, write_landmark_csv
from tests.engine.analysis.skull import mirrored, skull

REPO = Path(__file__).resolve().parents[3]
DATA = REPO.parent / "shared" / "data" / "isbi2015"
NAMES = tuple(f"L{i}" for i in range(1, 20))


def table(points_by_image, **extra):
    t = LandmarkTable(names=NAMES)
    t.points.update(points_by_image)
    for col, per_image in extra.items():
        t.values[col] = per_image
    return t


def test_analyze_writes_values_classes_and_borderline(tmp_path):
    pred = tmp_path / "preds.csv"
    write_landmark_csv(pred, table({"a.png": skull(), "b.png": mirrored(skull(mw_mm=-2.0))}))
    out = tmp_path / "analysis.csv"
    assert main(["analyze", "--pred", str(pred), "--spacing", "0.1", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 16
    first = {r["measurement"]: r for r in rows if r["image"] == "a.png"}
    assert first["SNA"]["value"] == "80" and first["SNA"]["class"] == "C1"
    assert first["SNA"]["meaning"] == "normal maxilla" and first["SNA"]["borderline"] == "true"
    assert (first["MW"]["value"], first["MW"]["unit"]) == ("3", "mm")
    second = {r["measurement"]: r for r in rows if r["image"] == "b.png"}
    assert second["MW"]["class"] == "C3"
    assert second["MW"]["meaning"].startswith("anterior cross bite")
    assert 0.0 <= float(first["SNA"]["p_other_class"]) <= 1.0
    low, high = float(first["SNA"]["interval_low"]), float(first["SNA"]["interval_high"])
    assert low < 80.0 < high


def test_analyze_without_spacing_flags_pixels(tmp_path, capsys):
    pred = tmp_path / "preds.csv"
    write_landmark_csv(pred, table({"a.png": skull()}))
    out = tmp_path / "analysis.csv"
    assert main(["analyze", "--pred", str(pred), "--out", str(out)]) == 0
    mw = next(r for r in csv.DictReader(out.open()) if r["measurement"] == "MW")
    assert (mw["value"], mw["unit"], mw["class"], mw["borderline"]) == ("30", "px", "", "")
    assert "not classified" in mw["note"]
    assert "no --spacing" in capsys.readouterr().out


def test_bench_analysis_counts_agreement_and_confusion(tmp_path):
    # Reference: two normal skulls. Predictions: the first exact, the second with SNA 85°
    # (C2). Senior: exact everywhere.
    ref = {"151.jpg": skull(), "152.jpg": skull(fma=33.0)}
    senior = {k: v.copy() for k, v in ref.items()}
    data = tmp_path / "isbi"
    data.mkdir()
    write_landmark_csv(data / "landmarks.csv", table(
        ref, senior_x={k: v[:, 0] for k, v in senior.items()},
        senior_y={k: v[:, 1] for k, v in senior.items()}))
    pred = tmp_path / "preds.csv"
    write_landmark_csv(pred, table({"151.jpg": skull(), "152.jpg": skull(sna=85.0, fma=33.0)}),
                       with_names=False)
    out = tmp_path / "bench.json"
    assert main(["bench-analysis", "--data", str(data), "--pred", str(pred),
                 "--spacing", "0.1", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    ours = res["sources"]["preds"]["measurements"]
    assert ours["SNA"]["scr"] == 50.0 and ours["FMA"]["scr"] == 100.0
    assert ours["SNA"]["confusion"]["labels"] == ["C1", "C2", "C3"]
    assert ours["SNA"]["confusion"]["rows_reference_columns_compared"] == [[1, 1, 0],
                                                                            [0, 0, 0],
                                                                            [0, 0, 0]]
    assert ours["ANB"]["scr"] == 50.0            # ANB 4° → 9°: class I → II
    assert res["sources"]["senior"]["mean_scr"] == 100.0
    assert res["commit"] and res["command"].startswith("cc2d bench-analysis")


@pytest.mark.skipif(not (DATA / "landmarks.csv").is_file(), reason="needs ../shared/data/isbi2015")
def test_committed_isbi_benchmark_is_reproduced(tmp_path):
    """benchmarks/analysis_isbi.py run again with its recorded command gives the committed
    classes and flags (the points are committed beside it)."""
    committed = sorted((REPO / "benchmarks" / "results").glob("analysis_isbi_test1_*.json"))
    if not committed:
        pytest.skip("no committed analysis benchmark")
    saved = json.loads(committed[-1].read_text())
    argv = shlex.split(saved["command"])[1:]
    argv[argv.index("--out") + 1] = str(tmp_path / "again.json")
    subprocess.run([sys.executable, *argv], cwd=REPO, check=True, capture_output=True)
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["threshold_scan_train"] == saved["threshold_scan_train"]
    for name, source in saved["sources"].items():
        got = again["sources"][name]
        assert got["borderline"] == source["borderline"], name
        for mid, m in source["measurements"].items():
            assert got["measurements"][mid]["confusion"] == m["confusion"], (name, mid)


@pytest.mark.skipif(not (DATA / "landmarks.csv").is_file(), reason="needs ../shared/data/isbi2015")
def test_expert_exact_points_are_rarely_flagged():
    """On the doctors' mean points of test1, with a clinician's σ per landmark, the ISBI
    analysis flags one or two of its eight classes per image, not most of them."""
    import numpy as np

    from engine.analysis.point_error import load_model
    from engine.data.landmarks import read_landmark_csv
    from tests.engine.analysis.skull import isbi_analysis

    truth = read_landmark_csv(DATA / "landmarks.csv")
    with open(DATA / "landmarks.csv", newline="", encoding="utf-8") as f:
        test1 = sorted({row["image"] for row in csv.DictReader(f) if row["split"] == "test1"})
    bound = isbi_analysis()
    sigma = load_model().observer(bound.codes)
    flags = np.array([sum(r.borderline for r in bound.measure(truth.points[i], 0.2, sigma))
                      for i in test1])
    assert len(flags) == 150
    assert flags.mean() <= 1.5 and np.mean(flags <= 2) >= 0.8
