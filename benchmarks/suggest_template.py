"""Benchmark: is the suggested template (``engine.suggest``) a good one on ISBI 2015?

Ranks the 150 training images with ``rank_templates`` (timed), then, for the suggested
template, the 2nd and 3rd ranked, the last ranked and ``--random`` seeded random templates
(``--all``: every training image), computes CC2D-SSL pseudo-labels on the 150 training
images with the SSL network of a finished run and scores them against the doctors' mean
labels at 0.2 mm/pixel (MRE ± std, SDR 2/2.5/3/4 mm), the template's own row left out.
The SSL network learns without labels, so one network serves every template; what differs
is only which image's landmarks are matched. Reports where the suggestion's MRE falls
among the random templates (and, with ``--all``, among all 150, with the rank correlation
between the ranking's score and the MRE).

    .venv/bin/python benchmarks/suggest_template.py --data ../shared/data/isbi2015 \\
        --ssl-run RUN_DIR --out benchmarks/results/suggest_template_<device>_<date>.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.atomic import atomic_write_text  # noqa: E402
from engine.bench.isbi import split_images  # noqa: E402
from engine.bench.provenance import provenance  # noqa: E402
from engine.cli.common import check_output_file, count  # noqa: E402
from engine.data.landmarks import LandmarkTable, read_landmark_csv  # noqa: E402
from engine.data.template import Template  # noqa: E402
from engine.data.working_set import WorkingSet, build_working_set  # noqa: E402
from engine.device import pick_device  # noqa: E402
from engine.errors import CC2DError  # noqa: E402
from engine.metrics import evaluate  # noqa: E402
from engine.run_folder import RunFolder  # noqa: E402
from engine.ssl.predict import predict_ssl  # noqa: E402
from engine.ssl.train import load_reference_net  # noqa: E402
from engine.suggest import (  # noqa: E402
    BLUR_SIGMA,
    THUMB_SIDE,
    TRIM,
    TemplateRanking,
    rank_templates,
)

SPACING_MM = 0.2  # the ISBI 2015 cephalograms' pixel spacing
THRESHOLDS = ("2", "2.5", "3", "4")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/isbi2015",
                        help="folder with landmarks.csv (split column) and images/")
    parser.add_argument("--ssl-run", type=Path, required=True,
                        help="a finished `cc2d run` folder (its ssl/) or `cc2d ssl train` "
                             "folder, trained on the training images")
    parser.add_argument("--random", type=count(0), default=10,
                        help="random templates to compare with (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random templates")
    parser.add_argument("--all", action="store_true",
                        help="score every training image as the template")
    parser.add_argument("--device", default=None, help="cuda, cuda:N or cpu")
    parser.add_argument("--out", type=Path, required=True, help="JSON to write")
    return parser.parse_args(argv)


def candidates(ranking: TemplateRanking, train: list[Path], n_random: int, seed: int,
               every: bool) -> dict[Path, list[str]]:
    """Template → its roles ("suggested", "rank 2", "random", ...), in the order to run."""
    ranked = [r.path for r in ranking.ranked]
    roles: dict[Path, list[str]] = {}
    for role, path in (("suggested", ranked[0]), ("rank 2", ranked[1]), ("rank 3", ranked[2]),
                       ("last", ranked[-1])):
        roles.setdefault(path, []).append(role)
    rng = np.random.default_rng(seed)
    # Drawn from all training images, independently of the ranking: a fair baseline.
    for k in rng.choice(len(train), size=min(n_random, len(train)), replace=False):
        roles.setdefault(train[int(k)], []).append("random")
    if every:
        for path in train:
            roles.setdefault(path, [])
    return roles


def score_template(net: Any, data: WorkingSet, template_path: Path, truth: LandmarkTable,
                   window: int, device: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    template = Template.from_table(template_path, truth)
    pred = predict_ssl(net, data, template, window, device)
    own = data.keys[data.paths.index(template_path)]
    del pred.points[own]  # the template's own landmarks are given, not predicted
    pred.values["confidence"].pop(own, None)
    ev = evaluate(pred, truth, spacing_mm=SPACING_MM)
    return {"mre": ev.mre, "std": ev.std, "sdr": ev.sdr, "n_images": ev.n_images,
            "n_missed": ev.n_missed, "seconds": time.perf_counter() - t0}


def rank_correlation(a: list[float], b: list[float]) -> float:
    """Spearman's ρ (the values are continuous: no ties to share ranks)."""
    ra, rb = (np.argsort(np.argsort(v)) for v in (a, b))
    return float(np.corrcoef(ra, rb)[0, 1])


def summary(rows: list[dict[str, Any]], every: bool) -> dict[str, Any]:
    """Where the suggestion's MRE falls among the random templates (and all of them)."""
    suggested = next(r for r in rows if "suggested" in r["roles"])
    out: dict[str, Any] = {"suggested": suggested["template"], "suggested_mre": suggested["mre"]}
    for name, pool in (("random", [r for r in rows if "random" in r["roles"]]),
                       ("all", rows if every else [])):
        mres = [r["mre"] for r in pool]
        if not mres:
            continue
        worse = sum(m > suggested["mre"] for m in mres)
        out[name] = {"n": len(mres), "median_mre": float(np.median(mres)),
                     "best_mre": min(mres), "worst_mre": max(mres),
                     "worse_than_suggested": worse,
                     "percent_worse": 100.0 * worse / len(mres)}
    if every:
        out["all"]["spearman_score_vs_mre"] = rank_correlation(
            [r["score"] for r in rows], [r["mre"] for r in rows])
    return out


def format_row(r: dict[str, Any]) -> str:
    sdr = " ".join(f"{r['sdr'][t]:>6.2f}%" for t in THRESHOLDS)
    return (f"{','.join(r['roles']) or '-':<20.20} {r['template']:<16.16} {r['rank']:>4} "
            f"{r['score']:>7.4f} {r['mre']:>7.2f} ± {r['std']:<6.2f} {sdr} {r['seconds']:>6.1f}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_output_file(args.out, "--out")
    command = " ".join(["benchmarks/suggest_template.py", *(sys.argv[1:] if argv is None
                                                             else argv)])
    device = pick_device(args.device)
    run = RunFolder(args.ssl_run)
    ssl_dir = run.ssl if run.ssl.is_dir() else run.root  # else a `cc2d ssl train` folder
    # What the SSL network was trained on, for the record (a `cc2d run` folder says).
    record = json.loads(run.run_json.read_text()) if run.run_json.is_file() else {}
    net, cfg = load_reference_net(ssl_dir, device)  # first: a wrong folder fails at once
    truth = read_landmark_csv(args.data / "landmarks.csv")
    train = split_images(args.data, truth)["train"]
    ranking = rank_templates(train)
    if ranking.skipped or len(ranking.ranked) < 4:
        raise CC2DError(f"ranking needs 4+ readable training images; skipped: {ranking.skipped}")
    print(f"ranked {len(ranking.ranked)} images in {ranking.seconds:.2f} s; top 5: "
          + ", ".join(r.path.name for r in ranking.ranked[:5]), flush=True)
    data = build_working_set(train, cfg.image_size, device)
    position = {r.path: (k, r.score) for k, r in enumerate(ranking.ranked, start=1)}
    print(f"{'role':<20} {'template':<16} {'rank':>4} {'score':>7} {'MRE ± std (mm)':>16} "
          + " ".join(f"{t + 'mm':>7}" for t in THRESHOLDS) + f" {'s':>6}", flush=True)
    rows = []
    for path, roles in candidates(ranking, train, args.random, args.seed, args.all).items():
        rank, score = position[path]
        row = {"template": path.name, "roles": roles, "rank": rank, "score": score,
               **score_template(net, data, path, truth, cfg.window, device)}
        rows.append(row)
        print(format_row(row), flush=True)

    result = {**provenance(device, command), "data": str(args.data),
              "ssl_run": str(args.ssl_run), "ssl_run_images": record.get("n_images"),
              "ssl_run_template": record.get("template"), "ssl_config": asdict(cfg),
              "spacing_mm": SPACING_MM, "seed": args.seed,
              "ranking": {"seconds": ranking.seconds, "n_images": len(ranking.ranked),
                          "method": {"thumb_side": THUMB_SIDE, "blur_sigma": BLUR_SIGMA,
                                     "trim": TRIM},
                          "order": [[r.path.name, r.score] for r in ranking.ranked]},
              "templates": rows, "summary": summary(rows, args.all)}
    s = result["summary"]
    for name in ("random", "all"):
        if name in s:
            p = s[name]
            print(f"suggested {s['suggested']}: MRE {s['suggested_mre']:.2f} mm; worse than it: "
                  f"{p['worse_than_suggested']} of {p['n']} {name} templates "
                  f"({p['percent_worse']:.0f} %); their median {p['median_mre']:.2f} mm, "
                  f"best {p['best_mre']:.2f}, worst {p['worst_mre']:.2f}")
    if "all" in s:
        print(f"Spearman ρ (ranking score vs MRE, all): {s['all']['spearman_score_vs_mre']:.3f}")
    atomic_write_text(args.out, json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CC2DError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
