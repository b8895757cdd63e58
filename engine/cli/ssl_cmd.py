"""``cc2d ssl train|predict`` and ``cc2d bench-ssl``."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from engine.cli.common import (
    add_device_argument,
    add_template_arguments,
    cancel_on_interrupt,
    check_output_file,
    check_output_folder,
    count,
    number,
    print_progress,
    template_from_args,
)
from engine.data.images import list_images
from engine.data.landmarks import write_landmark_csv
from engine.data.working_set import build_working_set
from engine.device import device_name, out_of_memory_as_error, pick_device
from engine.errors import CC2DError
from engine.run_folder import RunFolder
from engine.ssl.config import PROFILES, profile_config
from engine.ssl.predict import predict_ssl
from engine.ssl.run_files import load_template, save_template
from engine.ssl.train import load_reference_net, train_ssl
from engine.training import CONFIG


def register(sub: argparse._SubParsersAction) -> None:
    ssl = sub.add_parser("ssl", help="CC2D-SSL: self-supervised training and one-shot matching")
    ssl_sub = ssl.add_subparsers(dest="ssl_command", required=True)

    train = ssl_sub.add_parser("train", help="train the feature extractor on a folder")
    train.add_argument("--images", type=Path, required=True, help="folder of radiographs")
    add_template_arguments(train, required=False)
    train.add_argument("--out", type=Path, default=None, help="run folder (resumed if present)")
    train.add_argument("--profile", choices=list(PROFILES), default="full")
    train.add_argument("--steps", type=count(1), default=None)
    train.add_argument("--time-budget", type=number(positive=True), default=None,
                       dest="time_budget_s",
                       help="seconds of training; the learning-rate schedule ends with it")
    train.add_argument("--batch-size", type=count(1), default=None)
    train.add_argument("--image-size", type=count(32), default=None,
                       help="working grid side, a multiple of 32")
    train.add_argument("--lr", type=number(positive=True), default=None)
    train.add_argument("--seed", type=count(0), default=None)
    train.add_argument("--backbone-weights", default=None,
                       help="none (default), imagenet, or the path of a VGG19 state dict")
    add_device_argument(train)
    train.set_defaults(func=_train)

    pred = ssl_sub.add_parser("predict", help="locate the template's landmarks on images")
    pred.add_argument("--run", type=Path, required=True)
    pred.add_argument("--images", type=Path, required=True)
    pred.add_argument("--out", type=Path, required=True, help="predictions CSV")
    add_template_arguments(pred, required=False)
    pred.add_argument("--batch-size", type=count(1), default=8)
    add_device_argument(pred)
    pred.set_defaults(func=_predict)

    bench = sub.add_parser("bench-ssl", help="samples/s of the SSL training step")
    bench.add_argument("--profile", choices=list(PROFILES), default="full")
    bench.add_argument("--batch-size", type=count(1), default=None)
    bench.add_argument("--steps", type=count(1), default=20)
    bench.add_argument("--images", type=count(1), default=150, help="synthetic working-set size")
    add_device_argument(bench)
    bench.set_defaults(func=_bench)


def ssl_dir(run: Path) -> Path:
    """Accept a ``cc2d run`` folder (holding ssl/) or an SSL run folder itself."""
    ssl = RunFolder(run).ssl
    return ssl if (ssl / CONFIG).exists() else run


def _train(args: argparse.Namespace) -> int:
    template = template_from_args(args)
    try:
        config = profile_config(
            args.profile, steps=args.steps, time_budget_s=args.time_budget_s,
            batch_size=args.batch_size, image_size=args.image_size, lr=args.lr, seed=args.seed,
            backbone_weights=args.backbone_weights,
        )
    except ValueError as exc:  # the config's own consistency checks (multiples of 32, ...)
        raise CC2DError(f"these settings do not fit together: {exc}") from None
    out = args.out or Path("runs") / time.strftime("ssl-%Y%m%d-%H%M%S")
    check_output_folder(out, "--out")
    device = pick_device(args.device)
    paths = list_images(args.images)
    print(f"training CC2D-SSL on {len(paths)} images, device {device_name(device)}, run {out}")
    if template is not None:
        out.mkdir(parents=True, exist_ok=True)
        save_template(out, template)
    with cancel_on_interrupt() as cancel, out_of_memory_as_error(device, "SSL training"):
        data = build_working_set(paths, config.image_size, device, progress=print_progress,
                                 cancel=cancel)
        result = train_ssl(data, out, config, device, progress=print_progress, cancel=cancel)
    print(json.dumps(result.__dict__, indent=2))
    return 0


def _predict(args: argparse.Namespace) -> int:
    check_output_file(args.out, "--out")
    run = ssl_dir(args.run)
    device = pick_device(args.device)
    net, config = load_reference_net(run, device)
    template = template_from_args(args) or load_template(run)
    paths = list_images(args.images)
    data = build_working_set(paths, config.image_size, device, progress=print_progress)
    t0 = time.perf_counter()
    table = predict_ssl(net, data, template, config.window, device,
                        batch_size=args.batch_size, progress=print_progress)
    write_landmark_csv(args.out, table)
    print(f"wrote {args.out}: {len(paths)} images × {len(template.names)} landmarks "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from engine.bench.ssl_step import bench_ssl

    config = profile_config(args.profile, batch_size=args.batch_size)
    result = bench_ssl(config, pick_device(args.device), steps=args.steps, n_images=args.images)
    result["command"] = args.command_line
    print(json.dumps(result, indent=2))
    return 0
