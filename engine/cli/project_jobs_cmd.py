"""``cc2d project train|improve PROJECT``: the app's Train and Improve, headless.

The same project jobs the app schedules (engine.project.jobs): a run recorded in the
project (``runs/<id>``), trained or refitted from the template and the reviewed images,
its predictions stored as one edit on the images still to review only. Ctrl-C saves a
checkpoint; the run is then recorded as cancelled and the app's Train resumes it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from engine.cli.common import add_device_argument, cancel_on_interrupt, print_progress
from engine.errors import CancelledError, ProjectError
from engine.project import Project, Run, RunState

TRAIN_PROFILES = ("clinic", "full", "paper", "quick", "tiny")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a detector on the template and the reviewed "
                                     "images; predict the images still to review")
    p.add_argument("folder", help="project folder")
    p.add_argument("--profile", choices=TRAIN_PROFILES, default=None,
                   help="default: full on a CUDA GPU, clinic otherwise")
    add_device_argument(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("improve", help="refit the newest finished run with the reviewed "
                                       "images; predict the images still to review")
    p.add_argument("folder", help="project folder")
    add_device_argument(p)
    p.set_defaults(func=cmd_improve)


def cmd_train(args: argparse.Namespace) -> int:
    from engine.device import pick_device
    from engine.pipeline import PipelineSettings, default_profile
    from engine.project.jobs import run_train, train_inputs

    device = pick_device(args.device)
    profile = args.profile or default_profile(device)
    with Project.open(args.folder) as project:
        inputs = train_inputs(project)
        run = project.add_run({"profile": profile, "device": args.device or "auto",
                               "template": str(inputs.template.image),
                               "n_images": len(inputs.images),
                               "n_labelled": len(inputs.labelled)})
        print(f"run {run.id} ({profile}) in {run.folder}: {len(inputs.images)} images, the "
              f"template and {len(inputs.labelled)} reviewed image(s)")
        return _run_job(project, run, lambda cancel: run_train(
            inputs, run.folder, PipelineSettings(profile), device, progress=print_progress,
            cancel=cancel), "trained detector")


def cmd_improve(args: argparse.Namespace) -> int:
    from engine.device import pick_device
    from engine.project.jobs import finished_run, run_improve, train_inputs

    with Project.open(args.folder) as project:
        base = finished_run(project)
        if base is None:
            raise ProjectError(f"{project.folder} has no finished run to improve; run "
                               "cc2d project train first")
        inputs = train_inputs(project)
        if not inputs.labelled:
            raise ProjectError("no reviewed image besides the template: correct and review "
                               "some predicted images first")
        device = pick_device(args.device)
        run = project.add_run({"refit_of": base.id, "profile": base.config.get("profile", "?"),
                               "device": args.device or "auto",
                               "template": str(inputs.template.image),
                               "n_images": len(inputs.images),
                               "n_labelled": len(inputs.labelled)},
                              name=f"refit of run {base.id}")
        print(f"run {run.id}: refit of run {base.id} with {len(inputs.labelled)} reviewed "
              "image(s)")
        return _run_job(project, run, lambda cancel: run_improve(
            base.folder, run.folder, inputs.labelled, inputs.images, device,
            progress=print_progress, cancel=cancel), "improved detector")


def _run_job(project: Project, run: Run,
             work: Callable[[Any], tuple[dict[str, Any], Any]], label: str) -> int:
    """Run ``work`` for ``run``, keep its state in the project, store its predictions on
    the images still to review as one edit."""
    from engine.project.training import store_predictions

    project.update_run(run.id, state=RunState.RUNNING)
    try:
        with cancel_on_interrupt() as cancel:
            record, table = work(cancel)
    except CancelledError:
        project.update_run(run.id, state=RunState.CANCELLED)
        print(f"run {run.id} cancelled; its checkpoint is kept (the app's Train resumes it)")
        return 130
    except BaseException:
        project.update_run(run.id, state=RunState.FAILED)
        raise
    template = project.template()
    todo = [r.path for r in project.images()
            if r.status.value != "reviewed" and (template is None or r.id != template.id)]
    entry = store_predictions(project, table, todo, run_id=run.id, label=label)
    changed = len(project.touched_images(entry)) if entry is not None else 0
    project.update_run(run.id, state=RunState.FINISHED,
                       metrics={"stages": record.get("stages", {}), "images_updated": changed})
    print(f"run {run.id} finished: {changed} of {len(todo)} image(s) to review updated")
    return 0
