"""Classification agreement (SCR) with the ISBI doctors' classes, and how well the
borderline flag finds the misclassified measurements, for the issue's table:

1. Choosing the flag's probability on the training split: expert-exact points (the
   doctors' mean, a clinician's σ) and a one-template run's points (its prior σ) at
   each candidate threshold: flags per image, the share of misclassifications flagged
   and the share of flags needed.
2. test1 at the shipped threshold (``FLAG_PROBABILITY``): each run's points with its σ
   (a one-template run: the prior; after k reviewed images: calibrated on their errors,
   ``engine.analysis.point_error.calibrate``), next to the senior and junior doctors,
   and expert-exact test1 points' flags per image.

    python benchmarks/analysis_isbi.py --data ../shared/data/isbi2015 \
        --one NAME=PRED.csv ... --reviewed NAME=PRED.csv:K1PRED.csv:IMAGES ... --out R.json

``--one``: a one-template run's points; ``--reviewed``: a run after k reviewed images,
the one-template run's points on them (K1PRED) and the reviewed images (comma-separated,
the template first: it has no prediction and is skipped).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import torch

from engine.analysis import load_analysis
from engine.analysis.benchmark import bench_analysis, classify_all, compare_classes
from engine.analysis.point_error import calibrate, load_model
from engine.analysis.uncertainty import FLAG_PROBABILITY
from engine.atomic import atomic_write_text
from engine.bench.provenance import provenance
from engine.data.landmarks import LandmarkTable, read_landmark_csv
from engine.project.schema import load_schema

SPACING_MM = 0.2
THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
MW_RULE = ("MW classes follow the challenge's classification code (a public "
           "re-implementation quoting Wang et al. 2016, Table 2): C1 2-4.5 mm, C2 exactly "
           "0 mm, C4 over 4.5 mm, everything else below 2 mm (0-2 mm included) C3, so that "
           "SCR compares with the challenge's published figures.")


def subset(table: LandmarkTable, images: list[str]) -> LandmarkTable:
    return LandmarkTable(names=table.names, points={i: table.points[i] for i in images},
                         values={k: {i: v[i] for i in images if i in v}
                                 for k, v in table.values.items()})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--one", nargs="+", default=[], help="NAME=PRED.csv")
    ap.add_argument("--train-run", required=True,
                    help="a one-template run's predictions on the training images "
                    "(for choosing the threshold)")
    ap.add_argument("--reviewed", nargs="*", default=[], help="NAME=PRED.csv:K1PRED.csv:IMAGES")
    ap.add_argument("--analysis", default="isbi2015")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()

    truth = read_landmark_csv(args.data / "landmarks.csv")
    with open(args.data / "landmarks.csv", newline="", encoding="utf-8") as f:
        split = {row["image"]: row["split"] for row in csv.DictReader(f)}
    schema = load_schema("isbi2015_cephalometric")
    bound = load_analysis(args.analysis).bind([schema.label(i) for i in range(len(schema))])
    model = load_model()
    observer, prior = model.observer(bound.codes), model.predicted(bound.codes)
    train = sorted(i for i in truth.points if split[i] == "train" and i != "125.jpg")
    test = sorted(i for i in truth.points if split[i] == "test1")

    # 1. The threshold, on the training split.
    run = read_landmark_csv(Path(args.train_run))
    expert = classify_all(bound, {i: truth.points[i] for i in train}, SPACING_MM, observer)
    predicted = classify_all(bound, {i: run.points[i] for i in train}, SPACING_MM, prior)
    scan = {}
    for t in THRESHOLDS:
        exact = compare_classes(bound, expert, expert, t)
        pred = compare_classes(bound, expert, predicted, t)
        scan[str(t)] = {"expert_exact_flags_per_image": exact["flags_per_image"],
                        "one_template_run": {k: pred[k] for k in ("flags_per_image",
                                                                   "borderline")}}
        b = pred["borderline"]
        print(f"train t={t}: expert-exact {exact['flags_per_image']:.2f} flags/image; "
              f"run {pred['flags_per_image']:.2f} flags/image, "
              f"{_pct(b['share_of_misclassified_flagged'])} of misclassified flagged, "
              f"{_pct(b['share_of_flags_needed'])} of flags needed")

    # 2. test1 at the shipped threshold.
    preds: dict[str, tuple[LandmarkTable, np.ndarray]] = {}
    calibrations = {}
    for spec in args.one:
        name, path = spec.split("=", 1)
        preds[name] = (subset(read_landmark_csv(Path(path)), test), prior)
    for spec in args.reviewed:
        name, rest = spec.split("=", 1)
        path, k1_path, images = rest.split(":")
        reviewed = [i for i in images.split(",")[1:]]
        k1 = read_landmark_csv(Path(k1_path))
        sigma = calibrate(prior, [k1.points[i] for i in reviewed],
                          [truth.points[i] for i in reviewed], [SPACING_MM] * len(reviewed))
        calibrations[name] = {"reviewed_images": images.split(","),
                              "sigma_mm": dict(zip(bound.codes, np.round(sigma, 3).tolist()))}
        preds[name] = (subset(read_landmark_csv(Path(path)), test), sigma)
    results = bench_analysis(bound, preds, subset(truth, test), SPACING_MM, observer)
    for name, (table, _) in preds.items():   # each run's landmark error, for context
        radial = np.concatenate([np.hypot(*(table.points[i] - truth.points[i]).T)
                                 for i in test]) * SPACING_MM
        results["sources"][name]["mre_mm"] = [float(np.nanmean(radial)),
                                              float(np.nanstd(radial))]
    reference = classify_all(bound, {i: truth.points[i] for i in test}, SPACING_MM, observer)
    exact_test = compare_classes(bound, reference, reference)["flags_per_image"]
    per_image = [sum(p >= FLAG_PROBABILITY for _, p in reference[i].values()) for i in test]
    out = {**provenance(torch.device("cpu"), command=" ".join(["python", *sys.argv])),
           "mw_rule": MW_RULE, "flag_probability": FLAG_PROBABILITY,
           "threshold_scan_train": scan,
           "expert_exact_test1": {"flags_per_image": exact_test,
                                  "images_by_flag_count": np.bincount(per_image).tolist()},
           "calibrations": calibrations, **results}
    atomic_write_text(args.out, json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    from engine.analysis.benchmark import format_table
    print(format_table(results))
    print(f"expert-exact test1 points: {exact_test:.2f} flags per image "
          f"(images with 0, 1, 2, … flags: {np.bincount(per_image).tolist()})")
    print(f"→ {args.out}")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f} %"


if __name__ == "__main__":
    main()
