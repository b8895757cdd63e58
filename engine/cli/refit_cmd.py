"""``cc2d refit``: a finished run improved with corrected images, without training afresh."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.cli.common import (
    add_device_argument,
    cancel_on_interrupt,
    check_output_folder,
    labelled_from_args,
    print_progress,
)
from engine.data.images import list_images
from engine.device import pick_device
from engine.refit import refit
from engine.run_folder import RunFolder
from engine.ssl.run_files import load_template


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "refit", help="improve a finished run with corrected images (reuses its SSL network, "
                      "fine-tunes its detector, predicts every image again)")
    cmd.add_argument("--run", type=Path, required=True, help="a finished cc2d run folder")
    cmd.add_argument("--labels", type=Path, required=True,
                     help="landmark CSV of corrected images (each one with all its landmarks "
                          "is used; others are listed and left out)")
    cmd.add_argument("--out", type=Path, required=True, help="the new run folder")
    cmd.add_argument("--images", type=Path, default=None,
                     help="image folder to predict (default: the run's own images)")
    add_device_argument(cmd)
    cmd.set_defaults(func=_refit)


def _refit(args: argparse.Namespace) -> int:
    check_output_folder(args.out, "--out")
    previous = RunFolder(args.run)
    record = previous.read_record()
    template = load_template(previous.root)
    images = (list_images(args.images) if args.images is not None
              else [Path(p) for p in record.get("image_keys", {}).values()])
    labelled = labelled_from_args(args.labels, images, template)
    with cancel_on_interrupt() as cancel:
        done = refit(previous.root, args.out, labelled, pick_device(args.device),
                     images=images, progress=print_progress, cancel=cancel)
    print(json.dumps({k: v for k, v in done["stages"].items()
                      if k in ("pseudo_labels", "tpl_train", "tpl_predict", "predict")},
                     indent=2, default=str))
    for item in done.get("skipped_images", []):
        print(f"skipped {item['image']}: {item['reason']}", file=sys.stderr)
    print(f"predictions: {RunFolder(args.out).predictions}")
    return 0
