"""``cc2d project``: create a project, add images, import/export landmarks, show status,
match (instant predictions)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.cli import project_jobs_cmd, project_measure_cmd
from engine.cli.common import add_device_argument, cancel_on_interrupt, print_progress
from engine.data.image_keys import names_image
from engine.errors import ProjectError
from engine.project import (
    LandmarkSource,
    Project,
    ReviewStatus,
    export,
    import_landmarks,
    load_schema,
)
from engine.project.export import missing_files
from engine.project.schema import DEFAULT_SCHEMA_ID, shipped_schema_ids

FORMATS = ("csv", "json", "slicer", "coco", "dicom-sr")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``project`` command and its sub-commands to the ``cc2d`` parser."""
    parser = subparsers.add_parser(
        "project",
        help="create and manage landmark projects",
        description="A project is a folder with project.sqlite; images stay where they are.",
    )
    sub = parser.add_subparsers(dest="project_command", required=True)

    p = sub.add_parser("create", help="create a new project folder")
    p.add_argument("folder", help="project folder (created if missing)")
    p.add_argument(
        "--schema", default=DEFAULT_SCHEMA_ID,
        help=f"shipped schema id ({', '.join(shipped_schema_ids()) or 'none'}) or a JSON file",
    )
    p.set_defaults(func=cmd_create)

    p = sub.add_parser(
        "add", help="add images (files or folders); exit code 1 if some could not be added"
    )
    p.add_argument("folder", help="project folder")
    p.add_argument("paths", nargs="+", help="image files or folders of images")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("import", help="import landmarks from a long CSV or a CC2D export")
    p.add_argument("folder", help="project folder")
    p.add_argument("file", help="CSV (image, landmark, name, x, y, ...) or CC2D CSV/JSON export")
    p.add_argument(
        "--source", default=LandmarkSource.CORRECTED.value,
        choices=[s.value for s in LandmarkSource],
        help="source recorded for points whose file names none (default: corrected)",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export landmarks (the project is opened read-only)")
    p.add_argument("folder", help="project folder")
    p.add_argument("out", help="output file (csv, json, coco) or folder (slicer)")
    p.add_argument("--format", choices=FORMATS, default="csv",
                   help="default: csv; dicom-sr: a DICOM measurement report per image "
                   "(and a Secondary Capture of a non-DICOM image) in the folder OUT")
    p.add_argument("--analysis", action="append", default=None,
                   help="dicom-sr: an analysis the reports hold (repeat; default: the "
                   "landmark schema's own, see `cc2d analyses`)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("template", help="choose the template image")
    p.add_argument("folder", help="project folder")
    p.add_argument("image", help="image id, file name or stem (e.g. 125.jpg or 125)")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("status", help="review counts, template, missing or changed files")
    p.add_argument("folder", help="project folder")
    p.add_argument(
        "--search", action="append", default=[], metavar="DIR",
        help="look for missing images under DIR (by content); repeatable",
    )
    p.add_argument("--relocate", action="store_true",
                   help="point each missing image found under --search at its new place "
                        "(one undoable edit each)")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("match", help="instant predictions on every image not yet reviewed, "
                                     "from the template and the reviewed images (no training)")
    p.add_argument("folder", help="project folder")
    add_device_argument(p)
    p.set_defaults(func=cmd_match)
    project_jobs_cmd.register(sub)
    project_measure_cmd.register(sub)


def cmd_create(args: argparse.Namespace) -> int:
    schema = load_schema(args.schema)
    with Project.create(args.folder, schema=schema) as project:
        print(f"created project {project.folder} with schema '{schema.name}' "
              f"({len(schema)} landmarks)")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    with Project.open(args.folder) as project:
        report = project.add_images(args.paths)
        print(report.summary())
        total = len(project.images())
    print(f"the project now holds {total} image(s)")
    return 1 if report.failed else 0


def cmd_import(args: argparse.Namespace) -> int:
    with Project.open(args.folder) as project:
        report = import_landmarks(project, args.file, source=args.source)
    print(report.summary())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with Project.open(args.folder, read_only=True) as project:
        paths = export(project, args.out, args.format, analyses=args.analysis)
        gone = missing_files(project)
    where = paths[0] if len(paths) == 1 else f"{len(paths)} files in {args.out}"
    print(f"exported {args.format} to {where}")
    if gone:
        print(f"warning: {len(gone)} image file(s) are missing (their landmarks were exported; "
              f"find and relocate them with: cc2d project status PROJECT --search FOLDER "
              f"--relocate): "
              + ", ".join(str(r.path) for r in gone[:5]), file=sys.stderr)
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    with Project.open(args.folder) as project:
        records = project.images()
        found = [r for r in records
                 if str(r.id) == args.image or names_image(args.image, r.path)]
        if len(found) != 1:
            what = "no image" if not found else f"{len(found)} images"
            raise ProjectError(f"{what} in {project.folder} match '{args.image}'; give an image id")
        project.set_template(found[0].id)
    print(f"template: {found[0].name}")
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    """The app's instant predictions (engine.project.jobs), from the command line."""
    from engine.device import pick_device
    from engine.project.jobs import match_inputs, run_match
    from engine.project.training import store_predictions

    with Project.open(args.folder) as project:
        inputs = match_inputs(project)
        if not inputs.targets:
            print("every image is reviewed: nothing to predict")
            return 0
        skipped: list[tuple[Path, str]] = []
        with cancel_on_interrupt() as cancel:
            table = run_match(inputs, pick_device(args.device), progress=print_progress,
                              cancel=cancel, skipped=skipped)
        entry = store_predictions(project, table, [p for _i, p in inputs.targets],
                                  label="instant predictions")
        changed = len(project.touched_images(entry)) if entry is not None else 0
    for path, reason in skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    print(f"instant predictions: {changed} of {len(inputs.targets)} image(s) to review changed "
          f"(from the template and {len(inputs.labelled)} reviewed image(s))")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    if args.relocate and not args.search:
        raise ProjectError("--relocate needs --search DIR: where to look for the moved images")
    with Project.open(args.folder, read_only=not args.relocate) as project:
        records = project.images()
        counts = project.status_counts()
        template = project.template()
        placed = sum(
            sum(lm is not None for lm in project.landmarks(r.id)) for r in records
        )
        check = project.check_images(args.search)
        if args.relocate:
            for rec, path in check.relocated:
                project.relocate(rec.id, path)
        runs = project.runs()
        schema = project.schema
    print(f"project: {project.folder}")
    print(f"schema: {schema.name} ({len(schema)} landmarks)")
    print(f"images: {len(records)} ("
          + ", ".join(f"{s.value} {counts[s]}" for s in ReviewStatus) + ")")
    print(f"landmarks placed: {placed} of {len(records) * len(schema)}")
    print(f"template: {template.name if template else 'not chosen'}")
    print(f"training runs: {len(runs)}")
    print(f"missing files: {len(check.missing)}; changed files: {len(check.changed)}")
    for rec in check.missing:
        print(f"  missing: {rec.path}", file=sys.stderr)
    for rec in check.changed:
        print(f"  changed: {rec.path}", file=sys.stderr)
    for rec, path in check.relocated:
        print(f"  {rec.name} found at {path}")
    if args.relocate:
        print(f"relocated {len(check.relocated)} image(s)")
    elif check.relocated:
        print("relocate them with --relocate")
    return 0
