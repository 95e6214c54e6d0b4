"""The ``trailwatch`` command: a thin argparse front over the toolkit.

Each area owns its verbs in a ``commands`` module exposing ``register(subparsers)``; those
modules import only argparse at top level and do the heavy imports inside their handlers, so
``trailwatch --help`` stays fast. A handler returns the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# Order = order of verbs in --help.
COMMAND_MODULES = (
    "toolkit.sample.commands",       # sample
    "toolkit.cloudtrail.commands",   # ingest, export
    "toolkit.integrity.commands",    # verify
    "toolkit.engines.commands",      # build, query
    "toolkit.lake.commands",         # lake maintain|migrate|snapshots
    "toolkit.cloudwatch.commands",   # metrics, alarms
    "toolkit.detections.commands",   # rules, detect
    "toolkit.forensics.commands",    # investigate
    "toolkit.reports.commands",      # report
    "toolkit.demo.commands",         # demo
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trailwatch",
        description="AWS CloudTrail and CloudWatch analytics: lake, detections, forensics, reports.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, PermissionError) as exc:
        if args.verbose:  # -v: the full traceback, for bug reports
            raise
        # Bad input or a missing location: one clear line, no traceback.
        print(f"trailwatch {args.verb}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
