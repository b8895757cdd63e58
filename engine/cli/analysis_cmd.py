"""``cc2d analyze`` (measurements and classes per image), ``cc2d analyses`` (what is on
offer and what a schema can compute) and ``cc2d bench-analysis`` (the ISBI challenge's
classification metric against the doctors)."""

from __future__ import annotations

import argparse
import datetime
import json
import platform
from pathlib import Path

import numpy as np

from engine.analysis import Analysis, BoundAnalysis, library, load_analysis
from engine.analysis.point_error import load_model
from engine.analysis.report import write_analysis_csv
from engine.atomic import atomic_write_text
from engine.cli.common import SPACING_HIGH, SPACING_LOW, check_output_file, number
from engine.data.landmarks import read_landmark_csv
from engine.errors import CC2DError
from engine.project.schema import DEFAULT_SCHEMA_ID, load_schema, shipped_schema_ids


def register(sub: argparse._SubParsersAction) -> None:
    an = sub.add_parser("analyze", help="cephalometric measurements and classes per image")
    an.add_argument("--pred", type=Path, required=True, help="landmark CSV (e.g. predictions)")
    an.add_argument("--out", type=Path, required=True, help="analysis CSV to write")
    _common(an, spacing_default=None)
    an.set_defaults(func=_analyze)

    ls = sub.add_parser("analyses", help="the analyses on offer (shipped and your own "
                        "folder) and which measurements a landmark schema can compute")
    ls.add_argument("--schema", default=DEFAULT_SCHEMA_ID,
                    help="a shipped schema id or a schema JSON file")
    ls.set_defaults(func=_list)

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
                        help="an analysis id on offer (see `cc2d analyses`) or an analysis "
                        "JSON file")
    parser.add_argument("--schema", default=None,
                        help="the landmark schema of the points (shipped id or JSON file; "
                        "default: the analysis' own, else the ISBI 2015 one): its codes "
                        "say which landmark is which")
    parser.add_argument("--spacing", type=number(positive=True, low=SPACING_LOW,
                                                 high=SPACING_HIGH), default=spacing_default,
                        help="mm per pixel" + (" (the ISBI copies: 0.2)" if spacing_default
                                               else "; without it lengths stay in pixels, "
                                               "unclassified"))
    parser.add_argument("--sigma", type=number(positive=True, low=0.001, high=100.0),
                        default=None,
                        help="every landmark's expected error in mm (per axis) for the "
                        "borderline check; default: a predicted point's, per landmark "
                        "(resources/point_error)")


def _analyze(args: argparse.Namespace) -> int:
    check_output_file(args.out, "--out", [args.pred])
    table = read_landmark_csv(args.pred)
    bound = _bound(load_analysis(args.analysis), args.schema, table.n_landmarks, args.pred)
    sigma = _sigma(bound, args.sigma)
    results = [(image, bound.measure(pts, args.spacing, sigma))
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
    tables = {name: read_landmark_csv(p) for name, p in zip(names, args.pred)}
    bound = _bound(load_analysis(args.analysis), args.schema,
                   tables[names[0]].n_landmarks, args.pred[0])
    for name, path in zip(names, args.pred):
        _check_count(tables[name].n_landmarks, bound, path)
    sigma = _sigma(bound, args.sigma)
    results = bench_analysis(bound, {n: (t, sigma) for n, t in tables.items()},
                             read_landmark_csv(truth_csv), args.spacing,
                             load_model().observer(bound.codes))
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


def _list(args: argparse.Namespace) -> int:
    schema = load_schema(args.schema)
    codes = [schema.label(i) for i in range(len(schema))]
    lib = library()
    print(f"schema {schema.id}: {len(schema)} landmarks")
    for analysis in lib.analyses:
        bound = analysis.bind(codes)
        print(f"{analysis.id}: {analysis.name} — {len(bound.computable)} of "
              f"{len(analysis.reported)} measurements")
        for m, lacking in bound.not_computable:
            print(f"    {m.name}: needs {', '.join(lacking)}")
    for problem in lib.problems:
        print(f"not used: {problem}")
    return 1 if lib.problems else 0


def _bound(analysis: Analysis, schema_spec: str | None, n_landmarks: int,
           path: Path) -> BoundAnalysis:
    """The analysis on ``--schema``, else on the first shipped schema with the file's
    landmark count (the analysis' own first)."""
    if schema_spec is None:
        candidates = [analysis.schema] if analysis.schema else []
        candidates += [s for s in shipped_schema_ids() if s not in candidates]
        schema_spec = next((s for s in candidates if len(load_schema(s)) == n_landmarks), None)
        if schema_spec is None:
            raise CC2DError(f"{path} has {n_landmarks} landmarks per image and no shipped "
                            "schema has as many; give its schema with --schema")
    schema = load_schema(schema_spec)
    bound = analysis.bind([schema.label(i) for i in range(len(schema))])
    if not bound.computable:
        raise CC2DError(f"schema {schema.id} has none of the points analysis "
                        f"'{analysis.id}' needs (it lacks "
                        f"{', '.join(sorted(bound.missing_codes))})")
    _check_count(n_landmarks, bound, path)
    return bound


def _sigma(bound: BoundAnalysis, sigma_mm: float | None) -> np.ndarray | float:
    return sigma_mm if sigma_mm is not None else load_model().predicted(bound.codes)


def _check_count(n_landmarks: int, bound: BoundAnalysis, path: Path) -> None:
    if n_landmarks != len(bound.codes):
        raise CC2DError(f"{path} has {n_landmarks} landmarks per image but the schema has "
                        f"{len(bound.codes)}; give the right --schema")
