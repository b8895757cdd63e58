"""Levers of the instant stage, decided on ISBI's training split, never on test1.

The instant stage trains nothing and is deterministic, so the repeats that separate a
lever from noise are templates, not seeds: every setting is scored with each of several
templates on the other 149 training images (their labels are used only to score; the
protocol allows that for pseudo-label quality), and a lever is judged on the mean ± sd
over templates. Features are cached once for all settings.

    python benchmarks/instant_levers.py --data ../shared/data/isbi2015 \
        --out benchmarks/results/instant_levers_cpu_DATE.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.atomic import atomic_write_text  # noqa: E402
from engine.bench.isbi import split_images, template_named  # noqa: E402
from engine.bench.provenance import provenance  # noqa: E402
from engine.data.image_keys import image_keys  # noqa: E402
from engine.data.landmarks import read_landmark_csv  # noqa: E402
from engine.data.template import Template  # noqa: E402
from engine.device import pick_device  # noqa: E402
from engine.instant.config import InstantConfig  # noqa: E402
from engine.instant.features import FeatureCache, FeatureExtractor  # noqa: E402
from engine.instant.predict import instant_grid, predict_instant  # noqa: E402
from engine.metrics import evaluate  # noqa: E402

# Each setting: InstantConfig overrides.
SETTINGS: dict[str, dict] = {
    "default": {},
    "temperature 0.2": {"temperature": 0.2},
    "temperature 0.05": {"temperature": 0.05},
    "inlier 0.03 (first default)": {"inlier_share": 0.03},
    "re-search 0.066 (first default)": {"research_share": 0.066},
    "first defaults (inlier 0.03 + re-search 0.066)": {"inlier_share": 0.03,
                                                       "research_share": 0.066},
    "inlier 0.06": {"inlier_share": 0.06},
    "re-search 0.03": {"research_share": 0.03},
    "no shape check": {"shape_check": False},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--templates", default="125,009,050")
    parser.add_argument("--settings", default=",".join(SETTINGS), help="comma-separated names")
    parser.add_argument("--cache", type=Path, default=None, help="feature cache folder")
    parser.add_argument("--spacing", type=float, default=0.2)
    args = parser.parse_args()
    device = pick_device("cpu")
    truth = read_landmark_csv(args.data / "landmarks.csv")
    train = split_images(args.data, truth)["train"]
    keys = dict(zip(train, image_keys(train)))
    templates = [Template.from_table(next(p for p in train if template_named(t, p)), truth)
                 for t in args.templates.split(",")]
    cache_dir = args.cache or args.out.parent / f"{args.out.stem}-features"
    rows = []
    for name in args.settings.split(","):
        config = InstantConfig(**SETTINGS[name])
        cache = FeatureCache(cache_dir, FeatureExtractor(instant_grid(templates[0], config),
                                                         device))
        per = []
        for template in templates:
            others = [p for p in train if p != template.image]
            t0 = time.perf_counter()
            pred = predict_instant(cache, others, [keys[p] for p in others], [template], config)
            ev = evaluate(pred, truth, args.spacing)
            per.append({"template": template.image.name, "mre": ev.mre, "std": ev.std,
                        "sdr": ev.sdr, "seconds": time.perf_counter() - t0})
        mres = np.array([r["mre"] for r in per])
        sdr2 = np.array([r["sdr"]["2"] for r in per])
        sdr4 = np.array([r["sdr"]["4"] for r in per])
        rows.append({"setting": name, "overrides": SETTINGS[name],
                     "mre_mean": float(mres.mean()), "mre_sd": float(mres.std(ddof=1)),
                     "sdr2_mean": float(sdr2.mean()), "sdr4_mean": float(sdr4.mean()),
                     "per_template": per})
        print(f"{name:<20} MRE {mres.mean():.3f} ± {mres.std(ddof=1):.3f} mm over templates "
              f"({', '.join(f'{m:.2f}' for m in mres)}); SDR@2 {sdr2.mean():.1f} %, "
              f"@4 {sdr4.mean():.1f} %", flush=True)
    result = {**provenance(device, " ".join(["python", *sys.argv])),
              "protocol": "each template matched on the other 149 ISBI training images; "
                          "test1 unused", "spacing_mm": args.spacing, "results": rows}
    atomic_write_text(args.out, json.dumps(result, indent=2, default=str))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
