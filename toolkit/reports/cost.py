"""Data for the cost report: logging volumes, data-event drivers and Athena scan comparisons.

Queries are the repo's Athena SQL run through an ``Engine`` with bound parameters; prices and
monthly figures come from ``toolkit.cost`` (nothing is priced here).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from toolkit.cost.prices import athena_query_cost
from toolkit.engines.staging import source_columns
from toolkit.lake import Lake, day_range, filesystem, parse_day
from toolkit.sql.queries import bound_query

if TYPE_CHECKING:
    import polars as pl

    from toolkit.engines.base import Engine

# Typical analyst questions, asked of the curated table (the raw table is read whole per day).
QUESTIONS = {
    "everything one access key did": (
        "select event_time, event_name, event_source, source_ip_address from events "
        "where dt between :start and :end and access_key_id = :key"),
    "AccessDenied per principal": (
        "select principal, count(*) as denied from stg_events where dt between :start and :end "
        "and outcome = 'denied' group by principal"),
    "console logins without MFA": (
        "select event_time, user_name, source_ip_address, additional_event_data from events "
        "where dt between :start and :end and event_name = 'ConsoleLogin'"),
    "security group changes": (
        "select event_time, principal_arn, event_name, request_parameters from events "
        "where dt between :start and :end and event_source = 'ec2.amazonaws.com' and event_name like '%SecurityGroup%'"),
}


def window(start: str | dt.date, end: str | dt.date) -> dict[str, str]:
    """Bound values for ``dt between :start and :end`` (validated days)."""
    first, last = parse_day(start), parse_day(end)
    day_range(first, last)  # end before start is an error
    return {"start": first.isoformat(), "end": last.isoformat()}


def logging_volume(engine: Engine, start, end) -> pl.DataFrame:
    return engine.query(*bound_query("logging_volume_by_source", **window(start, end)))


def data_event_drivers(engine: Engine, start, end, top: int = 10) -> pl.DataFrame:
    """Top services, principals and buckets by data events: dimension, name, events, share."""
    import polars as pl

    counts = engine.query(*bound_query("data_events_by_driver", **window(start, end)))
    total = counts["events"].sum() if counts.height else 0
    parts = []
    for dimension, column in (("service", "event_source"), ("principal", "principal"),
                              ("bucket", "bucket")):
        part = (counts.drop_nulls(column).group_by(column).agg(pl.col("events").sum())
                .sort(["events", column], descending=[True, False]).head(top)
                .select(pl.lit(dimension).alias("dimension"), pl.col(column).alias("name"),
                        pl.col("events").cast(pl.Int64)))
        parts.append(part)
    frame = pl.concat(parts) if parts else pl.DataFrame()
    return frame.with_columns((pl.col("events") / max(total, 1)).round(4).alias("share"))


def raw_bytes_for_days(raw_url: str, start, end) -> int:
    """Bytes of raw CloudTrail files delivered on the window's days (what Athena reads from
    ``cloudtrail_raw`` with the day projection), every account and region."""
    fs = filesystem(raw_url)
    total = 0
    for day in day_range(start, end):
        for pattern in (f"{raw_url}/AWSLogs/*/CloudTrail/*/{day:%Y/%m/%d}/*",
                        f"{raw_url}/AWSLogs/o-*/*/CloudTrail/*/{day:%Y/%m/%d}/*"):
            total += sum(int(i.get("size") or 0) for i in fs.glob(pattern, detail=True).values())
    return total


def parquet_column_bytes(lake: Lake, table: str, start, end, columns: set[str]) -> int:
    """Compressed bytes of ``columns`` in the table's partitions: what a columnar scan reads."""
    import pyarrow.parquet as pq

    total = 0
    for day in day_range(start, end):
        for path in lake.files(table, day):
            with lake.fs.open(path, "rb") as fh:
                meta = pq.ParquetFile(fh).metadata
            for g in range(meta.num_row_groups):
                group = meta.row_group(g)
                total += sum(group.column(c).total_compressed_size for c in range(group.num_columns)
                             if group.column(c).path_in_schema.split(".")[0] in columns)
    return total


def _columns(sql: str) -> set[str]:
    """The events columns ``sql`` reads (a stg_events column counts as the columns it is
    computed from)."""
    import sqlglot
    from sqlglot import exp

    names = {c.name for c in sqlglot.parse_one(sql, read="athena").find_all(exp.Column)}
    return set().union(*(source_columns(n) for n in names)) - {"dt"}


def athena_scan_comparison(engine: Engine, lake_url: str, raw_url: str | None, start, end,
                           key: str = "AKIAIOSFODNN7EXAMPLE") -> pl.DataFrame:
    """Per typical question: bytes and Athena cost on raw JSON vs the curated Parquet table.

    raw: the gzip JSON files of the window's days (Athena cannot skip columns in JSON);
    curated_estimate: the engines' cost-guard estimate (whole Parquet files of the partitions);
    curated_columns: compressed bytes of only the columns the query uses (Athena's real read).
    """
    import polars as pl

    lake, params = Lake.at(lake_url), {**window(start, end), "key": key}
    raw = raw_bytes_for_days(raw_url, start, end) if raw_url else None
    rows = []
    for question, sql in QUESTIONS.items():
        estimate = engine.estimate_scan_bytes(sql, params)
        columns = parquet_column_bytes(lake, "events", start, end, _columns(sql))
        rows.append({"question": question, "raw_json_bytes": raw, "curated_estimate_bytes": estimate,
                     "curated_columns_bytes": columns,
                     "raw_cost_usd": athena_query_cost(raw) if raw is not None else None,
                     "curated_cost_usd": athena_query_cost(columns)})
    frame = pl.DataFrame(rows, schema={"question": pl.String, "raw_json_bytes": pl.Int64,
                                       "curated_estimate_bytes": pl.Int64,
                                       "curated_columns_bytes": pl.Int64, "raw_cost_usd": pl.Float64,
                                       "curated_cost_usd": pl.Float64})
    return frame.with_columns((pl.col("raw_json_bytes") / pl.col("curated_columns_bytes").clip(1))
                              .round(1).alias("raw_to_curated_ratio"))
