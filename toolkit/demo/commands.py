"""CLI verb `demo` (registered by toolkit.cli)."""

from __future__ import annotations

import argparse

from toolkit import cli_args
from toolkit.demo.run import DEFAULT_DAYS, DEFAULT_EVENTS_PER_DAY


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="generate a sample AWS account and run the whole pipeline through Airflow",
        description="Sample account -> moto's server -> Airflow DAG runs per day -> reports -> "
                    "digest verification -> summary.")
    cli_args.add_out(p, "folder", help="folder for the sample, lake, reports (default: demo)")
    p.set_defaults(out="demo")
    p.add_argument("--days", type=int, default=DEFAULT_DAYS, help=f"days of activity (default: {DEFAULT_DAYS})")
    p.add_argument("--events-per-day", type=int, default=DEFAULT_EVENTS_PER_DAY,
                   help=f"background events per day (default: {DEFAULT_EVENTS_PER_DAY})")
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    import importlib.util
    from pathlib import Path

    from toolkit.demo.run import run_demo

    if importlib.util.find_spec("moto") is None:
        raise ValueError("the demo runs moto's server in place of AWS: "
                         "pip install 'trailwatch[demo]'")
    run_demo(Path(args.out), days=args.days, events_per_day=args.events_per_day, seed=args.seed)
    return 0
