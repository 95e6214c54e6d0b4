"""Getting datapoints in and out of the lake: CSV/console exports into ``metrics``, and the
``metrics`` table read back as polars (filters pushed into the Parquet scan)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.cloudwatch import catalog
from toolkit.cloudwatch.store import read_days, write_by_day
from toolkit.lake import Lake

if TYPE_CHECKING:
    import polars as pl

log = logging.getLogger(__name__)


def read_metrics(lake_url: str, start: str | dt.date, end: str | dt.date, *,
                 namespace: str | None = None, metric_name: str | None = None,
                 resource_id: str | None = None, stat: str | None = None,
                 endpoint_url: str | None = None) -> pl.DataFrame:
    """The metrics table between two days (inclusive), optionally filtered, with ``dt``."""
    import polars as pl

    from toolkit.cloudwatch.schema import METRICS_SCHEMA

    wanted = [pl.col(column) == value for column, value in (
        ("namespace", namespace), ("metric_name", metric_name), ("resource_id", resource_id),
        ("stat", stat)) if value is not None]
    where = pl.all_horizontal(wanted) if wanted else None
    return read_days(Lake.at(lake_url, endpoint_url), "metrics", start, end, METRICS_SCHEMA, where)


def parse_dimensions(pairs: list[str] | None) -> dict[str, str]:
    """``["InstanceId=i-1", ...]`` -> dict, with a clear error on a malformed pair."""
    dims = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise ValueError(f"dimension {pair!r} is not NAME=VALUE")
        dims[name] = value
    return dims


def read_csv_series(path: str | Path) -> pl.DataFrame:
    """A ``timestamp,value`` export as (timestamp UTC, value) in file order; times without a zone are UTC."""
    import polars as pl

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"CSV file {path} does not exist")
    try:
        raw = pl.read_csv(path, schema_overrides={"timestamp": pl.String, "value": pl.Float64})
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise ValueError(f"{path}: not a timestamp,value CSV: {exc}") from None
    if raw.columns[:2] != ["timestamp", "value"]:
        raise ValueError(f"{path}: expected columns timestamp,value, found {','.join(raw.columns)}")
    text = pl.col("timestamp").str.strip_chars().str.replace("T", " ").str.replace(r"(Z|[+-]00:?00)$", "")
    parsed = raw.with_columns(text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_zone="UTC",
                                                   time_unit="us").alias("ts"))
    bad = parsed.filter(pl.col("ts").is_null() | pl.col("value").is_null())
    if bad.height:
        first = bad.row(0, named=True)
        raise ValueError(f"{path}: {bad.height} row(s) with an unreadable timestamp or value, "
                         f"first: {first['timestamp']!r},{first['value']!r}")
    return parsed.select(pl.col("ts").alias("timestamp"), "value")


def infer_period(timestamps: pl.Series) -> int:
    """The series' period: the most common step between timestamps, in seconds."""
    steps = timestamps.diff().drop_nulls().dt.total_seconds()
    if steps.is_empty():
        return 60
    return int(steps.mode().sort()[0])


def valid_period(seconds: int) -> bool:
    """A period CloudWatch stores: 1, 5, 10, 20, 30 seconds (high resolution) or whole minutes."""
    return seconds in (1, 5, 10, 20, 30) or (seconds > 0 and seconds % 60 == 0)


def import_csv(csv: str | Path, lake_url: str, namespace: str, metric_name: str, *,
               dimensions: dict[str, str] | None = None, stat: str = "Average",
               unit: str | None = None, account_id: str | None = None, region: str | None = None,
               period: int | None = None, endpoint_url: str | None = None) -> dict:
    """Load a console/CSV export into ``metrics`` (one partition per UTC day; idempotent).

    Re-importing the same series replaces its rows and leaves every other series alone.
    Rows that repeat a timestamp are counted (``repeated_timestamps``; the last one is kept):
    ``rows_read == rows + repeated_timestamps``. ``period`` is the datapoints' period in seconds;
    without it the most common gap between timestamps is used and the result says so
    (``period_source``): a sparse series (Sum datapoints 30 minutes apart from a 5-minute
    metric) would otherwise be mislabelled.
    """
    import polars as pl

    from toolkit.cloudwatch.schema import METRICS_SCHEMA

    rows = read_csv_series(csv)
    if rows.is_empty():
        raise ValueError(f"{csv}: no datapoints")
    # CloudWatch holds one datapoint per period and timestamp: a repeated timestamp is an export
    # artefact (e.g. local-time DST repeats). The last row of each wins, and the result counts them.
    series = rows.unique("timestamp", keep="last", maintain_order=True).sort("timestamp")
    repeated = rows.height - series.height
    if repeated:
        log.warning("%s: %d row(s) repeat an earlier timestamp; kept the last row of each timestamp",
                    csv, repeated)
    dims = dimensions or {}
    dims_text = catalog.dimensions_json(dims)
    if period is not None and not valid_period(period):
        raise ValueError(f"period {period}s is not a CloudWatch period (1, 5, 10, 20, 30 or a multiple of 60)")
    period_source = "given" if period else "inferred from the most common gap"
    period = period or infer_period(series["timestamp"])
    if period_source != "given":
        log.warning("%s: no --period given; inferred %ds from the most common gap between timestamps",
                    csv, period)
    frame = series.with_columns(
        pl.lit(account_id, pl.String).alias("account_id"), pl.lit(region, pl.String).alias("region"),
        pl.lit(namespace).alias("namespace"), pl.lit(metric_name).alias("metric_name"),
        pl.lit(dims_text).alias("dimensions"),
        pl.lit(catalog.resource_id(dims), pl.String).alias("resource_id"),
        pl.lit(stat).alias("stat"), pl.lit(period, pl.Int32).alias("period_s"),
        pl.lit(unit or catalog.unit_for(metric_name, stat), pl.String).alias("unit"))

    def owned(_part):
        return ((pl.col("namespace") == namespace) & (pl.col("metric_name") == metric_name)
                & (pl.col("dimensions") == dims_text) & (pl.col("stat") == stat)
                & pl.col("account_id").eq_missing(pl.lit(account_id, pl.String))
                & pl.col("region").eq_missing(pl.lit(region, pl.String)))

    lake = Lake.at(lake_url, endpoint_url)
    days = write_by_day(lake, "metrics", frame, METRICS_SCHEMA, owned,
                        ["namespace", "metric_name", "dimensions", "stat", "timestamp"])
    return {"csv": str(csv), "rows_read": rows.height, "repeated_timestamps": repeated, "rows": frame.height,
            "period_s": period, "period_source": period_source, "stat": stat, "days": days}
