"""``cc2d suggest-template``: which image of a folder to annotate as the template."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.atomic import atomic_write_text
from engine.cli.common import check_output_file, count, images_from_args, print_progress
from engine.suggest import BLUR_SIGMA, THUMB_SIDE, TRIM, TemplateRanking, rank_templates


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suggest-template",
                       help="rank a folder's images by how representative each is; "
                            "annotate the first")
    p.add_argument("--images", type=Path, required=True, help="folder of images")
    p.add_argument("--top", type=count(1), default=10, help="rows to print (default 10)")
    p.add_argument("--json", type=Path, default=None,
                   help="also write the whole ranking as JSON")
    p.set_defaults(func=_suggest)


def _suggest(args: argparse.Namespace) -> int:
    if args.json:
        check_output_file(args.json, "--json")
    ranking = rank_templates(images_from_args(args.images), progress=print_progress)
    print(format_ranking(ranking, args.top))
    if args.json:
        atomic_write_text(args.json, json.dumps(ranking_dict(ranking, args), indent=2))
    return 0


def format_ranking(ranking: TemplateRanking, top: int) -> str:
    """The first ``top`` images, the pick, and every skipped file with its reason."""
    n = len(ranking.ranked)
    lines = ["score: mean distance to the other images; lower is more representative",
             f"{'rank':>4}  {'image':<40} {'score':>7}", "-" * 53]
    lines += [f"{k:>4}  {r.path.name:<40.40} {r.score:>7.4f}"
              for k, r in enumerate(ranking.ranked[:top], start=1)]
    if top < n:
        lines.append(f"   …  and {n - top} more")
    lines.append(f"Suggested template: {ranking.best.name} (the most representative of {n} "
                 f"images; ranked in {ranking.seconds:.1f} s)")
    if ranking.skipped:
        lines.append(f"{len(ranking.skipped)} file(s) skipped:")
        lines += [f"  {path.name}: {reason}" for path, reason in ranking.skipped]
    return "\n".join(lines)


def ranking_dict(ranking: TemplateRanking, args: argparse.Namespace) -> dict[str, Any]:
    return {
        "command": args.command_line,
        "images": str(args.images),
        "method": {"thumb_side": THUMB_SIDE, "blur_sigma": BLUR_SIGMA, "trim": TRIM},
        "suggested": str(ranking.best),
        "seconds": ranking.seconds,
        "ranked": [{"rank": k, "image": str(r.path), "score": r.score}
                   for k, r in enumerate(ranking.ranked, start=1)],
        "skipped": [{"image": str(p), "reason": reason} for p, reason in ranking.skipped],
    }
