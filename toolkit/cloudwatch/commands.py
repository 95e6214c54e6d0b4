"""CLI verbs of toolkit.cloudwatch: ``metrics export|import|anomalies`` and ``alarms replay``."""

from __future__ import annotations

import argparse

from toolkit import cli_args
from toolkit.cloudwatch.catalog import DEFAULT_NAMESPACES, DEFAULT_STATS  # stdlib-only module


def register(subparsers) -> None:
    """Add ``metrics`` and ``alarms`` to the trailwatch parser."""
    metrics = subparsers.add_parser("metrics", help="CloudWatch metrics: export, import, anomalies")
    verbs = metrics.add_subparsers(dest="metrics_verb", metavar="ACTION", required=True)

    export = verbs.add_parser("export", help="export one day of CloudWatch metrics to the lake")
    cli_args.add_lake(export, "write", required=True)
    cli_args.add_days(export, what="UTC day to export", service="CloudWatch")
    export.add_argument("--endpoint-url", help="CloudWatch endpoint (e.g. moto's server)")
    export.add_argument("--region", help="AWS region (default: AWS_REGION or us-east-1)")
    export.add_argument("--namespaces", nargs="+", default=list(DEFAULT_NAMESPACES),
                        help="namespaces to discover (default: %(default)s)")
    export.add_argument("--stats", nargs="+", default=list(DEFAULT_STATS),
                        help="statistics to fetch; percentiles only where they apply (default: %(default)s)")
    export.add_argument("--period", type=int, help="period in seconds (default: finest still retained)")
    export.add_argument("--account-id", help="label rows with this account (default: STS caller)")
    export.add_argument("--now", help="evaluate retention as of this UTC time (ISO 8601; replays)")
    export.set_defaults(func=_export)

    imp = verbs.add_parser("import", help="load a timestamp,value CSV export into the lake")
    imp.add_argument("--csv", required=True, help="CSV file with columns timestamp,value (UTC)")
    imp.add_argument("--namespace", required=True)
    imp.add_argument("--metric", required=True, help="metric name")
    imp.add_argument("--dimension", action="append", default=[], metavar="NAME=VALUE")
    cli_args.add_lake(imp, "write", required=True)
    imp.add_argument("--stat", default="Average", help="statistic the values are: Average, Sum, Maximum, Minimum, SampleCount, pNN "
                          "(default: Average)")
    imp.add_argument("--period", type=int, metavar="SECONDS",
                     help="period of the datapoints (default: inferred from the most common gap, and reported)")
    imp.add_argument("--unit", help="unit (default: the metric's documented unit)")
    imp.add_argument("--account-id")
    imp.add_argument("--region")
    imp.set_defaults(func=_import)

    anomalies = verbs.add_parser("anomalies", help="score one day against its seasonal baseline")
    cli_args.add_lake(anomalies, "read", required=True)
    cli_args.add_days(anomalies, what="day to score", service="CloudWatch")
    cli_args.add_allow_empty(anomalies)
    anomalies.add_argument("--history-days", type=int, default=14)
    anomalies.add_argument("--width", type=float, default=3.0, help="band width in robust sigmas")
    anomalies.set_defaults(func=_anomalies)

    alarms = subparsers.add_parser("alarms", help="CloudWatch alarms: replay over history")
    alarm_verbs = alarms.add_subparsers(dest="alarms_verb", metavar="ACTION", required=True)
    replay = alarm_verbs.add_parser("replay", help="replay alarm definitions over the lake's metrics")
    cli_args.add_lake(replay, "read", required=True)
    cli_args.add_days(replay, what="UTC day", service="CloudWatch")
    cli_args.add_allow_empty(replay)
    replay.add_argument("--alarms", help="alarm YAML file, or `aws cloudwatch describe-alarms` JSON output "
                                         "(default: the packaged examples)")
    replay.set_defaults(func=_replay)


def _export(args: argparse.Namespace) -> int:
    import datetime as dt

    from toolkit.cloudwatch.export import export_metrics
    from toolkit.config import Settings

    settings = Settings.from_env(region=args.region, endpoint_url=args.endpoint_url)
    now = dt.datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else None
    if now and now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    for day in args.days:
        s = export_metrics(args.lake, day, region=settings.region, endpoint_url=settings.endpoint_url,
                           namespaces=args.namespaces, stats=args.stats, period=args.period, now=now,
                           account_id=args.account_id)
        print(f"metrics export {s.day}: {s.metrics_listed} metrics listed, period {s.period_s}s")
        print(f"  GetMetricData: {s.metrics_requested:,} metrics requested in {s.calls} calls "
              f"-> ${s.api_cost_usd:.4f} at $0.01 per 1,000")
        print(f"  {s.datapoints:,} datapoints; partition now holds {s.rows_written:,} rows: {s.partition}")
        for warning in s.warnings:
            print(f"  warning: {warning}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from toolkit.cloudwatch.load import import_csv, parse_dimensions

    result = import_csv(args.csv, args.lake, args.namespace, args.metric,
                        dimensions=parse_dimensions(args.dimension), stat=args.stat, unit=args.unit,
                        account_id=args.account_id, region=args.region, period=args.period)
    days = result["days"]
    print(f"metrics import: {result['rows']:,} {result['stat']} datapoints (period {result['period_s']}s, "
          f"{result['period_source']}) into {len(days)} day(s): {min(days)} .. {max(days)}")
    if result["repeated_timestamps"]:
        print(f"  {result['rows_read']:,} rows read: {result['repeated_timestamps']:,} repeated an earlier "
              f"timestamp (the last row of each kept)")
    return 0


def _anomalies(args: argparse.Namespace) -> int:
    from toolkit.cloudwatch.anomaly import detect_anomalies

    _check_metrics(args)
    for day in args.days:
        r = detect_anomalies(args.lake, day, history_days=args.history_days, width=args.width)
        print(f"anomalies {r['day']}: {r['anomalies']:,} of {r['rows']:,} datapoints flagged in "
              f"{r['episodes']:,} episode(s) (baseline: {r['baseline']}) -> {r['partition']}")
    return 0


def _check_metrics(args: argparse.Namespace) -> None:
    """The metrics table must hold the days read (exit 3 otherwise, unless --allow-empty)."""
    from toolkit.engines import coverage
    from toolkit.lake import Lake

    coverage.check(Lake.at(args.lake), {"metrics": coverage.window(args.start, args.end)},
                   allow_empty=args.allow_empty)


def _replay(args: argparse.Namespace) -> int:
    from toolkit.cloudwatch.replay import replay_alarms

    _check_metrics(args)
    states = replay_alarms(args.lake, args.start, args.end, args.alarms)
    print(f"alarms replay {args.start} .. {args.end}: {states.height} state transitions")
    if states.height:
        counts = states.group_by("state").len().sort("state").iter_rows()
        print("  into " + ", ".join(f"{state}: {n}" for state, n in counts))
        alarmed = states.filter(states["state"] == "ALARM")["alarm_name"].unique().sort().to_list()
        if alarmed:
            print(f"  alarms that fired: {', '.join(alarmed[:20])}{' ...' if len(alarmed) > 20 else ''}")
    return 0
