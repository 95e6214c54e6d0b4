"""CLI verbs of toolkit.cloudtrail: ``ingest`` and ``export`` (registered by toolkit.cli)."""

from __future__ import annotations

import sys

from toolkit import cli_args

FILTER_FIELDS = ("event_id", "principal_arn", "access_key_id", "source_ip_address", "event_name",
                 "event_source", "account_id", "aws_region", "resource")


def register(subparsers) -> None:
    """Add ``trailwatch ingest`` and ``trailwatch export``."""
    p = subparsers.add_parser(
        "ingest", help="raw CloudTrail deliveries -> the lake's events table, one day at a time",
        description="Read every account and region under RAW/AWSLogs/ (account and organization "
                    "layouts) in the delivery folders DAY-lookback..DAY+1, skipping files an earlier "
                    "run read, and merge each record into its own day's partition "
                    "(<lake>/cloudtrail/events/dt=D/), deduplicated by eventID. Bad files and records "
                    "are quarantined with their reason; a manifest is written per run.")
    p.add_argument("--raw", help="raw root holding AWSLogs/ (path or s3://; default $TRAILWATCH_RAW)")
    cli_args.add_lake(p, "write")
    cli_args.add_days(p, what="day to ingest")
    p.add_argument("--lookback-days", type=int, default=1,
                   help="delivery folders before the day to read (default 1)")
    p.add_argument("--rebuild", action="store_true",
                   help="re-read every file of the folders and replace DAY's partition with what they hold")
    cli_args.add_engine(p, help="duckdb: ingest here; athena: run sql/models/events_from_raw.sql in Athena")
    cli_args.add_format(p)
    cli_args.add_out(p, "file", help="write the per-day summary rows here (in --format)")
    p.set_defaults(func=run_ingest)

    e = subparsers.add_parser(
        "export", help="write original CloudTrail records, byte for byte as delivered (evidence export)",
        description="Write the original records of the days START..END, exactly as AWS delivered "
                    "them, as CloudTrail JSON ({\"Records\": [...]}) or NDJSON; .gz output is gzipped. "
                    "Filters are field=value, "
                    "repeatable (same field: OR, different fields: AND); values are bound as "
                    f"parameters. Fields: {', '.join(FILTER_FIELDS)}.")
    cli_args.add_lake(e, "read")
    cli_args.add_days(e)
    e.add_argument("--filter", action="append", default=[], metavar="FIELD=VALUE",
                   help="keep records whose FIELD equals VALUE (repeatable)")
    cli_args.add_format(e, choices=("cloudtrail", "ndjson"), default="cloudtrail")
    cli_args.add_out(e, "file", required=True, help="output file (.gz to compress)")
    cli_args.add_allow_empty(e)
    e.add_argument("--with-source", action="store_true",
                   help="add each record's provenance: source file key, record index, the file's "
                        "SHA-256 and the digest listing it (a parallel \"Sources\" array, or "
                        "{\"source\":..,\"record\":..} lines in NDJSON)")
    e.set_defaults(func=run_export)


def run_ingest(args) -> int:
    from toolkit.config import Settings
    from toolkit.lake import day_range

    settings = Settings.from_env(lake=args.lake, raw=args.raw, engine=args.engine)
    if args.lookback_days < 0:
        raise ValueError("--lookback-days must be 0 or more")
    days = day_range(args.start, args.end)
    if settings.engine == "athena":
        return _ingest_athena(settings, days)
    if not settings.raw:
        raise ValueError("no raw location: pass --raw or set TRAILWATCH_RAW")
    from toolkit.cli_output import emit_rows
    from toolkit.cloudtrail.ingest import ingest_day
    from toolkit.progress import progress

    warnings, manifests = 0, []
    for day in days:
        manifest = ingest_day(settings.raw, settings.lake, day, args.lookback_days,
                              endpoint_url=settings.endpoint_url, progress=progress(f"ingest {day}"),
                              rebuild=args.rebuild)
        if args.format == "table" and not args.out:
            print(summary(manifest))  # as each day lands
        manifests.append(manifest)
        warnings += len(manifest["warnings"])
    if args.format != "table" or args.out:
        emit_rows([summary_row(m) for m in manifests], args.format, args.out,
                  table=lambda rows: "\n".join(summary(m) for m in manifests) + "\n")
    if warnings:
        print(f"warning: {warnings} problem(s) (quarantined files, files no digest lists); "
              "see the manifests' warnings", file=sys.stderr)
    return 0


def _ingest_athena(settings, days) -> int:
    from toolkit import engines

    engine = engines.connect(settings)
    for day in days:
        print(f"{day}: events_from_raw -> {engine.run_model('events_from_raw', day)}")
    return 0


def summary(m: dict) -> str:
    """A one-screen summary of a run manifest."""
    days = ", ".join(f"{d} +{v['added']:,}" for d, v in m.get("days_written", {}).items()) or "none"
    lines = [
        f"ingest {m['day']}: {m['records_written']:,} new events written (days: {days})",
        f"  files   seen {m['files_seen']:,}  read {m['files_read']:,}  already read "
        f"{m.get('files_already_read', 0):,}  quarantined {m['files_quarantined']:,}  digests "
        f"{m['digest_files_skipped']:,}  insights {m['insight_files']:,}  not in a digest "
        f"{m.get('files_not_in_digest', 0):,}",
        f"  records in {m['records_in']:,} = written {m['records_written']:,} + duplicates "
        f"{m['duplicates_dropped']:,} + quarantined {m['records_quarantined']:,} + other days "
        f"{m['records_other_days']:,}",
        f"  raw {m['bytes_raw'] / 1e6:,.1f} MB ({m['bytes_json'] / 1e6:,.1f} MB JSON) in "
        f"{m['seconds']:.1f} s",
    ]
    for w in m["warnings"][:10]:
        lines.append(f"  warning: {w}")
    if len(m["warnings"]) > 10:
        lines.append(f"  ... and {len(m['warnings']) - 10} more (see {m['quarantine']})")
    return "\n".join(lines)


SUMMARY_COLUMNS = ("day", "records_written", "files_seen", "files_read", "files_quarantined",
                   "digest_files_skipped", "insight_files", "records_in", "duplicates_dropped",
                   "records_quarantined", "records_other_days", "bytes_raw", "bytes_json", "seconds",
                   "partition")


def summary_row(m: dict) -> dict:
    """A manifest's counts as one row (for --format csv/json/parquet)."""
    return {k: m.get(k) for k in SUMMARY_COLUMNS}


def run_export(args) -> int:
    from toolkit.cloudtrail.export import export_records, parse_filters, write_export
    from toolkit.config import Settings
    from toolkit.engines import coverage
    from toolkit.lake import Lake

    settings = Settings.from_env(lake=args.lake)
    filters = parse_filters(args.filter)
    coverage.check(Lake.at(settings.lake, settings.endpoint_url),
                   {"events": coverage.window(args.start, args.end)}, allow_empty=args.allow_empty)
    count = write_export(export_records(settings.lake, args.start, args.end, filters,
                                        with_source=args.with_source),
                         args.out, args.format)
    print(f"exported {count:,} records ({args.format}) to {args.out}")
    return 0
