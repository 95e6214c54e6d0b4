"""CLI verbs of toolkit.engines: ``build`` (curated models) and ``query`` (named or ad-hoc SQL)."""

from __future__ import annotations

import argparse
import sys

from toolkit import cli_args
from toolkit.cli_output import emit_rows
from toolkit.errors import UsageError
from toolkit.sql.bind import placeholder_names, to_positional
from toolkit.sql.models import load_model, model_names
from toolkit.sql.queries import load_query, query_names
from toolkit.sql.readonly import ensure_read_only

EXIT_CHECKS_FAILED = 1


def register(subparsers) -> None:
    build = subparsers.add_parser(
        "build", help="build curated models for days (writes <lake>/curated/<model>/dt=D/)",
        description="Run every curated model (sql/models) for each day, replacing that partition, "
                    "then run each model's contract checks. Exit 1 if a check fails, 3 if a day "
                    "has no events (unless --allow-empty).")
    _common(build, lake_mode="read")
    cli_args.add_days(build)
    build.add_argument("--models", help="comma-separated model names (default: all)")
    build.add_argument("--no-check", action="store_true", help="skip the contract checks")
    cli_args.add_format(build)
    cli_args.add_out(build, "file", help="write the rows here instead of stdout (in --format)")
    build.set_defaults(func=run_build)

    query = subparsers.add_parser(
        "query", help="run a named query (sql/queries) or ad-hoc SQL over the lake",
        description="Values given with -p are bound as parameters, never pasted into SQL. "
                    "Named queries validate their typed parameters. --start/--end (or --date) "
                    "fill the start and end parameters.")
    _common(query, lake_mode=None)
    which = query.add_mutually_exclusive_group(required=True)
    which.add_argument("--name", help="named query from sql/queries (see --list)")
    which.add_argument("--sql", help="one read-only Athena-dialect query; use :name placeholders")
    which.add_argument("--list", action="store_true", help="list the named queries and parameters")
    cli_args.add_days(query, required=False)
    cli_args.add_params(query)
    cli_args.add_format(query)
    cli_args.add_out(query, "file", help="write the rows here instead of stdout (in --format)")
    query.add_argument("--as-of", metavar="SNAPSHOT_ID|TIME",
                       help="read the lake as it was: an Iceberg snapshot id (see `lake snapshots`) "
                            "or a time such as 2025-03-06T12:00:00Z")
    query.add_argument("--dry-run", action="store_true",
                       help="print the SQL, the bound values and the scan estimate; run nothing")
    query.set_defaults(func=run_query)


def _common(parser: argparse.ArgumentParser, lake_mode: str | None) -> None:
    cli_args.add_lake(parser, lake_mode)  # None: query --list needs no lake; run_query checks it
    cli_args.add_engine(parser)
    cli_args.add_allow_scan(parser)
    cli_args.add_allow_empty(parser)


def _settings(args):
    from toolkit.config import Settings

    return Settings.from_env(lake=args.lake, engine=args.engine)


def run_build(args) -> int:
    from toolkit.engines import connect
    from toolkit.engines.build import build_day

    models = [m.strip() for m in args.models.split(",")] if args.models else None
    unknown = sorted(set(models or []) - set(model_names()))
    if unknown:
        raise UsageError(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(model_names())}")
    settings = _settings(args)
    _check_build_inputs(settings, models or model_names(), args)
    cli_args.check_writable_lake(settings.lake)
    engine = connect(settings)
    rows = []
    for day in args.days:
        for model, result in build_day(engine, day, models, allow_scan=args.allow_scan,
                                       check=not args.no_check).items():
            rows.append({"day": day, "model": model,
                         "status": "ok" if not result["failed_checks"] else "FAILED",
                         "failed_checks": ", ".join(result["failed_checks"]),
                         "check_details": "; ".join(result["check_details"]),
                         "partition": result["url"], "scan_bytes": result["scan_bytes"]})
    emit_rows(rows, args.format, args.out, table=_build_lines)
    return EXIT_CHECKS_FAILED if any(r["failed_checks"] for r in rows) else 0


def _build_lines(rows: list[dict]) -> str:
    lines = []
    for r in rows:
        status = "ok" if r["status"] == "ok" else "FAILED " + r["failed_checks"]
        if r["check_details"]:  # every violated check, warn ones too, with sample event ids
            status += f"  ({r['check_details']})"
        scanned = f"  scanned {r['scan_bytes']} B" if r["scan_bytes"] is not None else ""
        lines.append(f"{r['day']}  {r['model']:32s} {status}  {r['partition']}{scanned}")
    return "\n".join(lines) + "\n"


def _check_build_inputs(settings, models: list[str], args) -> None:
    """The base tables the models read must hold the days to build (curated inputs excepted)."""
    from toolkit.engines import coverage
    from toolkit.lake import Lake

    needs: dict = {}
    for model in models:
        sql = load_model(model).sql
        for day in (args.days[0], args.days[-1]):
            for table, window in coverage.needs_of_sql(sql, {"day": day}).items():
                if table in models:
                    continue  # built in this run
                if table in needs:
                    window = coverage.union(needs[table], window)
                needs[table] = window
    coverage.check(Lake.at(settings.lake, settings.endpoint_url), needs, allow_empty=args.allow_empty)


def run_query(args) -> int:

    if args.list:
        return _list_queries(args.format, args.out)
    raw = _with_days(cli_args.parse_params(args.param), args)
    if args.name:
        named = load_query(args.name)
        sql, params = named.sql, named.coerce_params(raw)
    else:
        ensure_read_only(args.sql)
        sql, params = args.sql, raw
        _refuse_unknown_tables(sql)
    from toolkit.engines import connect
    from toolkit.engines.guard import human_bytes

    settings = _settings(args)
    if not args.dry_run:
        _check_query_inputs(settings, sql, params, args.allow_empty)
    engine = connect(settings)
    if args.as_of:
        _pin(engine, args.as_of)
    estimate = engine.estimate_scan_bytes(sql, params)
    if args.dry_run:
        _print_dry_run(engine, sql, params, estimate)
        return 0
    frame = engine.query(sql, params, allow_scan=args.allow_scan)
    emit_rows(frame, args.format, args.out)
    scanned = (f", Athena scanned {human_bytes(engine.last_scan_bytes)}"
               if engine.name == "athena" and engine.last_scan_bytes is not None else "")
    print(f"-- {frame.height} rows; estimated scan {human_bytes(estimate)}{scanned}", file=sys.stderr)
    return 0


def _with_days(params: dict[str, str], args) -> dict[str, str]:
    """--start/--end (or --date) as the start and end parameters (-p may not repeat them)."""
    if not args.start:
        return params
    clash = sorted({"start", "end"} & set(params))
    if clash:
        raise UsageError(f"give the days once: --start/--end/--date and -p {'/'.join(clash)}")
    return {**params, "start": args.start, "end": args.end}


def _refuse_unknown_tables(sql: str) -> None:
    from toolkit.engines import coverage, tables

    unknown = coverage.unknown_tables(sql)
    if unknown:
        known = sorted(tables.lake_tables())
        raise UsageError(f"unknown table(s) {', '.join(unknown)} in --sql; the lake's tables are: "
                         f"{', '.join(known)}")


def _check_query_inputs(settings, sql: str, params: dict, allow_empty: bool) -> None:
    from toolkit.engines import coverage
    from toolkit.lake import Lake

    cli_args.check_is_lake(settings.lake)
    needs = coverage.needs_of_sql(sql, params)
    coverage.check(Lake.at(settings.lake, settings.endpoint_url), needs, allow_empty=allow_empty)


def _pin(engine, as_of: str) -> None:
    """``--as-of``: point every lake table at its snapshot of then; say which on stderr."""
    if not hasattr(engine, "read_as_of"):
        raise ValueError(f"--as-of is not supported on the {engine.name} engine; use --engine duckdb")
    pinned = engine.read_as_of(as_of)
    shown = ", ".join(f"{t}@{s}" for t, s in pinned.items() if s is not None) or "every table empty then"
    print(f"-- as of {as_of}: {shown}", file=sys.stderr)


def _list_queries(fmt: str, out: str | None) -> int:
    """The named queries with their parameters: readable text, or rows in ``--format``."""
    rows = []
    for name in query_names():
        query = load_query(name)
        rows.append({"name": name, "description": " ".join(query.description.split()),
                     "params": " ".join(f"-p {p.name}=<{p.type}>"
                                        + (f" (default {p.default})" if p.default is not None else "")
                                        for p in query.params.values())})
    emit_rows(rows, fmt, out, table=lambda rows: "".join(
        f"{r['name']}\n    {r['description']}\n    {r['params']}\n" for r in rows))
    return 0


def _print_dry_run(engine, sql: str, params: dict, estimate: int) -> None:
    from toolkit.engines.guard import human_bytes

    print(f"-- engine: {engine.name}")
    print(engine.explain(sql))
    print("-- bound parameters (sent separately from the SQL text):")
    if engine.name == "athena":  # positional ExecutionParameters, each an SQL literal
        from toolkit.engines.athena import athena_literal

        for i, name in enumerate(to_positional(sql)[1], 1):
            print(f"--   ?{i} = {athena_literal(params.get(name))}  (:{name})")
    else:
        for name in placeholder_names(sql):
            print(f"--   ${name} = {params.get(name)!r}")
    limit = engine.settings.scan_limit_bytes
    print(f"-- estimated scan: {human_bytes(estimate)} ({estimate} bytes; Athena limit "
          f"{human_bytes(limit)}{', over the limit' if estimate > limit else ''})")
