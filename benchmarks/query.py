"""Benchmark: typical queries on the Iceberg lake against the Hive layout it replaced.

    .venv/bin/python benchmarks/query.py [--events-per-day 70000] [--days 30] [--repeat 5]

Builds (or reuses, under benchmarks/.corpus/query-*) the same events twice: a Hive-layout lake
(``cloudtrail/events/dt=D/part-0.parquet``, read as before with a ``dt=????-??-??/*.parquet``
glob) and an Iceberg lake written through ``Lake.write_parquet`` (one commit per day; read the
way the DuckDB engine reads it now: files planned through the catalog, then
``read_parquet([...], hive_partitioning = true)``). Rows are synthetic but shaped like the
ingest's output (sorted by event_time, principal_arn; ~500 principals, ~2000 access keys, JSON
request/response text), default 30 days x 70,000 = 2.1 M events.

Queries: the named query ``events_for_access_key`` (one access key over every day) and the top
talkers of one day (``group by principal_arn`` on events). For each: median latency over
``--repeat`` runs, each including the view's (re)creation — for Iceberg that is the scan
planning — and the bytes the query read: DuckDB's own count (``io.total_bytes_read`` of its JSON profile),
plus, for Iceberg, the manifest list and manifests the scan planning read. Prints both layouts side by side with ratios (Iceberg / Hive). Wall-clock numbers
depend on what else runs on the machine; the bytes do not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from toolkit.sql.queries import load_query  # noqa: E402 (after the path insert)

START = dt.date(2025, 2, 1)
KEY_SQL = load_query("events_for_access_key").sql
TOP_SQL = """select principal_arn, count(*) as calls, count_if(error_code is not null) as errors
from events where dt = :day group by principal_arn order by calls desc, principal_arn limit 20"""

DAY_SQL = """
select
    'ev-' || {day_n} || '-' || i as event_id,
    timestamp '{day} 00:00:00+00' + to_microseconds(cast(i * 86400000000 // {n} as bigint)) as event_time,
    '1.09' as event_version,
    (['ec2', 's3', 'iam', 'sts', 'kms', 'lambda', 'rds', 'logs'])[1 + hh(i, 1) % 8] || '.amazonaws.com' as event_source,
    (['DescribeInstances', 'GetObject', 'PutObject', 'AssumeRole', 'Decrypt', 'ListBuckets',
      'GetCallerIdentity', 'Invoke'])[1 + hh(i, 2) % 8] as event_name,
    (['us-east-1', 'eu-west-1', 'ap-south-1'])[1 + hh(i, 3) % 3] as aws_region,
    '198.51.' || (hh(i, 4) % 200) || '.' || (hh(i, 5) % 250) as source_ip_address,
    'aws-cli/2.' || (hh(i, 6) % 30) || ' Python/3.11' as user_agent,
    case when hh(i, 7) % 20 = 0 then 'AccessDenied' end as error_code,
    case when hh(i, 7) % 20 = 0 then 'User is not authorized to perform this operation' end as error_message,
    hh(i, 8) % 3 > 0 as read_only,
    'AwsApiCall' as event_type,
    '1234567890' || lpad(cast(hh(i, 9) % 100 as varchar), 2, '0') as recipient_account_id,
    'arn:aws:iam::123456789012:user/user-' || (hh(i, 10) % 500) as principal_arn,
    'AKIA' || upper(substr(md5(cast(hh(i, 10) % 500 * 4 + hh(i, 11) % 4 as varchar)), 1, 16)) as access_key_id,
    '{{"bucketName":"bucket-' || (hh(i, 12) % 900) || '","key":"data/' || md5(cast(i as varchar))
        || '.json","Host":"s3.amazonaws.com"}}' as request_parameters,
    '{{"requestId":"' || md5(cast(i * 7 as varchar)) || '"}}' as response_elements
from range({n}) t(i)
order by event_time, principal_arn
"""


def day_table(con, day: dt.date, n: int):
    sql = DAY_SQL.format(day=day.isoformat(), day_n=(day - START).days, n=n)
    return con.sql(sql).to_arrow_table()


def build(root: Path, days: int, per_day: int) -> tuple[str, str]:
    """The Hive lake and the Iceberg lake with the same rows (built once, then reused)."""
    import duckdb
    import pyarrow.parquet as pq

    from toolkit.lake import Lake

    hive, ice = root / "hive", root / "iceberg"
    done = root / "DONE"
    if done.exists():
        return str(hive), str(ice)
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute("create macro hh(a, b) as cast(hash(a, b) % 1000000007 as bigint)")
    lake = Lake.at(str(ice), catalog="sqlite")
    started = time.perf_counter()
    for d in range(days):
        day = START + dt.timedelta(days=d)
        table = day_table(con, day, per_day)
        folder = hive / "cloudtrail/events" / f"dt={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / "part-0.parquet", compression="zstd", row_group_size=30_000)
        lake.write_parquet("events", day, table, row_group_size=30_000)
    done.write_text(f"{days * per_day} events\n")
    print(f"built {days * per_day:,} events x 2 layouts in {time.perf_counter() - started:.0f} s")
    return str(hive), str(ice)


def connect(profile: str):
    """A DuckDB connection that writes each query's JSON profile (with ``io.total_bytes_read``)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute("PRAGMA enable_profiling='json'")
    con.execute(f"PRAGMA profiling_output='{profile}'")
    return con


def bytes_read(profile: str) -> int:
    import json

    return int(json.loads(Path(profile).read_text())["io"]["total_bytes_read"])


def hive_view(con, hive: str) -> int:
    """The pre-Iceberg DuckDB view: a glob over the dt= folders. Metadata bytes read: 0."""
    pattern = f"{hive}/cloudtrail/events/dt=????-??-??/*.parquet"
    con.execute(f"create or replace view events as select * from read_parquet('{pattern}', "  # noqa: S608
                "hive_partitioning = true, hive_types = {'dt': 'VARCHAR'}, union_by_name = true)")
    return 0


def iceberg_view(con, ice: str) -> int:
    """The engine's view now: plan through the catalog, read exactly those files."""
    from toolkit.lake import Lake, iceberg

    lake = Lake.at(ice, catalog="sqlite")
    table = iceberg.load(lake, "events")
    snapshot = table.current_snapshot()
    files = sorted(f.file_path for f in iceberg.day_files(table))
    listed = ", ".join(f"'{f}'" for f in files)
    con.execute(f"create or replace view events as select * from read_parquet([{listed}], "  # noqa: S608
                "hive_partitioning = true, hive_types = {'dt': 'VARCHAR'}, union_by_name = true)")
    planned = os.path.getsize(snapshot.manifest_list.removeprefix("file://"))
    return planned + sum(m.manifest_length for m in snapshot.manifests(table.io))


def run(layout: str, root: str, sql: str, params: dict, repeat: int) -> tuple[float, int]:
    """Median seconds (view creation + query) and bytes read by one run."""
    import tempfile

    from toolkit.engines.duck import to_duckdb

    duck_sql = to_duckdb(sql)
    profile = tempfile.mktemp(suffix=".json")
    times, read = [], 0
    for _ in range(repeat):
        con = connect(profile)
        started = time.perf_counter()
        meta = (hive_view if layout == "hive" else iceberg_view)(con, root)
        con.execute(duck_sql, params).fetchall()
        times.append(time.perf_counter() - started)
        read = bytes_read(profile) + meta
        con.close()
    return statistics.median(times), read


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events-per-day", type=int, default=70_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = HERE / ".corpus" / f"query-{args.days}x{args.events_per_day}"
    hive, ice = build(root, args.days, args.events_per_day)
    last = START + dt.timedelta(days=args.days - 1)
    key = "AKIA" + __import__("hashlib").md5(b"42").hexdigest()[:16].upper()
    cases = [
        (f"events_for_access_key, {args.days} days", KEY_SQL,
         {"access_key": key, "start": START.isoformat(), "end": last.isoformat()}),
        ("top talkers of one day", TOP_SQL, {"day": (START + dt.timedelta(days=args.days // 2)).isoformat()}),
    ]
    print(f"{args.days * args.events_per_day:,} events over {args.days} days; median of {args.repeat} runs")
    print(f"{'query':36s} {'hive s':>8s} {'iceberg s':>10s} {'ratio':>6s}   {'hive MB':>8s} "
          f"{'iceberg MB':>10s} {'ratio':>6s}")
    started = time.perf_counter()
    iceberg_view(connect(str(root / "profile.json")), ice)  # first planning: imports + manifests
    cold = time.perf_counter() - started
    for layout, path in (("hive", hive), ("iceberg", ice)):  # warm-up: OS file cache
        run(layout, path, cases[0][1], cases[0][2], 1)
    for label, sql, params in cases:
        h_s, h_b = run("hive", hive, sql, params, args.repeat)
        i_s, i_b = run("iceberg", ice, sql, params, args.repeat)
        print(f"{label:36s} {h_s:8.3f} {i_s:10.3f} {i_s / h_s:6.2f}   {h_b / 1e6:8.1f} "
              f"{i_b / 1e6:10.1f} {i_b / h_b:6.2f}")
    print("ratio = iceberg / hive (below 1: Iceberg is faster or reads less). Iceberg bytes include "
          "the manifest list and manifests its scan planning read.")
    print(f"the first Iceberg planning in a process (pyiceberg + catalog imports, table load, every "
          f"manifest read) took {cold:.2f} s; later plans of the same snapshot are cached in-process.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
