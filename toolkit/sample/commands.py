"""CLI verbs of toolkit.sample (registered by toolkit.cli)."""

from __future__ import annotations

import argparse
import json

from toolkit import cli_args


def register(subparsers) -> None:
    """Add ``trailwatch sample``."""
    from toolkit.sample import DEFAULT_DAYS, DEFAULT_EVENTS_PER_DAY, DEFAULT_SEED, DEFAULT_START

    p = subparsers.add_parser(
        "sample", help="generate a realistic sample AWS account (CloudTrail, digests, CloudWatch, truth)",
        description="Write a deterministic sample estate: raw CloudTrail deliveries in AWS's key layout "
                    "with signed digest files, CloudWatch datapoints, a seeded incident and its ground "
                    "truth, and the digest public key in list-public-keys form.")
    cli_args.add_out(p, "folder", required=True,
                     help="output directory (created; a previous sample there is replaced)")
    p.add_argument("--start", default=DEFAULT_START, help=f"first day YYYY-MM-DD (default {DEFAULT_START})")
    p.add_argument("--days", type=_positive, default=DEFAULT_DAYS, help=f"number of days (default {DEFAULT_DAYS})")
    p.add_argument("--events-per-day", type=_positive, default=DEFAULT_EVENTS_PER_DAY,
                   help=f"events per account per day (default {DEFAULT_EVENTS_PER_DAY})")
    p.add_argument("--accounts", type=_positive, default=1, help="number of accounts (default 1)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--org", action="store_true", help="organization trail layout AWSLogs/o-<id>/<account>/...")
    p.set_defaults(func=run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def run(args) -> int:
    from toolkit.sample import generate_account

    summary = generate_account(args.out, start=args.start, days=args.days,
                               events_per_day=args.events_per_day, accounts=args.accounts,
                               seed=args.seed, org=args.org)
    print(json.dumps(summary, indent=2))
    return 0
