"""The ``cc2d`` command line: one sub-command module per area, registered here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from engine.errors import CancelledError, CC2DError


def build_parser() -> argparse.ArgumentParser:
    from engine.cli import (
        analysis_cmd,
        bench_cmd,
        evaluate_cmd,
        pacs_cmd,
        project_cmd,
        refit_cmd,
        run_cmd,
        ssl_cmd,
        suggest_cmd,
    )

    parser = argparse.ArgumentParser(
        prog="cc2d", description="One-shot landmark detection (CC2D): train, predict, evaluate."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (ssl_cmd, run_cmd, refit_cmd, evaluate_cmd, project_cmd, bench_cmd,
                   analysis_cmd, suggest_cmd, pacs_cmd):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 for user errors, 130 when cancelled)."""
    parser = build_parser()
    given = list(sys.argv[1:] if argv is None else argv)
    for arg in given:
        # Python 3.11's argparse hands "--opt=--" over as an empty list, past the option's
        # type check: the command then failed with a traceback.
        if arg.startswith("--") and arg.partition("=")[2] == "--":
            parser.error(f"argument {arg.partition('=')[0]}: '--' is not a value")
    args = parser.parse_args(given)
    # What benchmarks record as the command that produced their figures.
    args.command_line = "cc2d " + " ".join(given)
    try:
        return int(args.func(args) or 0)
    except CancelledError as exc:
        print(f"cancelled: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except CC2DError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the disk, not the engine: full, read-only, permission denied
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
