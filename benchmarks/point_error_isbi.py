"""Measures the σ tables of ``engine.analysis.point_error`` on the ISBI 2015 training
split and writes them (with provenance) to resources/point_error/isbi2015.json:

- observer: per landmark, the senior − junior differences d; if each doctor errs
  independently with σ per axis, d has variance 2σ² per axis, so σ² = mean(dx² + dy²) / 4;
- predicted: per landmark, a one-template run's predictions p against the doctors' mean t
  on the training images other than the template: σ² = mean((p − t)x² + (p − t)y²) / 2.

    python benchmarks/point_error_isbi.py --data ../shared/data/isbi2015 \
        --pred RUN/predictions.csv --template 125.jpg --run "cc2d run ... --profile instant"
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import torch

from engine.atomic import atomic_write_text
from engine.bench.provenance import provenance
from engine.data.landmarks import read_landmark_csv
from engine.project.schema import load_schema

SPACING_MM = 0.2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--pred", type=Path, required=True, help="the run's predictions.csv")
    ap.add_argument("--template", required=True)
    ap.add_argument("--run", required=True, help="the command that made --pred")
    ap.add_argument("--out", type=Path, default=Path("resources/point_error/isbi2015.json"))
    args = ap.parse_args()
    truth = read_landmark_csv(args.data / "landmarks.csv")
    pred = read_landmark_csv(args.pred)
    with open(args.data / "landmarks.csv", newline="", encoding="utf-8") as f:
        split = {row["image"]: row["split"] for row in csv.DictReader(f)}
    train = sorted(img for img in truth.points
                   if split[img] == "train" and img != args.template)
    codes = [load_schema("isbi2015_cephalometric").label(i) for i in range(19)]
    senior = np.stack([np.stack([truth.values["senior_x"][i], truth.values["senior_y"][i]], 1)
                       for i in train])
    junior = np.stack([np.stack([truth.values["junior_x"][i], truth.values["junior_y"][i]], 1)
                       for i in train])
    mean = np.stack([truth.points[i] for i in train])
    p = np.stack([pred.points[i] for i in train])
    d_obs = ((senior - junior) * SPACING_MM) ** 2
    d_pred = ((p - mean) * SPACING_MM) ** 2
    observer = np.sqrt(d_obs.sum(axis=2).mean(axis=0) / 4)
    predicted = np.sqrt(d_pred.sum(axis=2).mean(axis=0) / 2)
    radial = np.sqrt(d_pred.sum(axis=2)).mean()
    out = {**provenance(torch.device("cpu"), command=" ".join(["python", *sys.argv])),
           "predictions_made_by": args.run, "images": len(train), "split": "train",
           "template": args.template, "spacing_mm": SPACING_MM,
           "note": "σ per axis in mm; codes of the ISBI schema. Predicted: the run's "
                   f"MRE on these images is {radial:.2f} mm.",
           "observer_sigma_mm": {c: round(float(v), 3) for c, v in zip(codes, observer)},
           "predicted_sigma_mm": {c: round(float(v), 3) for c, v in zip(codes, predicted)}}
    atomic_write_text(args.out, json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: out[k] for k in ("observer_sigma_mm", "predicted_sigma_mm")}))
    print(f"{len(train)} images; predicted MRE {radial:.2f} mm → {args.out}")


if __name__ == "__main__":
    main()
