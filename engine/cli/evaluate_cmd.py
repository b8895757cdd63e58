"""``cc2d evaluate``: MRE ± std and SDR of predictions against ground truth."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.atomic import atomic_write_text
from engine.cli.common import SPACING_HIGH, SPACING_LOW, check_output_file, number
from engine.data.landmarks import read_landmark_csv
from engine.metrics import evaluate, format_evaluation


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("evaluate", help="compare predictions with ground truth")
    ev.add_argument("--pred", type=Path, required=True, help="predictions CSV")
    ev.add_argument("--truth", type=Path, required=True, help="ground-truth CSV")
    ev.add_argument("--spacing", type=number(positive=True, low=SPACING_LOW, high=SPACING_HIGH),
                    default=None,
                    help="mm per pixel; without it errors are reported in pixels")
    ev.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    ev.set_defaults(func=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    if args.json:
        check_output_file(args.json, "--json", [args.pred, args.truth])
    result = evaluate(read_landmark_csv(args.pred), read_landmark_csv(args.truth), args.spacing)
    print(format_evaluation(result))
    if result.unit == "px":
        print("(no --spacing given: errors are in pixels)")
    if args.json:
        atomic_write_text(args.json, json.dumps(result.to_dict(), indent=2))
    return 0
