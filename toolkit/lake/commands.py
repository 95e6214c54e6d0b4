"""CLI verbs of toolkit.lake: ``lake maintain``, ``lake migrate``, ``lake snapshots``."""

from __future__ import annotations

from toolkit import cli_args


def register(subparsers) -> None:
    lake = subparsers.add_parser(
        "lake", help="Iceberg lake upkeep: maintain, migrate, snapshots",
        description="The lake's tables are Apache Iceberg tables (see README: table format).")
    verbs = lake.add_subparsers(dest="lake_verb", metavar="ACTION", required=True)

    maintain = verbs.add_parser(
        "maintain", help="expire old snapshots and remove orphan files",
        description="Expire snapshots older than --older-than (the current one always stays), "
                    "then delete files no snapshot references that are older than that too.")
    cli_args.add_lake(maintain, None)  # an empty lake: nothing to maintain
    maintain.add_argument("--older-than", default="7d", metavar="AGE",
                          help="keep time travel this far back: 7d, 12h, 30m (default 7d)")
    maintain.set_defaults(func=run_maintain)

    migrate = verbs.add_parser(
        "migrate", help="turn a Hive-partitioned lake into Iceberg tables (no data rewritten)",
        description="Adds every <table>/dt=D/*.parquet file to its Iceberg table; days the table "
                    "already holds are skipped, so a rerun changes nothing.")
    cli_args.add_lake(migrate, None)
    migrate.set_defaults(func=run_migrate)

    snapshots = verbs.add_parser(
        "snapshots", help="list a table's snapshots (ids for `query --as-of`)")
    cli_args.add_lake(snapshots, None)
    snapshots.add_argument("--table", required=True, help="events, findings, cur_<model>, ...")
    snapshots.set_defaults(func=run_snapshots)


def _lake(args):
    from toolkit.config import Settings

    return Settings.from_env(lake=args.lake).lake_handle()


def run_maintain(args) -> int:
    from toolkit.lake.maintenance import maintain, parse_age

    results = maintain(_lake(args), parse_age(args.older_than))
    for name, counts in results.items():
        print(f"{name:40s} {counts['snapshots_expired']:5d} snapshot(s) expired  "
              f"{counts['files_removed']:6d} orphan file(s) removed")
    if not results:
        print("no Iceberg tables in this lake yet: nothing to maintain")
    return 0


def run_migrate(args) -> int:
    from toolkit.lake.maintenance import migrate

    added = migrate(_lake(args))
    for name, count in added.items():
        if count:
            print(f"{name:40s} {count:6d} file(s) added")
    total = sum(added.values())
    print(f"migrated {total} file(s)" if total else "nothing to migrate: every day is already in Iceberg")
    return 0


def run_snapshots(args) -> int:
    import datetime as dt

    from toolkit.lake import iceberg

    lake = _lake(args)
    name = args.table if iceberg.is_iceberg(args.table) else f"curated/{args.table}"
    table = iceberg.load(lake, name) if iceberg.is_iceberg(name) else None
    if table is None or not table.snapshots():
        print(f"{args.table}: no snapshots (nothing written yet)")
        return 0
    current = table.current_snapshot().snapshot_id
    for snap in table.snapshots():
        when = dt.datetime.fromtimestamp(snap.timestamp_ms / 1000, dt.UTC).isoformat(timespec="seconds")
        days = snap.summary.additional_properties.get("trailwatch.days", "") if snap.summary else ""
        op = snap.summary.operation.value if snap.summary else ""
        mark = "  (current)" if snap.snapshot_id == current else ""
        print(f"{snap.snapshot_id}  {when}  {op:9s} {days}{mark}")
    return 0
