"""EC2 rightsizing: instances whose CPU (and CWAgent memory, where reported) stayed low over the
window get a recommendation one size down in their family, priced from ``toolkit.cost.prices``.

An instance is a candidate when p95 of its CPUUtilization Average is at most ``cpu_p95_max``,
the highest CPUUtilization Maximum at most ``cpu_max_max``, and -- when CWAgent reports
``mem_used_percent`` -- p95 memory at most ``mem_p95_max``. Instances seen on fewer than
``min_days`` days are not judged (a new instance has no history).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from toolkit.cloudwatch.store import read_days
from toolkit.cost.prices import EC2_HOURLY, HOURS_PER_MONTH, ec2_hourly
from toolkit.lake import Lake, parse_day

if TYPE_CHECKING:
    import polars as pl

SIZES = ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "3xlarge", "4xlarge",
         "6xlarge", "8xlarge", "9xlarge", "10xlarge", "12xlarge", "16xlarge", "18xlarge",
         "24xlarge", "32xlarge", "48xlarge")


def one_size_down(instance_type: str, region: str = "us-east-1") -> str | None:
    """The next smaller priced size in the same family (``m5.xlarge`` -> ``m5.large``)."""
    family, _, size = instance_type.partition(".")
    if size not in SIZES:
        return None
    priced = EC2_HOURLY.get(region, {})
    for smaller in reversed(SIZES[:SIZES.index(size)]):
        if f"{family}.{smaller}" in priced:
            return f"{family}.{smaller}"
    return None


def types_from_dimensions(metrics: pl.DataFrame) -> dict[str, str]:
    """InstanceId -> InstanceType where a metric carries both dimensions (CWAgent often does)."""
    found = {}
    for text in metrics["dimensions"].unique().to_list():
        dims = json.loads(text)
        if "InstanceId" in dims and "InstanceType" in dims:
            found[dims["InstanceId"]] = dims["InstanceType"]
    return found


def usage(metrics: pl.DataFrame) -> pl.DataFrame:
    """Per instance: cpu_p95, cpu_max, mem_p95 (null without CWAgent), days_observed."""
    import polars as pl

    cpu = metrics.filter((pl.col("namespace") == "AWS/EC2") & (pl.col("metric_name") == "CPUUtilization")
                         & pl.col("resource_id").is_not_null())
    avg = cpu.filter(pl.col("stat") == "Average")
    stats = avg.group_by("resource_id").agg(
        pl.col("value").quantile(0.95, "linear").alias("cpu_p95"),
        pl.col("value").max().alias("cpu_max_of_avg"),
        pl.col("timestamp").dt.date().n_unique().alias("days_observed"))
    peaks = cpu.filter(pl.col("stat") == "Maximum").group_by("resource_id").agg(
        pl.col("value").max().alias("cpu_max_stat"))
    mem = metrics.filter((pl.col("namespace") == "CWAgent") & (pl.col("metric_name") == "mem_used_percent")
                         & (pl.col("stat") == "Average")).group_by("resource_id").agg(
        pl.col("value").quantile(0.95, "linear").alias("mem_p95"))
    return (stats.join(peaks, on="resource_id", how="left").join(mem, on="resource_id", how="left")
            .with_columns(pl.coalesce("cpu_max_stat", "cpu_max_of_avg").alias("cpu_max"))
            .drop("cpu_max_stat", "cpu_max_of_avg").rename({"resource_id": "instance_id"}))


def rightsizing(metrics: pl.DataFrame, instance_types: dict[str, str] | None = None, *,
                region: str = "us-east-1", cpu_p95_max: float = 40.0, cpu_max_max: float = 70.0,
                mem_p95_max: float = 60.0, min_days: int = 7) -> pl.DataFrame:
    """One row per EC2 instance: its usage, ``action`` and, for ``downsize``, the savings.

    ``action``: downsize | keep | too_little_data | unknown_type | no_smaller_size.
    """
    import polars as pl

    types = {**types_from_dimensions(metrics), **(instance_types or {})}
    rows = []
    for u in usage(metrics).sort("instance_id").iter_rows(named=True):
        itype = types.get(u["instance_id"])
        low = (u["cpu_p95"] <= cpu_p95_max and u["cpu_max"] <= cpu_max_max
               and (u["mem_p95"] is None or u["mem_p95"] <= mem_p95_max))
        target = one_size_down(itype, region) if itype else None
        if u["days_observed"] < min_days:
            action = "too_little_data"
        elif not low:
            action = "keep"
        elif itype is None or _price(itype, region) is None:
            action = "unknown_type"
        elif target is None:
            action = "no_smaller_size"
        else:
            action = "downsize"
        now_hourly = _price(itype, region) if itype else None
        new_hourly = ec2_hourly(target, region) if action == "downsize" else None
        savings = round((now_hourly - new_hourly) * HOURS_PER_MONTH, 2) if new_hourly is not None else 0.0
        rows.append({**u, "instance_type": itype, "action": action,
                     "recommended_type": target if action == "downsize" else None,
                     "hourly_usd": now_hourly, "recommended_hourly_usd": new_hourly,
                     "monthly_savings_usd": savings})
    schema = {"instance_id": pl.String, "cpu_p95": pl.Float64, "days_observed": pl.UInt32,
              "mem_p95": pl.Float64, "cpu_max": pl.Float64, "instance_type": pl.String,
              "action": pl.String, "recommended_type": pl.String, "hourly_usd": pl.Float64,
              "recommended_hourly_usd": pl.Float64, "monthly_savings_usd": pl.Float64}
    return pl.DataFrame(rows, schema=schema).sort("monthly_savings_usd", "instance_id",
                                                  descending=[True, False])


def _price(instance_type: str, region: str) -> float | None:
    try:
        return ec2_hourly(instance_type, region)
    except ValueError:
        return None


def rightsizing_from_lake(lake_url: str, day: str | dt.date, *, window_days: int = 14,
                          instance_types: dict[str, str] | None = None, **thresholds) -> pl.DataFrame:
    """Rightsizing over the ``window_days`` ending on ``day`` (inclusive)."""
    import polars as pl

    from toolkit.cloudwatch.schema import METRICS_SCHEMA

    day = parse_day(day)
    used = pl.col("namespace").is_in(["AWS/EC2", "CWAgent"])  # usage() and the CWAgent instance types
    metrics = read_days(Lake.at(lake_url), "metrics", day - dt.timedelta(days=window_days - 1), day,
                        METRICS_SCHEMA, used)
    return rightsizing(metrics, instance_types, **thresholds)
