"""``cc2d analyze`` (measurements and classes per image) and ``cc2d bench-analysis``
(the ISBI challenge's classification metric against the doctors)."""

from __future__ import annotations

import argparse
import datetime
import json
import platform
from pathlib import Path

from engine.analysis import load_analysis
from engine.analysis.report import write_analysis_csv
from engine.atomic import atomic_write_text
from engine.cli.common import SPACING_HIGH, SPACING_LOW, check_output_file, number
from engine.data.landmarks import read_landmark_csv
from engine.errors import CC2DError


def register(sub: argparse._SubParsersAction) -> None:
    an = sub.add_parser("analyze", help="cephalometric measurements and classes per image")
    an.add_argument("--pred", type=Path, required=True, help="landmark CSV (e.g. predictions)")
    an.add_argument("--out", type=Path, required=True, help="analysis CSV to write")
    _common(an, spacing_default=None)
    an.set_defaults(func=_analyze)

    bench = sub.add_parser("bench-analysis",
                           help="classification agreement with the doctors (ISBI 2015 task 2)")
    bench.add_argument("--data", type=Path, required=True, help="folder with landmarks.csv")
    bench.add_argument("--pred", type=Path, nargs="+", required=True,
                       help="one or more predictions CSVs (the first sets the images)")
    bench.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    _common(bench, spacing_default=0.2)
    bench.set_defaults(func=_bench)


def _common(parser: argparse.ArgumentParser, spacing_default: float | None) -> None:
    parser.add_argument("--analysis", default="isbi2015",
                        help="a shipped analysis id or an analysis JSON file")
    parser.add_argument("--spacing", type=number(positive=True, low=SPACING_LOW,
                                                 high=SPACING_HIGH), default=spacing_default,
                        help="mm per pixel" + (" (the ISBI copies: 0.2)" if spacing_default
                                               else "; without it lengths stay in pixels, "
                                               "unclassified"))
    parser.add_argument("--sigma", type=number(positive=True, low=0.001, high=100.0),
                        default=2.0,
                        help="expected landmark error in mm for the borderline check")


def _analyze(args: argparse.Namespace) -> int:
    check_output_file(args.out, "--out", [args.pred])
    analysis = load_analysis(args.analysis)
    table = read_landmark_csv(args.pred)
    results = [(image, analysis.measure(pts, args.spacing, args.sigma))
               for image, pts in table.points.items()]
    n = write_analysis_csv(args.out, results)
    borderline = sum(r.borderline for _, rs in results for r in rs)
    print(f"{len(results)} image(s), {n} measurement(s) ({borderline} borderline) → {args.out}")
    if args.spacing is None:
        print("(no --spacing given: lengths are in pixels and not classified)")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from engine.analysis.benchmark import bench_analysis, format_table
    from engine.bench.provenance import git_commit

    truth_csv = args.data / "landmarks.csv"
    if not truth_csv.is_file():
        raise CC2DError(f"{args.data} has no landmarks.csv")
    if args.json:
        check_output_file(args.json, "--json", [truth_csv, *args.pred])
    names = [p.stem for p in args.pred]
    if len(set(names)) != len(names):
        raise CC2DError("two --pred files have the same name; rename one")
    results = bench_analysis(load_analysis(args.analysis),
                             {name: read_landmark_csv(p) for name, p in zip(names, args.pred)},
                             read_landmark_csv(truth_csv), args.spacing, args.sigma)
    results = {"command": args.command_line, "commit": git_commit(),
               "date": datetime.date.today().isoformat(),
               # No network runs here: the classes come from the prediction files, whose
               # names give the device that produced them.
               "device": f"cpu ({platform.processor() or platform.machine()}), analysis only",
               "predictions": [str(p) for p in args.pred], **results}
    print(format_table(results))
    if args.json:
        atomic_write_text(args.json, json.dumps(results, indent=2))
        print(f"results: {args.json}")
    return 0
