"""Each point's σ on an image by where it came from, and its calibration on the project's
reviewed images (plain functions, no Qt)."""

import numpy as np
import pytest

from engine.analysis.point_error import load_model
from engine.data.spacing import Spacing
from engine.project import Landmark, LandmarkSource, ReviewStatus
from engine.project.measuring import image_sigma, is_clinicians, predicted_sigma

CODES = ["S", "N", "A"]
P, T, C = LandmarkSource.PREDICTED, LandmarkSource.TEMPLATE, LandmarkSource.CORRECTED


def lm(x, y, source=P):
    return Landmark(x, y, source, 0.5 if source == P else None)


def test_clinicians_points_and_predicted_ones():
    points = [lm(0, 0, T), lm(1, 1), lm(2, 2, C)]
    assert is_clinicians(points, ReviewStatus.UNREVIEWED) == [True, False, True]
    assert is_clinicians(points, ReviewStatus.UNREVIEWED, dragged=1) == [True, True, True]
    assert is_clinicians(points, ReviewStatus.REVIEWED) == [True, True, True]
    model = load_model()
    sigma = image_sigma(model, CODES, points, ReviewStatus.UNREVIEWED, np.array([7.0, 8.0, 9.0]))
    assert sigma.tolist() == [model.observer_mm["S"], 8.0, model.observer_mm["A"]]


def test_calibrated_on_reviewed_images_with_their_spacing():
    model = load_model()
    prior = model.predicted(CODES)
    # One reviewed image: N predicted 10 px off along x at 0.2 mm/px (2 mm: 2 mm² per
    # axis on average), S and A kept as predicted; one image without predictions skipped.
    preds = [lm(0, 0), lm(10, 0), lm(5, 5)]
    kept = [lm(0, 0, P), lm(0, 0, C), lm(5, 5, P)]
    sigma, n = predicted_sigma(model, CODES, [(preds, kept, Spacing(0.2, 0.2, "file")),
                                              ([None] * 3, kept, None)])
    assert n == 1
    assert sigma[1] == pytest.approx(np.sqrt((2.0 + 3 * prior[1] ** 2) / 4))
    assert sigma[0] == pytest.approx(np.sqrt(3 * prior[0] ** 2 / 4))


def test_cc2d_project_measurements_writes_a_table_per_analysis(tmp_path, image_dir, capsys):
    import csv

    from test_project_cli import run_cli

    from engine.analysis import load_analysis
    from engine.project import Project, default_schema
    from tests.engine.analysis.skull import skull

    with Project.create(tmp_path / "proj", schema=default_schema()) as project:
        project.add_images([image_dir])
        first, second = project.images()[:2]
        points = skull() * 0.03          # the skull made to fit the small test images
        project.apply_edits({first.id: {i: Landmark(x, y, T) for i, (x, y) in enumerate(points)}})
        project.set_template(first.id)
        project.apply_edits({second.id: {i: Landmark(x + 1, y, P, 0.5)
                                         for i, (x, y) in enumerate(points)}})
    out = tmp_path / "tables" / "t.csv"
    out.parent.mkdir()
    assert run_cli(["project", "measurements", str(tmp_path / "proj"), "--analysis", "isbi2015",
                    "--analysis", "steiner", "--out", str(out), "--images", "all"]) == 0
    assert "4 image(s) →" in capsys.readouterr().out
    rows = list(csv.DictReader((out.parent / "t_isbi2015.csv").open(encoding="utf-8")))
    assert [r["image"] for r in rows][:2] == [first.name, second.name]
    codes = [default_schema().label(i) for i in range(19)]
    sna = {r.id: r for r in load_analysis("isbi2015").bind(codes).measure(points, None, 1.0)}
    assert float(rows[0]["SNA"]) == pytest.approx(sna["SNA"].value, rel=1e-3)
    assert rows[2]["SNA"] == ""          # an image without landmarks
    steiner = next(csv.reader((out.parent / "t_steiner.csv").open(encoding="utf-8")))
    assert "U1_NA_mm" in steiner and "Interincisal" not in steiner   # the apices are missing

    assert run_cli(["project", "measurements", str(tmp_path / "proj"), "--analysis", "wits",
                    "--out", str(out)]) == 2
    assert "needs points this project's landmarks lack: Mo" in capsys.readouterr().out
