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
    run = sub.add_parser("run", help="SSL → pseudo-labels → TPL → predictions (resumable)")
    run.add_argument("--images", type=Path, required=True, help="folder of radiographs")
    add_template_arguments(run, required=True)
    run.add_argument("--out", type=Path, required=True, help="run folder; resumed if present")
    run.add_argument("--profile", choices=PROFILES, default="full")
    run.add_argument("--ssl-steps", type=int, default=None)
    run.add_argument("--tpl-steps", type=int, default=None)
    run.add_argument("--ssl-time", type=float, default=None, help="SSL time budget (s)")
    run.add_argument("--tpl-time", type=float, default=None, help="TPL time budget (s)")
    run.add_argument("--backbone-weights", default=None, help="none | imagenet | PATH")
    add_device_argument(run)
    run.set_defaults(func=_run)


def settings_from_args(args: argparse.Namespace) -> PipelineSettings:
    ssl = {"steps": args.ssl_steps, "time_budget_s": args.ssl_time,
           "backbone_weights": args.backbone_weights}
    tpl = {"steps": args.tpl_steps, "time_budget_s": args.tpl_time,
           "backbone_weights": args.backbone_weights}
    return PipelineSettings(args.profile, {k: v for k, v in ssl.items() if v is not None},
                            {k: v for k, v in tpl.items() if v is not None})


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
