"""CLI verbs of toolkit.forensics (registered by toolkit.cli): ``investigate``."""

from __future__ import annotations

import argparse

from toolkit import cli_args


def register(subparsers) -> None:
    """Add ``trailwatch investigate`` to the parser."""
    p = subparsers.add_parser(
        "investigate",
        help="investigate a principal, access key, IP or resource: timeline, identity chain, "
             "blast radius, findings, evidence export",
        description="Investigate one subject between --start and --end (inclusive days). IPs and "
                    "user agents are marked new against the --baseline-days before --start.",
    )
    cli_args.add_lake(p, "read", required=True)
    cli_args.add_days(p)
    subject = p.add_mutually_exclusive_group(required=True)
    subject.add_argument("--principal", metavar="ARN", help="IAM user, role, root or assumed-role session ARN")
    subject.add_argument("--access-key", metavar="ID", help="access key id (AKIA..., ASIA...)")
    subject.add_argument("--ip", metavar="IP", help="source IPv4 or IPv6 address")
    subject.add_argument("--resource", metavar="ARN", help="resource ARN")
    cli_args.add_out(p, "folder", help="write tables (CSV, Parquet), summary.json and evidence here")
    cli_args.add_engine(p)
    p.add_argument("--baseline-days", type=_non_negative, default=14,
                   help="days before --start that define 'new' IPs and user agents (default 14)")
    cli_args.add_format(p, choices=("table", "json"), aliases={"text": "table"})
    cli_args.add_allow_empty(p)
    p.set_defaults(func=run_investigate)


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be zero or more")
    return value


def run_investigate(args) -> int:
    import json

    from toolkit.cli_output import json_default
    from toolkit.config import Settings
    from toolkit.engines import coverage
    from toolkit.forensics.investigation import investigate
    from toolkit.forensics.report import format_text
    from toolkit.forensics.subjects import parse_subject
    from toolkit.lake import Lake

    kind, value = next((k, getattr(args, k)) for k in ("principal", "access_key", "ip", "resource")
                       if getattr(args, k) is not None)
    subject = parse_subject(kind, value)  # validate before touching the lake
    settings = Settings.from_env(lake=args.lake, engine=args.engine)
    coverage.check(Lake.at(settings.lake, settings.endpoint_url),
                   {"events": coverage.window(args.start, args.end)}, allow_empty=args.allow_empty)
    result = investigate(args.lake, subject, args.start, args.end, settings,
                         baseline_days=args.baseline_days, out=args.out)
    summary = result.summary()
    print(json.dumps(summary, indent=2, default=json_default) if args.format == "json" else format_text(summary))
    return 0
