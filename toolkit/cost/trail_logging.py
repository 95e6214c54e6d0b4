"""What the logging itself costs: CloudTrail event volumes and CloudWatch usage -> monthly USD.

Every price comes from ``toolkit.cost.prices`` (the one dated, sourced table); this module only
turns measured volumes into monthly figures and ranks savings. A window of ``days`` days is
scaled to a month of ``HOURS_PER_MONTH / 24`` days (AWS's 730-hour month).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.cost import prices

if TYPE_CHECKING:
    import polars as pl

DAYS_PER_MONTH = prices.HOURS_PER_MONTH / 24
# eventCategory -> price key for one trail copy beyond the free one (management) or any (data).
CATEGORY_PRICE = {
    "Management": "cloudtrail.management_additional_copy",
    "Data": "cloudtrail.data_events",
    "NetworkActivity": "cloudtrail.data_events",  # priced as data events
    "Insight": "cloudtrail.insights",
}


def per_month(count: float, days: int) -> float:
    """A count observed over ``days`` days, scaled to a month."""
    if days <= 0:
        raise ValueError(f"window must be at least one day, got {days}")
    return count / days * DAYS_PER_MONTH


def cloudtrail_logging_cost(volume: pl.DataFrame, days: int, trail_copies: int = 1) -> pl.DataFrame:
    """Monthly CloudTrail charges per service and category from ``cur_logging_volume_daily``.

    ``volume``: event_source, event_category, events (summed over the window). Management
    events: the first copy is free, each further trail copy costs the additional-copy price.
    Data and network-activity events are billed on every copy (one trail assumed to log them).
    """
    import polars as pl

    if trail_copies < 1:
        raise ValueError(f"trail_copies must be 1 or more, got {trail_copies}")
    rate = {cat: prices.price(key) / 100_000 for cat, key in CATEGORY_PRICE.items()}
    billed_copies = {"Management": trail_copies - 1}
    grouped = (volume.group_by("event_source", "event_category")
               .agg(pl.col("events").sum().cast(pl.Int64).alias("events_in_window")))
    rows = []
    for r in grouped.iter_rows(named=True):
        monthly = per_month(r["events_in_window"], days)
        copies = billed_copies.get(r["event_category"], 1)
        rows.append({**r, "events_per_month": round(monthly),
                     "monthly_usd": round(monthly * copies * rate.get(r["event_category"], 0.0), 4)})
    schema = {"event_source": pl.String, "event_category": pl.String, "events_in_window": pl.Int64,
              "events_per_month": pl.Int64, "monthly_usd": pl.Float64}
    return pl.DataFrame(rows, schema=schema).sort(["monthly_usd", "events_per_month", "event_source"],
                                                  descending=[True, True, False])


def cloudwatch_usage(metrics: pl.DataFrame) -> dict[str, int]:
    """Counts that CloudWatch bills, from the exported metrics table.

    ``custom_metrics``: distinct series outside the ``AWS/`` namespaces (CWAgent and your own);
    ``metrics_requested_per_day``: distinct (series, statistic) per exported day, i.e. the
    metrics one daily GetMetricData export requests.
    """
    import polars as pl

    if metrics.is_empty():
        return {"custom_metrics": 0, "metrics_requested_per_day": 0, "days": 0}
    series = ["account_id", "region", "namespace", "metric_name", "dimensions"]
    custom = metrics.filter(~pl.col("namespace").str.starts_with("AWS/")).select(series).unique().height
    day = pl.col("timestamp").dt.date()
    per_day = metrics.group_by(day.alias("day")).agg(pl.struct(*series, "stat").n_unique().alias("n"))
    return {"custom_metrics": custom, "metrics_requested_per_day": int(per_day["n"].max()),
            "days": per_day.height}


def cloudwatch_monitoring_cost(usage: dict[str, int], *, standard_alarms: int = 0,
                               anomaly_alarms: int = 0, logs_ingested_gb_month: float = 0.0,
                               logs_stored_gb: float = 0.0, exports_per_day: int = 1) -> pl.DataFrame:
    """Monthly CloudWatch line items (metrics, GetMetricData, alarms, logs) with their prices."""
    import polars as pl

    requested = round(usage["metrics_requested_per_day"] * exports_per_day * DAYS_PER_MONTH)
    rows = [
        ("custom metrics", usage["custom_metrics"], "metrics",
         prices.custom_metrics_cost(usage["custom_metrics"]), "cloudwatch.custom_metrics.tier1"),
        ("GetMetricData (export)", requested, "metrics requested",
         prices.get_metric_data_cost(requested), "cloudwatch.get_metric_data"),
        ("alarms (standard)", standard_alarms, "alarm metrics",
         prices.alarms_cost(standard=standard_alarms), "cloudwatch.alarm.standard"),
        ("alarms (anomaly detection)", anomaly_alarms, "alarm metrics",
         prices.alarms_cost(anomaly_detection=anomaly_alarms), "cloudwatch.alarm.anomaly_detection"),
        ("logs ingestion", logs_ingested_gb_month, "GB",
         prices.logs_cost(logs_ingested_gb_month), "cloudwatch.logs.ingestion"),
        ("logs storage", logs_stored_gb, "GB-month",
         prices.logs_cost(0.0, logs_stored_gb), "cloudwatch.logs.storage"),
    ]
    return pl.DataFrame(rows, schema={"item": pl.String, "quantity": pl.Float64, "unit": pl.String,
                                      "monthly_usd": pl.Float64, "price_key": pl.String}, orient="row")


def recommendations(cloudtrail: pl.DataFrame, data_drivers: pl.DataFrame, rightsizing: pl.DataFrame,
                    scans: pl.DataFrame, *, trail_copies: int, queries_per_month: int,
                    days: int) -> pl.DataFrame:
    """Ranked actions with monthly dollar savings (largest first); zero-saving ideas left out.

    ``data_drivers``: dimension, name, events (top data-event sources/principals/buckets);
    ``rightsizing``: toolkit.cloudwatch.rightsizing output; ``scans``: question,
    raw_cost_usd, curated_cost_usd per query.
    """
    import polars as pl

    rows = []
    management = cloudtrail.filter(pl.col("event_category") == "Management")["monthly_usd"].sum()
    if trail_copies > 1 and management > 0:
        rows.append(("CloudTrail", f"Consolidate {trail_copies} management-event trails into one "
                     "(only the first copy is free)", management))
    data_rate = prices.price("cloudtrail.data_events") / 100_000
    for r in data_drivers.filter(pl.col("dimension") == "bucket").head(3).iter_rows(named=True):
        saving = per_month(r["events"], days) * data_rate
        rows.append(("CloudTrail", f"Scope data events for bucket {r['name']} with advanced event "
                     "selectors (e.g. writes only) if its reads are not needed", saving))
    for r in rightsizing.filter(pl.col("action") == "downsize").iter_rows(named=True):
        rows.append(("EC2", f"Downsize {r['instance_id']} {r['instance_type']} -> "
                     f"{r['recommended_type']} (CPU p95 {r['cpu_p95']:.1f}%)", r["monthly_savings_usd"]))
    # Without a raw location (the comparison was skipped) there is no raw cost to save on.
    per_query = (scans["raw_cost_usd"] - scans["curated_cost_usd"]).mean() if scans.height else None
    if per_query is not None:
        rows.append(("Athena", f"Query the curated Parquet tables instead of raw JSON "
                     f"({queries_per_month} queries/month)", per_query * queries_per_month))
    frame = pl.DataFrame(rows, schema={"area": pl.String, "recommendation": pl.String,
                                       "monthly_savings_usd": pl.Float64}, orient="row")
    frame = (frame.with_columns(pl.col("monthly_savings_usd").round(2))
             .filter(pl.col("monthly_savings_usd") >= 0.01)  # a cent a month is not an action
             .sort("monthly_savings_usd", descending=True))
    return frame.with_row_index("rank", offset=1)


def logging_totals(cloudtrail: pl.DataFrame, cloudwatch: pl.DataFrame) -> pl.DataFrame:
    """One row per billed line (CloudTrail by category, CloudWatch by item), monthly USD."""
    import polars as pl

    trail = (cloudtrail.group_by("event_category").agg(pl.col("monthly_usd").sum())
             .select(pl.lit("CloudTrail").alias("service"),
                     ("CloudTrail " + pl.col("event_category") + " events").alias("item"), "monthly_usd"))
    watch = cloudwatch.select(pl.lit("CloudWatch").alias("service"), "item", "monthly_usd")
    return pl.concat([trail, watch]).with_columns(pl.col("monthly_usd").round(2)).sort(
        "monthly_usd", "item", descending=[True, False])


def price_sources(keys: list[str] | None = None) -> pl.DataFrame:
    """The price-table rows behind this module's figures (key, usd, unit, as_of, source)."""
    import polars as pl

    keys = keys or sorted({*CATEGORY_PRICE.values(), "cloudtrail.management_first_copy",
                           "cloudwatch.custom_metrics.tier1", "cloudwatch.get_metric_data",
                           "cloudwatch.alarm.standard", "cloudwatch.alarm.anomaly_detection",
                           "cloudwatch.logs.ingestion", "cloudwatch.logs.storage", "athena.scan"})
    rows = [{"key": k, "usd": p.usd, "unit": p.unit, "as_of": p.as_of, "source": p.source}
            for k, p in prices.PRICES.items() if k in keys]
    return pl.DataFrame(rows)
