"""``cc2d run``: the whole method, resumable, in one command; ``cc2d predict`` with a run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.cli.common import (
    add_device_argument,
    add_template_arguments,
    cancel_on_interrupt,
    check_output_file,
    check_output_folder,
    count,
    labelled_from_args,
    number,
    print_progress,
    template_from_args,
)
from engine.data.images import list_images
from engine.data.landmarks import write_landmark_csv
from engine.device import pick_device
from engine.errors import CC2DError
from engine.pipeline import (
    FROM_INSTANT,
    PROFILE_INSTANT,
    PROFILES,
    PipelineSettings,
    default_profile,
    run_pipeline,
)
from engine.run_folder import RunFolder
from engine.run_predict import predict_images

if TYPE_CHECKING:
    import torch


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run", help="SSL → pseudo-labels → TPL → refinement → predictions (resumable)")
    run.add_argument("--images", type=Path, required=True, help="folder of radiographs")
    add_template_arguments(run, required=True)
    run.add_argument("--labelled", type=Path, default=None,
                     help="landmark CSV of more labelled images (e.g. corrected ones): each "
                          "of the images with all its landmarks trains as a template does")
    run.add_argument("--out", type=Path, required=True, help="run folder; resumed if present")
    add_training_arguments(run)
    add_device_argument(run)
    run.set_defaults(func=_run)

    pred = sub.add_parser("predict", help="landmarks on new images with a finished cc2d run")
    pred.add_argument("--run", type=Path, required=True, help="a finished cc2d run folder")
    pred.add_argument("--images", type=Path, required=True, help="image file or folder")
    pred.add_argument("--out", type=Path, required=True, help="predictions CSV (long format)")
    add_device_argument(pred)
    pred.set_defaults(func=_predict)


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """Profile and per-stage overrides, shared by ``run`` and ``bench-isbi``."""
    parser.add_argument("--profile", choices=PROFILES, default=None,
                        help="(default: full on a CUDA GPU, clinic otherwise) "
                             "instant: no training, pretrained features matched (about a "
                             "minute on a CPU for 300 images); clinic: a pretrained detector "
                             "trained on the instant matches (~15 min on a 2-core CPU); full: "
                             "the same at the paper's size (a GPU); paper: the paper's "
                             "networks trained from scratch (a GPU); quick: those smaller; "
                             "tiny: tests")
    for stage in ("ssl", "tpl", "refine"):
        skippable = stage == "refine"  # 0 refinement steps = no refinement
        parser.add_argument(f"--{stage}-steps", type=count(0 if skippable else 1), default=None,
                            help=f"{stage} training steps")
        parser.add_argument(f"--{stage}-time", type=number(positive=not skippable),
                            default=None, help=f"{stage} time budget (s)")
    parser.add_argument("--no-refine", action="store_true",
                        help="skip the refinement stage: the coarse TPL points are final "
                             "(off by default in the full profile; --refine-time S turns it on)")
    parser.add_argument("--backbone-weights", default=None, help="none | imagenet | PATH")
    parser.add_argument("--cycle-candidates", type=count(1, 64), default=None,
                        help="match pseudo-labels cycle-consistently among this many "
                             "candidates per landmark (1: the plain cascade)")
    parser.add_argument("--seed", type=count(0, 2**31 - 1), default=None,
                        help="seed of every stage's sampling and initialisation (default 0)")
    parser.add_argument("--pseudo-keep", type=number(positive=True, low=0.01, high=1.0),
                        default=None,
                        help="share (0.01-1) of each landmark's pseudo-labels the detector "
                             "learns from, the most trusted ones (default 1: all)")


def settings_from_args(args: argparse.Namespace, device: torch.device) -> PipelineSettings:
    """Pipeline settings from the arguments :func:`add_training_arguments` defined; without
    ``--profile``, the one for ``device``."""
    if args.profile is None:
        args.profile = default_profile(device)
    if args.profile == PROFILE_INSTANT:
        given = [f"--{name.replace('_', '-')}" for name in _TRAINING_OPTIONS
                 if getattr(args, name) not in (None, False)]
        if given:
            raise CC2DError(f"{', '.join(given)}: the instant profile trains nothing; leave "
                            "them out or choose a training profile")
        return PipelineSettings(PROFILE_INSTANT, instant=None if args.seed is None
                                else {"seed": args.seed})
    from_instant = args.profile in FROM_INSTANT
    if from_instant:
        given = [f"--{name.replace('_', '-')}" for name in _SSL_OPTIONS
                 if getattr(args, name) is not None]
        if given:
            raise CC2DError(f"{', '.join(given)}: the {args.profile} profile trains no SSL "
                            "network (its pseudo-labels come from pretrained features); "
                            "leave them out or choose the paper or quick profile")
    stages: dict[str, dict[str, Any]] = {"instant": {} if args.seed is None
                                         else {"seed": args.seed}}
    for stage in ("ssl", "tpl", "refine"):
        values = {"steps": getattr(args, f"{stage}_steps"),
                  "time_budget_s": getattr(args, f"{stage}_time"),
                  "backbone_weights": args.backbone_weights, "seed": args.seed}
        stages[stage] = {k: v for k, v in values.items() if v is not None}
    if args.cycle_candidates is not None:
        stages["ssl"]["cycle_candidates"] = args.cycle_candidates
    if args.pseudo_keep is not None:
        if args.pseudo_keep > 1:
            raise CC2DError(f"--pseudo-keep {args.pseudo_keep:g}: give a share from 0 to 1")
        stages["instant" if from_instant else "ssl"]["pseudo_keep"] = args.pseudo_keep
    if args.no_refine:
        stages["refine"].update(steps=0, time_budget_s=0.0)
    if from_instant:
        return PipelineSettings(args.profile, None, stages["tpl"], stages["refine"],
                                stages["instant"])
    return PipelineSettings(args.profile, stages["ssl"], stages["tpl"], stages["refine"])


_SSL_OPTIONS = ("ssl_steps", "ssl_time", "cycle_candidates")


_TRAINING_OPTIONS = ("ssl_steps", "ssl_time", "tpl_steps", "tpl_time", "refine_steps",
                     "refine_time", "no_refine", "backbone_weights", "cycle_candidates",
                     "pseudo_keep")


def _run(args: argparse.Namespace) -> int:
    check_output_folder(args.out, "--out")
    template = template_from_args(args)
    assert template is not None  # both arguments are required
    images = list_images(args.images)
    labelled = labelled_from_args(args.labelled, images, template) if args.labelled else []
    device = pick_device(args.device)
    with cancel_on_interrupt() as cancel:
        record = run_pipeline(images, template, args.out, settings_from_args(args, device),
                              device, labelled=labelled,
                              progress=print_progress, cancel=cancel)
    print(json.dumps(record["stages"], indent=2, default=str))
    for item in record.get("skipped_images", []):
        print(f"skipped {item['image']}: {item['reason']}", file=sys.stderr)
    print(f"predictions: {RunFolder(args.out).predictions}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    check_output_file(args.out, "--out")   # before listing anything
    paths = [args.images] if args.images.is_file() else list_images(args.images)
    run_files = [p for p in Path(args.run).rglob("*") if p.is_file()] if Path(
        args.run).is_dir() else []
    check_output_file(args.out, "--out", [*paths, *run_files])
    skipped: list[tuple[Path, str]] = []
    with cancel_on_interrupt() as cancel:
        table = predict_images(args.run, paths, pick_device(args.device), skipped=skipped,
                               progress=print_progress, cancel=cancel)
    for path, reason in skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    write_landmark_csv(args.out, table)
    print(f"predictions: {args.out} ({len(table.points)} images)")
    return 0
