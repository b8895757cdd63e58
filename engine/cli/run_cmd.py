"""``cc2d run``: the complete method, resumable, in one command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.cli.common import (
    add_device_argument,
    add_template_arguments,
    cancel_on_interrupt,
    print_progress,
    template_from_args,
)
from engine.data.images import list_images
from engine.device import pick_device
from engine.pipeline import PREDICTIONS, PROFILES, PipelineSettings, run_pipeline


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run", help="SSL → pseudo-labels → TPL → refinement → predictions (resumable)")
    run.add_argument("--images", type=Path, required=True, help="folder of radiographs")
    add_template_arguments(run, required=True)
    run.add_argument("--out", type=Path, required=True, help="run folder; resumed if present")
    add_training_arguments(run)
    add_device_argument(run)
    run.set_defaults(func=_run)


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """Profile and per-stage overrides, shared by ``run`` and ``bench-isbi``."""
    parser.add_argument("--profile", choices=PROFILES, default="full")
    for stage in ("ssl", "tpl", "refine"):
        parser.add_argument(f"--{stage}-steps", type=int, default=None,
                            help=f"{stage} training steps")
        parser.add_argument(f"--{stage}-time", type=float, default=None,
                            help=f"{stage} time budget (s)")
    parser.add_argument("--refine-labels", choices=("tpl", "pseudo"), default=None,
                        help="train the refinement on CC2D-TPL's predictions or the SSL labels")
    parser.add_argument("--no-refine", action="store_true",
                        help="skip the refinement stage: the coarse TPL points are final")
    parser.add_argument("--backbone-weights", default=None, help="none | imagenet | PATH")


def settings_from_args(args: argparse.Namespace) -> PipelineSettings:
    """Pipeline settings from the arguments :func:`add_training_arguments` defined."""
    stages = {}
    for stage in ("ssl", "tpl", "refine"):
        values = {"steps": getattr(args, f"{stage}_steps"),
                  "time_budget_s": getattr(args, f"{stage}_time"),
                  "backbone_weights": args.backbone_weights}
        stages[stage] = {k: v for k, v in values.items() if v is not None}
    if args.refine_labels:
        stages["refine"]["labels"] = args.refine_labels
    if args.no_refine:
        stages["refine"].update(steps=0, time_budget_s=0.0)
    return PipelineSettings(args.profile, stages["ssl"], stages["tpl"], stages["refine"])


def _run(args: argparse.Namespace) -> int:
    template = template_from_args(args)
    assert template is not None  # both arguments are required
    with cancel_on_interrupt() as cancel:
        record = run_pipeline(list_images(args.images), template, args.out,
                              settings_from_args(args), pick_device(args.device),
                              progress=print_progress, cancel=cancel)
    print(json.dumps(record["stages"], indent=2, default=str))
    print(f"predictions: {args.out / PREDICTIONS}")
    return 0
