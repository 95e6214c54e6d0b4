"""Data for the cost report: logging volumes, data-event drivers and Athena scan comparisons.

Queries are the repo's Athena SQL run through an ``Engine`` with bound parameters; prices and
monthly figures come from ``toolkit.cost`` (nothing is priced here).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from toolkit.cost.prices import athena_query_cost
from toolkit.engines.staging import base_table, source_columns, view_sql
from toolkit.engines.tables import lake_name
from toolkit.lake import Lake, day_range, filesystem, parse_day
from toolkit.sql.queries import bound_query

if TYPE_CHECKING:
    import polars as pl

    from toolkit.engines.base import Engine

# Typical analyst questions, each answered by the named query (sql/queries/) analysts run for
# it, with example values: the scan figures are those of the real queries.
QUESTIONS = {
    "everything one access key did": ("events_for_access_key", {"access_key": "AKIAIOSFODNN7EXAMPLE"}),
    "calls and denied calls per principal": ("top_talkers", {}),
    "risky console sign-ins (no MFA, failed, root)": ("console_logins_risky", {}),
    "changes to one security group": ("changes_to_resource", {"resource": "sg-0123456789abcdef0"}),
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


def read_columns(sql: str) -> dict[str, set[str]]:
    """The lake tables ``sql`` reads and, per table, the columns it reads from it (an
    over-estimate: every column name of the query that the table may hold). A staging view
    counts as ``events``, read for the events columns its used columns are computed from (and,
    for a view over stg_events, every column its own SQL names)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="athena")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    names = {c.name for c in tree.find_all(exp.Column)}
    reads: dict[str, set[str]] = {}
    for table in {t.name for t in tree.find_all(exp.Table)} - ctes:
        columns = set(names)
        if table != "stg_events" and base_table(table) != table:  # a view over stg_events
            columns |= {c.name for c in sqlglot.parse_one(view_sql(table), read="athena").find_all(exp.Column)}
        if base_table(table) != table:
            columns = set().union(*(source_columns(n) for n in columns))
        reads.setdefault(lake_name(base_table(table)), set()).update(columns - {"dt"})
    return reads


def athena_scan_comparison(engine: Engine, lake_url: str, raw_url: str | None, start, end,
                           key: str = "AKIAIOSFODNN7EXAMPLE") -> pl.DataFrame:
    """Per typical question (``QUESTIONS``: a named query): bytes and Athena cost on raw JSON
    vs the lake's Parquet tables.

    raw: the gzip JSON files of the window's days (Athena cannot skip columns in JSON);
    curated_estimate: the engines' cost-guard estimate of the query (whole Parquet files of the
    partitions it reads); curated_columns: compressed bytes of only the columns it uses
    (Athena's real read). ``key`` is the access key the access-key question asks about.
    """
    import polars as pl

    lake = Lake.at(lake_url)
    raw = raw_bytes_for_days(raw_url, start, end) if raw_url else None
    rows = []
    for question, (name, example) in QUESTIONS.items():
        example = {k: key if k == "access_key" else v for k, v in example.items()}
        sql, values = bound_query(name, **window(start, end), **example)
        estimate = engine.estimate_scan_bytes(sql, values)
        columns = sum(parquet_column_bytes(lake, table, start, end, names)
                      for table, names in read_columns(sql).items())
        rows.append({"question": question, "query": name, "raw_json_bytes": raw,
                     "curated_estimate_bytes": estimate, "curated_columns_bytes": columns,
                     "raw_cost_usd": athena_query_cost(raw) if raw is not None else None,
                     "curated_cost_usd": athena_query_cost(columns)})
    frame = pl.DataFrame(rows, schema={"question": pl.String, "query": pl.String,
                                       "raw_json_bytes": pl.Int64,
                                       "curated_estimate_bytes": pl.Int64,
                                       "curated_columns_bytes": pl.Int64, "raw_cost_usd": pl.Float64,
                                       "curated_cost_usd": pl.Float64})
    return frame.with_columns((pl.col("raw_json_bytes") / pl.col("curated_columns_bytes").clip(1))
                              .round(1).alias("raw_to_curated_ratio"))
