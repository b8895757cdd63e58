"""``cc2d project measurements PROJECT --analysis ID ... --out table.csv``: the app's
*Export measurements*, headless: per analysis a table, one row per image, each point's
error by where it came from (``engine.project.measuring``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.analysis import library
from engine.analysis.point_error import load_model
from engine.cli.common import check_output_file
from engine.errors import CC2DError
from engine.project import Project, ReviewStatus
from engine.project.export import image_names
from engine.project.measuring import project_measuring, write_project_tables


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("measurements", help="one table per analysis of the project's images, "
                                            "one row per image (see `cc2d analyses`)")
    p.add_argument("folder", help="project folder")
    p.add_argument("--analysis", action="append", required=True,
                   help="an analysis id on offer (repeat for several)")
    p.add_argument("--out", type=Path, required=True,
                   help="table.csv: writes table_<analysis>.csv per analysis")
    p.add_argument("--images", choices=("reviewed", "all"), default="reviewed",
                   help="the reviewed images and the template (default), or all")
    p.set_defaults(func=cmd_measurements)


def cmd_measurements(args: argparse.Namespace) -> int:
    lib = library()
    with Project.open(args.folder, read_only=True) as project:
        schema = project.schema
        codes = [schema.label(i) for i in range(len(schema))]
        bound = [lib.get(a).bind(codes) for a in args.analysis]
        for b in bound:
            if not b.computable:
                raise CC2DError(f"analysis '{b.analysis.id}' needs points this project's "
                                f"landmarks lack: {', '.join(sorted(b.missing_codes))}")
        outs = [args.out.with_name(f"{args.out.stem}_{a.replace('@', '_')}.csv")
                for a in args.analysis]
        for out in outs:
            check_output_file(out, "--out", [r.path for r in project.images()])
        template = project.template()
        ids = [r.id for r in project.images() if args.images == "all"
               or r.status == ReviewStatus.REVIEWED or (template and r.id == template.id)]
        written = write_project_tables(project, project_measuring(project, bound, load_model()),
                                       args.out, ids, image_names(project))
    for path in written:
        print(f"{len(ids)} image(s) → {path}")
    return 0
