"""Change impact: "what changed right before this metric went wrong".

Joins ``cur_resource_changes`` (every successful mutating call, by CloudWatch ``resource_id``)
with the ``anomalies`` table (datapoints with their seasonal band) on the same resource,
account and region, within ``window_hours`` around each change. Each (change, series) pair
whose series turned anomalous after the change is scored:

    score = magnitude × ln(1 + anomalous minutes after) × proximity × novelty × kind

* magnitude: mean robust z (capped at 20) of the anomalous points after the change;
* proximity: exp(-lag / (window/4)), lag = first anomalous point after the change;
* novelty: (1 - anomaly rate in the window before the change) × (1 - anomaly rate in the
  hour before it): a series already broken before the change was not broken by it;
* kind: 1 for configuration changes; 0.5 for lifecycle calls (Start/Stop/Reboot) — a restart
  returns a resource to its configuration, so a lasting shift after it points at the
  configuration change made alongside it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from toolkit.charts import metric_with_band
from toolkit.forensics.source import open_source
from toolkit.lake import parse_day
from toolkit.sql.queries import bound_query

if TYPE_CHECKING:
    import altair as alt
    import polars as pl

    from toolkit.config import Settings

DEFAULT_WINDOW_HOURS = 24
SCORE_CAP = 20
LIFECYCLE_WEIGHT = 0.5
RECENT_HOURS = 1
LIFECYCLE_PREFIXES = ("Start", "Stop", "Reboot", "Restart")

def change_impact(lake: str, start: str | dt.date, end: str | dt.date, *,
                  window_hours: float = DEFAULT_WINDOW_HOURS,
                  settings: Settings | None = None) -> pl.DataFrame:
    """Changes between ``start`` and ``end`` ranked by the metric anomalies that followed them.

    One row per change and metric series (highest ``score`` first, ``rank`` from 1).
    """
    start, end = parse_day(start), parse_day(end)
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if not 0 < window_hours <= 24 * 14:
        raise ValueError(f"window_hours must be in (0, 336], got {window_hours}")
    pad = dt.timedelta(days=math.ceil(window_hours / 24))  # partitions the window can reach
    params = {"start": start.isoformat(), "end": end.isoformat(),
              "points_start": (start - pad).isoformat(), "points_end": (end + pad).isoformat(),
              "window_s": float(window_hours * 3600),
              "recent_s": float(min(window_hours, RECENT_HOURS) * 3600)}
    pairs = open_source(lake, settings).query(*bound_query("forensics/change_impact_pairs", **params))
    return rank(pairs, window_hours)


def rank(pairs: pl.DataFrame, window_hours: float) -> pl.DataFrame:
    """Score and order (change, series) pairs; see the module docstring for the formula."""
    import polars as pl

    counts = ["points_after", "anomalies_after", "points_before", "anomalies_before",
              "points_recent_before", "anomalies_recent_before", "period_s"]
    reals = ["first_anomaly_lag_s", "magnitude", "mean_after", "mean_before"]
    pairs = pairs.with_columns(pl.col(counts).cast(pl.Int64), pl.col(reals).cast(pl.Float64))
    lag_h = pl.col("first_anomaly_lag_s") / 3600
    minutes = pl.col("anomalies_after") * pl.col("period_s") / 60
    before_rate = _rate("anomalies_before", "points_before")
    recent_rate = _rate("anomalies_recent_before", "points_recent_before")
    lifecycle = pl.col("event_name").str.contains("^(" + "|".join(LIFECYCLE_PREFIXES) + ")")
    parts = pl.struct(
        magnitude=pl.col("magnitude"),
        duration=(1 + minutes).log(),
        proximity=(-lag_h / (window_hours / 4)).exp(),
        novelty=(1 - before_rate) * (1 - recent_rate),
        kind=pl.when(lifecycle).then(pl.lit(LIFECYCLE_WEIGHT)).otherwise(pl.lit(1.0)),
    )
    scored = pairs.with_columns(
        (pl.col("first_anomaly_lag_s") / 60).alias("lag_minutes"),
        minutes.alias("anomalous_minutes"),
        before_rate.alias("anomaly_rate_before"),
        parts.alias("_p"),
    ).with_columns(
        (pl.col("_p").struct.field("magnitude") * pl.col("_p").struct.field("duration")
         * pl.col("_p").struct.field("proximity") * pl.col("_p").struct.field("novelty")
         * pl.col("_p").struct.field("kind")).alias("score"),
    ).drop("_p", "first_anomaly_lag_s")
    return (scored.sort(["score", "event_time"], descending=[True, False])
            .with_row_index("rank", offset=1)
            .with_columns(pl.col("rank").cast(pl.Int64)))


def _rate(part: str, whole: str) -> pl.Expr:
    import polars as pl

    return pl.when(pl.col(whole) > 0).then(pl.col(part) / pl.col(whole)).otherwise(0.0)


def change_impact_chart(lake: str, row: dict, *, window_hours: float = DEFAULT_WINDOW_HOURS,
                        settings: Settings | None = None) -> alt.Chart:
    """The metric of one ranked row with its band, anomalies and the resource's change markers."""
    source = open_source(lake, settings)
    t = row["event_time"]
    pad = dt.timedelta(hours=window_hours)
    window = {"day_start": (t - pad).date().isoformat(), "day_end": (t + pad).date().isoformat(),
              "t0": (t - pad).isoformat(), "t1": (t + pad).isoformat()}
    series = {k: row[k] for k in ("account_id", "region", "namespace", "metric_name",
                                  "dimensions", "stat", "period_s")}
    points = source.query(*bound_query("forensics/metric_series", **window, **series))
    markers = source.query(*bound_query("forensics/change_markers", **window,
                                        resource_id=row["resource_id"]))
    markers = _label_ranked_only(markers, t)
    title = (f"{row['namespace']} {row['metric_name']} ({row['stat']}) on {row['resource_id']}"
             f" after {row['event_name']}")
    return metric_with_band(points, title=title, changes=markers)


def _label_ranked_only(markers: pl.DataFrame, at: dt.datetime) -> pl.DataFrame:
    """Every change keeps its marker line; only the ranked change keeps its text label
    (dozens of labels at nearby times overlap into an unreadable smear)."""
    import polars as pl

    if markers.is_empty():
        return markers
    nearest = (markers["timestamp"] - at).abs().arg_min()
    return markers.with_columns(pl.when(pl.int_range(pl.len()) == nearest).then(pl.col("label"))
                                .otherwise(pl.lit("")).alias("label"))

