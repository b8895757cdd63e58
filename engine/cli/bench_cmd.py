"""``cc2d bench-isbi``, ``cc2d bench-fewshot`` and ``cc2d bench-infer``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.atomic import atomic_write_text
from engine.cli.common import SPACING_HIGH, SPACING_LOW, add_device_argument, number, print_progress
from engine.cli.run_cmd import add_training_arguments, settings_from_args
from engine.device import pick_device
from engine.errors import CC2DError
from engine.pipeline import PROFILE_INSTANT, PROFILES, default_profile


def register(sub: argparse._SubParsersAction) -> None:
    isbi = sub.add_parser("bench-isbi", help="the paper's Table 1 protocol on ISBI 2015 data")
    isbi.add_argument("--data", type=Path, required=True, help="folder with landmarks.csv, images/")
    isbi.add_argument("--out", type=Path, required=True, help="results JSON")
    isbi.add_argument("--templates", default="125", help="comma-separated template images")
    isbi.add_argument("--spacing", type=number(positive=True, low=SPACING_LOW, high=SPACING_HIGH),
                      default=0.2,
                      help="mm per pixel of the stored images (the data README: 0.2)")
    isbi.add_argument("--work", type=Path, default=None, help="run folders (default: beside --out)")
    isbi.add_argument("--save-predictions", type=Path, default=None,
                      help="folder for ssl_/cc2d_<device>_<date>.csv of the first template")
    add_training_arguments(isbi)
    add_device_argument(isbi)
    isbi.set_defaults(func=_isbi)

    few = sub.add_parser("bench-fewshot",
                         help="test1 figures with the template plus k - 1 labelled images")
    few.add_argument("--data", type=Path, required=True, help="folder with landmarks.csv, images/")
    few.add_argument("--out", type=Path, required=True, help="results JSON")
    few.add_argument("--template", default="125", help="the template image")
    few.add_argument("--k", default="1,3,5,10", help="comma-separated numbers of labelled images")
    few.add_argument("--modes", default="run,refit",
                     help="run (TPL from scratch) and/or refit (fine-tune the k = 1 run)")
    few.add_argument("--order-seed", type=int, default=0,
                     help="orders the images that get labelled")
    few.add_argument("--spacing", type=number(positive=True, low=SPACING_LOW, high=SPACING_HIGH),
                     default=0.2, help="mm per pixel")
    few.add_argument("--work", type=Path, default=None, help="run folders (default: beside --out)")
    add_training_arguments(few)
    add_device_argument(few)
    few.set_defaults(func=_fewshot)

    infer = sub.add_parser("bench-infer",
                           help="inference time (TPL + refinement) on a full-size image")
    infer.add_argument("--run", type=Path, default=None, help="a cc2d run folder (or its tpl/)")
    infer.add_argument("--profile", choices=[p for p in PROFILES if p != PROFILE_INSTANT],
                       default=None, help="default: full on a CUDA GPU, clinic otherwise")
    infer.add_argument("--size", default="1935x2400", help="WIDTHxHEIGHT of the image")
    infer.add_argument("--landmarks", type=int, default=19)
    infer.add_argument("--repeats", type=int, default=10)
    infer.add_argument("--batch-size", type=int, default=16)
    infer.add_argument("--no-refine", action="store_true", help="time the coarse detector only")
    add_device_argument(infer)
    infer.set_defaults(func=_infer)


def _isbi(args: argparse.Namespace) -> int:
    from engine.bench.isbi import format_table, run_benchmark

    work = args.work or args.out.parent / f"{args.out.stem}-runs"
    device = pick_device(args.device)
    results = run_benchmark(args.data, [t.strip() for t in args.templates.split(",")],
                            settings_from_args(args, device), work, device,
                            args.spacing, args.save_predictions, progress=print_progress,
                            command=args.command_line)
    atomic_write_text(args.out, json.dumps(results, indent=2, default=str))
    print(format_table(results))
    print(f"results: {args.out}")
    return 0


def _fewshot(args: argparse.Namespace) -> int:
    from engine.bench.fewshot import bench_fewshot, format_growth

    try:
        ks = [int(k) for k in args.k.split(",")]
    except ValueError:
        raise CC2DError(f"--k {args.k}: give whole numbers, e.g. 1,3,5,10") from None
    if min(ks) < 1:
        raise CC2DError("--k: each k is at least 1 (the template alone)")
    work = args.work or args.out.parent / f"{args.out.stem}-runs"
    device = pick_device(args.device)
    results = bench_fewshot(args.data, args.template, ks,
                            [m.strip() for m in args.modes.split(",")],
                            settings_from_args(args, device), work, device, args.spacing,
                            args.order_seed,
                            progress=print_progress, command=args.command_line)
    atomic_write_text(args.out, json.dumps(results, indent=2, default=str))
    print(format_growth(results))
    print(f"results: {args.out}")
    return 0


def _infer(args: argparse.Namespace) -> int:
    from engine.bench.infer import bench_infer
    from engine.refine.config import profile_config as refine_profile
    from engine.tpl.config import profile_config

    width, height = (int(v) for v in args.size.lower().split("x"))
    device = pick_device(args.device)
    profile = args.profile or default_profile(device)
    refine = None if args.no_refine else refine_profile(profile)
    result = bench_infer(profile_config(profile), device, run=args.run,
                         refine=refine, n_landmarks=args.landmarks, width=width, height=height,
                         repeats=args.repeats, batch_size=args.batch_size)
    result["command"] = args.command_line
    print(json.dumps(result, indent=2))
    return 0
