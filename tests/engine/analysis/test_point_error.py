"""Each landmark's σ by where it came from: the shipped tables, their checks, and the
calibration on reviewed images (worked by hand)."""

import json
import math

import numpy as np
import pytest

from engine.analysis import AnalysisError
from engine.analysis.point_error import PRIOR_WEIGHT, calibrate, load_model


def test_the_shipped_tables_cover_the_isbi_codes_and_others_get_the_median():
    model = load_model()
    observer = model.observer(["S", "N", "Pog'", "Xi"])
    assert observer[0] < observer[1] < observer[2]        # sella is the easiest to agree on
    assert observer[3] == pytest.approx(np.median(list(model.observer_mm.values())))
    assert model.predicted(["s"])[0] == model.predicted_mm["S"]   # codes ignore case


def test_sigma_by_source():
    model = load_model()
    sigma = model.sigma(["S", "N"], clinician=[True, False])
    assert sigma.tolist() == [model.observer_mm["S"], model.predicted_mm["N"]]
    calibrated = np.array([9.0, 0.5])
    assert model.sigma(["S", "N"], [True, False], calibrated).tolist() == [
        model.observer_mm["S"], 0.5]


def test_calibration_pools_the_reviewed_errors_with_the_prior():
    # Two images; landmark 0 off by (3, 4) px at 0.5 mm/px on both: per axis mean square
    # (1.5² + 2²) / 2 = 3.125 mm², pooled with a 1 mm prior weighted as 3 images:
    # σ² = (2 · 3.125 + 3 · 1) / 5. Landmark 1 exact, and missing on the second image.
    prior = np.array([1.0, 2.0])
    predicted = [np.array([[3.0, 4.0], [10.0, 10.0]]), np.array([[3.0, 4.0], [np.nan, np.nan]])]
    kept = [np.array([[0.0, 0.0], [10.0, 10.0]]), np.array([[0.0, 0.0], [5.0, 5.0]])]
    sigma = calibrate(prior, predicted, kept, [0.5, 0.5])
    assert sigma[0] == pytest.approx(math.sqrt((2 * 3.125 + PRIOR_WEIGHT) / (2 + PRIOR_WEIGHT)))
    assert sigma[1] == pytest.approx(math.sqrt(PRIOR_WEIGHT * 4.0 / (1 + PRIOR_WEIGHT)))
    assert calibrate(prior, [], [], []).tolist() == prior.tolist()


@pytest.mark.parametrize("bad", [{"S": -1.0}, {"S": "1"}, {"S": float("inf")}, {"S": 1e9}, {}])
def test_a_damaged_table_is_refused(tmp_path, bad):
    path = tmp_path / "pe.json"
    text = json.dumps({"observer_sigma_mm": bad, "predicted_sigma_mm": {"S": 1.0}})
    path.write_text(text.replace("Infinity", "1e999"))
    with pytest.raises(AnalysisError, match="observer_sigma_mm"):
        load_model(path)
