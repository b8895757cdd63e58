"""``cc2d evaluate``: MRE ± std and SDR of predictions against ground truth."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.atomic import atomic_write_text
from engine.cli.common import SPACING_HIGH, SPACING_LOW, check_output_file, number
from engine.data.landmarks import LandmarkTable, read_landmark_csv
from engine.errors import LandmarkFileError
from engine.metrics import evaluate, format_evaluation


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("evaluate", help="compare predictions with ground truth")
    ev.add_argument("--pred", type=Path, required=True, help="predictions CSV")
    ev.add_argument("--truth", type=Path, required=True, help="ground-truth CSV")
    ev.add_argument("--spacing", type=number(positive=True, low=SPACING_LOW, high=SPACING_HIGH),
                    default=None,
                    help="mm per pixel; without it errors are reported in pixels")
    ev.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    ev.add_argument("--ignore-names", action="store_true",
                    help="compare landmarks by number even where the two files name them "
                         "differently")
    ev.set_defaults(func=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    if args.json:
        check_output_file(args.json, "--json", [args.pred, args.truth])
    pred, truth = read_landmark_csv(args.pred), read_landmark_csv(args.truth)
    if not args.ignore_names:
        _same_landmarks(pred, truth, args.pred, args.truth)
    result = evaluate(pred, truth, args.spacing)
    print(format_evaluation(result))
    if result.unit == "px":
        print("(no --spacing given: errors are in pixels)")
    if args.json:
        atomic_write_text(args.json, json.dumps(result.to_dict(), indent=2))
    return 0


def _same_landmarks(pred: LandmarkTable, truth: LandmarkTable, pred_path: Path,
                    truth_path: Path) -> None:
    """Refuse files that name landmark numbers differently (case and spaces aside): the
    score would compare one point with another. A file without names (``L1``…) fits any."""
    def named(name: str, number: int) -> str | None:
        return None if name == f"L{number}" else name.strip().casefold()

    differ = [(i + 1, a, b) for i, (a, b) in enumerate(zip(pred.names, truth.names))
              if None not in (named(a, i + 1), named(b, i + 1))
              and named(a, i + 1) != named(b, i + 1)]
    if differ:
        shown = "; ".join(f"{n}: '{a}' against '{b}'" for n, a, b in differ[:5])
        more = f" and {len(differ) - 5} more" if len(differ) > 5 else ""
        raise LandmarkFileError(
            f"{pred_path} and {truth_path} name {len(differ)} landmark number(s) differently "
            f"({shown}{more}); check that both use the same landmark order, or pass "
            "--ignore-names to compare by number anyway")
