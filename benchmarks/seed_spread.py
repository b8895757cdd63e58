"""Mean ± sd across seeds of bench-isbi results (one JSON per seed, one template each).

    python benchmarks/seed_spread.py --out SPREAD.json seed0.json seed1.json seed2.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROWS = ("ours instant", "ours SSL", "ours TPL", "ours TPL+refine",
        "train pseudo-labels (instant)", "train pseudo-labels (SSL)", "train TPL")


def spread(results: list[dict]) -> dict:
    """Per row present in every run: each seed's MRE and SDRs, and their mean and sd."""
    per = [r["templates"][0] for r in results]
    out: dict = {}
    for row in ROWS:
        if not all(row in t for t in per):
            continue
        mre = np.array([t[row]["mre"] for t in per])
        sdr = {th: np.array([t[row]["sdr"][th] for t in per]) for th in ("2", "2.5", "3", "4")}
        out[row] = {"mre_per_seed": mre.tolist(), "mre_mean": float(mre.mean()),
                    "mre_sd": float(mre.std(ddof=1)) if len(mre) > 1 else None,
                    "sdr_mean": {th: float(v.mean()) for th, v in sdr.items()},
                    "sdr_sd": {th: float(v.std(ddof=1)) if len(v) > 1 else None
                               for th, v in sdr.items()}}
    walls = np.array([t["pipeline_wall_s"] for t in per])
    out["pipeline_wall_s"] = {"per_seed": walls.tolist(), "mean": float(walls.mean()),
                              "max": float(walls.max())}
    if all("tpl_predict_s_per_image" in t for t in per):
        out["tpl_predict_s_per_image"] = [t["tpl_predict_s_per_image"] for t in per]
        out["test1_load_s_per_image"] = [t["test1_load_s"] / t["ours TPL"]["n_images"]
                                         for t in per]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("results", type=Path, nargs="+")
    args = parser.parse_args()
    results = [json.loads(p.read_text()) for p in args.results]
    first = results[0]
    summary = {key: first.get(key) for key in ("device", "commit", "date", "environment",
                                               "profile")}
    summary.update(seeds=[str(p) for p in args.results], **spread(results))
    args.out.write_text(json.dumps(summary, indent=2))
    for row in ROWS:
        if row in summary:
            s = summary[row]
            sdr = " / ".join(f"{s['sdr_mean'][t]:.1f}" for t in ("2", "2.5", "3", "4"))
            print(f"{row:<32} MRE {s['mre_mean']:.2f} ± {s['mre_sd'] or 0:.2f} mm (seeds), "
                  f"SDR {sdr} %")
    print(f"pipeline wall {summary['pipeline_wall_s']['mean']:.0f} s mean, "
          f"{summary['pipeline_wall_s']['max']:.0f} s max; {args.out}")


if __name__ == "__main__":
    main()
