"""CLI verbs of toolkit.engines: ``build`` (curated models) and ``query`` (named or ad-hoc SQL)."""

from __future__ import annotations

import argparse
import sys

EXIT_CHECKS_FAILED = 1
EXIT_SCAN_REFUSED = 3


def register(subparsers) -> None:
    build = subparsers.add_parser(
        "build", help="build curated models for a day (writes <lake>/curated/<model>/dt=D/)",
        description="Run every curated model (sql/models) for a day, replacing that partition, "
                    "then run each model's contract checks. Exit 1 if a check fails.")
    _common(build)
    build.add_argument("--date", required=True, help="day to build (YYYY-MM-DD)")
    build.add_argument("--until", help="build every day from --date to this day (inclusive)")
    build.add_argument("--models", help="comma-separated model names (default: all)")
    build.add_argument("--no-check", action="store_true", help="skip the contract checks")
    build.set_defaults(func=run_build)

    query = subparsers.add_parser(
        "query", help="run a named query (sql/queries) or ad-hoc SQL over the lake",
        description="Values given with -p are bound as parameters, never pasted into SQL. "
                    "Named queries validate their typed parameters.")
    _common(query)
    which = query.add_mutually_exclusive_group(required=True)
    which.add_argument("--name", help="named query from sql/queries (see --list)")
    which.add_argument("--sql", help="one read-only Athena-dialect query; use :name placeholders")
    which.add_argument("--list", action="store_true", help="list the named queries and parameters")
    query.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                       help="parameter value (repeatable)")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.add_argument("--as-of", metavar="SNAPSHOT_ID|TIME",
                       help="read the lake as it was: an Iceberg snapshot id (see `lake snapshots`) "
                            "or a time such as 2025-03-06T12:00:00Z")
    query.add_argument("--dry-run", action="store_true",
                       help="print the SQL, the bound values and the scan estimate; run nothing")
    query.set_defaults(func=run_query)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", help="lake URL (default: TRAILWATCH_LAKE or ./lake)")
    parser.add_argument("--engine", choices=("duckdb", "athena"), help="default: TRAILWATCH_ENGINE")
    parser.add_argument("--allow-scan", action="store_true",
                        help="run on Athena even above the scan limit (TRAILWATCH_SCAN_LIMIT_BYTES)")


def _settings(args):
    from toolkit.config import Settings

    return Settings.from_env(lake=args.lake, engine=args.engine)


def run_build(args) -> int:
    from toolkit.engines import ScanLimitExceeded, connect
    from toolkit.engines.build import build_day
    from toolkit.lake import day_range

    days = day_range(args.date, args.until or args.date)
    models = [m.strip() for m in args.models.split(",")] if args.models else None
    engine = connect(_settings(args))
    failed = 0
    for day in days:
        try:
            results = build_day(engine, day, models, allow_scan=args.allow_scan,
                                check=not args.no_check)
        except ScanLimitExceeded as exc:
            print(f"trailwatch build: refused: {exc}", file=sys.stderr)
            return EXIT_SCAN_REFUSED
        for model, result in results.items():
            status = "ok" if not result["failed_checks"] else "FAILED " + ", ".join(result["failed_checks"])
            scanned = f"  scanned {result['scan_bytes']} B" if result["scan_bytes"] is not None else ""
            print(f"{day}  {model:32s} {status}  {result['url']}{scanned}")
            failed += bool(result["failed_checks"])
    return EXIT_CHECKS_FAILED if failed else 0


def _parse_params(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ValueError(f"parameter must look like key=value, got {pair!r}")
        values[key.strip()] = value
    return values


def run_query(args) -> int:
    from toolkit import sqlfiles

    if args.list:
        return _list_queries()
    raw = _parse_params(args.param)
    if args.name:
        named = sqlfiles.load_query(args.name)
        sql, params = named.sql, named.coerce_params(raw)
    else:
        sqlfiles.ensure_read_only(args.sql)
        sql, params = args.sql, raw
    from toolkit.engines import ScanLimitExceeded, connect
    from toolkit.engines.guard import human_bytes

    engine = connect(_settings(args))
    if args.as_of:
        _pin(engine, args.as_of)
    estimate = engine.estimate_scan_bytes(sql, params)
    if args.dry_run:
        _print_dry_run(engine, sql, params, estimate)
        return 0
    try:
        frame = engine.query(sql, params, allow_scan=args.allow_scan)
    except ScanLimitExceeded as exc:
        print(f"trailwatch query: refused: {exc}", file=sys.stderr)
        return EXIT_SCAN_REFUSED
    _print_frame(frame, args.format)
    scanned = (f", Athena scanned {human_bytes(engine.last_scan_bytes)}"
               if engine.name == "athena" and engine.last_scan_bytes is not None else "")
    print(f"-- {frame.height} rows; estimated scan {human_bytes(estimate)}{scanned}", file=sys.stderr)
    return 0


def _pin(engine, as_of: str) -> None:
    """``--as-of``: point every lake table at its snapshot of then; say which on stderr."""
    if not hasattr(engine, "read_as_of"):
        raise ValueError(f"--as-of is not supported on the {engine.name} engine; use --engine duckdb")
    pinned = engine.read_as_of(as_of)
    shown = ", ".join(f"{t}@{s}" for t, s in pinned.items() if s is not None) or "every table empty then"
    print(f"-- as of {as_of}: {shown}", file=sys.stderr)


def _list_queries() -> int:
    from toolkit import sqlfiles

    for name in sqlfiles.query_names():
        query = sqlfiles.load_query(name)
        params = " ".join(f"-p {p.name}=<{p.type}>" + (f" (default {p.default})" if p.default is not None else "")
                          for p in query.params.values())
        print(f"{name}\n    {' '.join(query.description.split())}\n    {params}")
    return 0


def _print_dry_run(engine, sql: str, params: dict, estimate: int) -> None:
    from toolkit import sqlfiles
    from toolkit.engines.guard import human_bytes

    print(f"-- engine: {engine.name}")
    print(engine.explain(sql))
    print("-- bound parameters (sent separately from the SQL text):")
    if engine.name == "athena":  # positional ExecutionParameters, each an SQL literal
        from toolkit.engines.athena import athena_literal

        for i, name in enumerate(sqlfiles.to_positional(sql)[1], 1):
            print(f"--   ?{i} = {athena_literal(params.get(name))}  (:{name})")
    else:
        for name in sqlfiles.placeholder_names(sql):
            print(f"--   ${name} = {params.get(name)!r}")
    limit = engine.settings.scan_limit_bytes
    print(f"-- estimated scan: {human_bytes(estimate)} ({estimate} bytes; Athena limit "
          f"{human_bytes(limit)}{', over the limit' if estimate > limit else ''})")


def _print_frame(frame, fmt: str) -> None:
    import polars as pl

    if fmt == "json":
        sys.stdout.write(frame.write_json() + "\n")
        return
    nested = [c for c, t in frame.schema.items() if isinstance(t, (pl.List, pl.Struct, pl.Array))]
    if fmt == "csv":
        flat = frame.with_columns(pl.col(c).map_elements(_to_json, return_dtype=pl.String) for c in nested)
        sys.stdout.write(flat.write_csv())
        return
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
        print(frame)


def _to_json(value) -> str:
    import json

    return json.dumps(value.to_list() if hasattr(value, "to_list") else value, default=str)
