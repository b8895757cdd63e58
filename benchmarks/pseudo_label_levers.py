"""Benchmark: what matching levers do to CC2D-SSL pseudo-labels on ISBI 2015.

With the SSL network of a finished run trained on the 150 training images (it learns
without labels, so one network serves every variant), pseudo-labels of the training
images are scored against the doctors' mean at 0.2 mm/pixel (MRE ± std, SDR 2/2.5/3/4
mm), labelled images' own rows left out, for:
- cycle-consistent matching with 1 (plain cascade), 3, 5 … candidates (``--candidates``);
- the template plus k - 1 labelled training images matched together (``--k``; the same
  seeded order as ``cc2d bench-fewshot``), by their mean similarity or the medoid of
  their separate matches (``--fusion``);
and, for cycle matching, how well the back-match distance separates good points from
bad ones (MRE of the points under and over its median). Prints a table, writes JSON.

    .venv/bin/python benchmarks/pseudo_label_levers.py --ssl-run RUN_DIR \\
        --out benchmarks/results/pseudo_label_levers_cpu_<date>.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.atomic import atomic_write_text  # noqa: E402
from engine.bench.fewshot import labelled_order  # noqa: E402
from engine.bench.isbi import split_images, template_named  # noqa: E402
from engine.bench.provenance import provenance  # noqa: E402
from engine.data.landmarks import LandmarkTable, read_landmark_csv  # noqa: E402
from engine.data.template import Template  # noqa: E402
from engine.data.working_set import build_working_set  # noqa: E402
from engine.device import pick_device  # noqa: E402
from engine.metrics import evaluate  # noqa: E402
from engine.run_folder import RunFolder  # noqa: E402
from engine.ssl.config import SSLConfig  # noqa: E402
from engine.ssl.predict import predict_ssl  # noqa: E402
from engine.ssl.train import load_reference_net  # noqa: E402

SPACING_MM = 0.2


def _row(pred: LandmarkTable, truth: LandmarkTable, leave_out: list[str]) -> dict[str, Any]:
    kept = LandmarkTable(pred.names, {k: v for k, v in pred.points.items() if k not in leave_out})
    ev = evaluate(kept, truth, SPACING_MM)
    return {"mre": ev.mre, "std": ev.std, "sdr": ev.sdr, "n_images": ev.n_images}


def _split_by_cycle(pred: LandmarkTable, truth: LandmarkTable, leave_out: list[str]
                    ) -> dict[str, float]:
    errors, cycle = [], []
    for key, pts in pred.points.items():
        if key in leave_out:
            continue
        errors.append(np.linalg.norm(pts - truth.points[key], axis=1) * SPACING_MM)
        cycle.append(pred.values["cycle_px"][key] * SPACING_MM)
    e, c = np.concatenate(errors), np.concatenate(cycle)
    low = c <= np.median(c)
    far = e > 4.0
    return {"median_cycle_mm": float(np.median(c)), "mre_cycle_below_median": float(e[low].mean()),
            "mre_cycle_above_median": float(e[~low].mean()),
            "share_over_4mm_below": float(far[low].mean() * 100),
            "share_over_4mm_above": float(far[~low].mean() * 100)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/isbi2015")
    parser.add_argument("--ssl-run", type=Path, required=True, help="run folder with ssl/")
    parser.add_argument("--template", default="125")
    parser.add_argument("--candidates", default="1,3,5")
    parser.add_argument("--k", default="1,3,5,10")
    parser.add_argument("--fusion", default="mean,medoid", help="how k > 1 images combine")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    device = pick_device(args.device)
    truth = read_landmark_csv(args.data / "landmarks.csv")
    train = split_images(args.data, truth)["train"]
    template_path = next(p for p in train if template_named(args.template, p))
    template = Template.from_table(template_path, truth)
    order = labelled_order(train, template_path, args.seed)
    config = SSLConfig.load(RunFolder(args.ssl_run).ssl / "config.json")
    net, _ = load_reference_net(RunFolder(args.ssl_run).ssl, device)
    data = build_working_set(train, config.image_size, device)
    rows: list[dict[str, Any]] = []
    for candidates in (int(c) for c in args.candidates.split(",")):
        t0 = time.perf_counter()
        pred = predict_ssl(net, data, template, config.window, device, candidates=candidates)
        row = {"lever": f"cycle candidates={candidates}", "seconds": time.perf_counter() - t0,
               **_row(pred, truth, [template_path.name])}
        if candidates > 1:
            row["cycle_distance"] = _split_by_cycle(pred, truth, [template_path.name])
        rows.append(row)
    for k in (int(k) for k in args.k.split(",")):
        labelled = [template, *(Template.from_table(p, truth) for p in order[:k - 1])]
        for fusion in args.fusion.split(",") if k > 1 else ["mean"]:
            t0 = time.perf_counter()
            pred = predict_ssl(net, data, labelled, config.window, device, fusion=fusion)
            rows.append({"lever": f"labelled k={k} {fusion}",
                         "seconds": time.perf_counter() - t0,
                         **_row(pred, truth, [t.image.name for t in labelled])})
    for r in rows:
        sdr = " ".join(f"{r['sdr'][t]:6.2f}%" for t in ("2", "2.5", "3", "4"))
        extra = ""
        if "cycle_distance" in r:
            d = r["cycle_distance"]
            extra = (f"  | back-match ≤ median: MRE {d['mre_cycle_below_median']:.2f}, "
                     f">4 mm {d['share_over_4mm_below']:.1f}%; above: "
                     f"{d['mre_cycle_above_median']:.2f}, {d['share_over_4mm_above']:.1f}%")
        print(f"{r['lever']:<24} {r['mre']:6.2f} ± {r['std']:5.2f}  {sdr}  "
              f"{r['seconds']:5.1f} s{extra}")
    result = {**provenance(device, " ".join(["python", *sys.argv])),
              "ssl_run": str(args.ssl_run), "template": template_path.name,
              "set": "ISBI 2015 training images 001-150 (pseudo-labels; labelled rows left out)",
              "rows": rows}
    atomic_write_text(args.out, json.dumps(result, indent=2))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
