"""Replay YAML alarms over the lake's metrics and write ``<lake>/cloudwatch/alarm_states/``."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from toolkit.cloudwatch.alarms import Alarm, load_alarms, replay_series
from toolkit.lake import Lake, day_range, parse_day

if TYPE_CHECKING:
    import polars as pl

# How finer datapoints roll up into an alarm's longer period (percentiles: worst case, max).
ROLLUP = {"Average": "mean", "Maximum": "max", "Minimum": "min", "Sum": "sum", "SampleCount": "sum"}


def matching_series(metrics: pl.DataFrame, alarm: Alarm) -> pl.DataFrame:
    """Rows of the alarm's metric and statistic whose dimensions match (``*`` = any value)."""
    import polars as pl

    rows = metrics.filter((pl.col("namespace") == alarm.namespace)
                          & (pl.col("metric_name") == alarm.metric_name) & (pl.col("stat") == alarm.stat))
    wanted = {str(k): str(v) for k, v in alarm.dimensions.items()}
    keep = [d for d in rows["dimensions"].unique().to_list() if _dims_match(json.loads(d), wanted)]
    return rows.filter(pl.col("dimensions").is_in(keep))


def _dims_match(dims: dict, wanted: dict) -> bool:
    return set(dims) == set(wanted) and all(v == "*" or dims[k] == v for k, v in wanted.items())


def at_period(rows: pl.DataFrame, alarm: Alarm) -> pl.DataFrame:
    """One value per alarm period: exact-period rows, else finer periods rolled up."""
    import polars as pl

    exact = rows.filter(pl.col("period_s") == alarm.period)
    if exact.height:
        return exact.select("timestamp", "value")
    finer = rows.filter((pl.col("period_s") < alarm.period) & (alarm.period % pl.col("period_s") == 0))
    if finer.is_empty():
        return rows.clear().select("timestamp", "value")
    finest = finer["period_s"].min()
    agg = getattr(pl.col("value"), ROLLUP.get(alarm.stat, "max"))()
    return (finer.filter(pl.col("period_s") == finest).sort("timestamp")
            .group_by_dynamic("timestamp", every=f"{alarm.period}s").agg(agg))


def with_band(series: pl.DataFrame, history: pl.DataFrame, width: float) -> pl.DataFrame:
    """Add lower/upper from the seasonal baseline of ``history`` (or of the series itself)."""
    import polars as pl

    from toolkit.cloudwatch.anomaly import anomaly_bands

    def keyed(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(*[pl.lit(v).alias(k) for k, v in
                                    {"account_id": "", "region": "", "namespace": "", "metric_name": "",
                                     "dimensions": "", "stat": ""}.items()],
                                  pl.lit(0, pl.Int32).alias("period_s"))

    scored = anomaly_bands(keyed(series), keyed(history) if history.height else None, width)
    return scored.select("timestamp", "value", "lower", "upper")


def replay_alarm(alarm: Alarm, metrics: pl.DataFrame, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Transitions of one alarm (one timeline per matching series) over [start, end]."""
    import polars as pl

    rows = []
    matched = matching_series(metrics, alarm)
    for dims in sorted(matched["dimensions"].unique().to_list()):
        series_rows = matched.filter(pl.col("dimensions") == dims)
        series = at_period(series_rows, alarm).sort("timestamp")
        if alarm.band_width is not None:
            history = series.filter(pl.col("timestamp") < start)
            series = with_band(series, history, alarm.band_width)
        else:
            series = series.with_columns(pl.lit(None, pl.Float64).alias("lower"),
                                         pl.lit(None, pl.Float64).alias("upper"))
        points = list(series.select("timestamp", "value", "lower", "upper").iter_rows())
        resource = series_rows["resource_id"][0]
        wildcard = any(v == "*" for v in alarm.dimensions.values())
        name = f"{alarm.name}/{resource or dims}" if wildcard else alarm.name
        for row in replay_series(alarm, points, start, end):
            rows.append({"alarm_name": name, **row, "namespace": alarm.namespace,
                         "metric_name": alarm.metric_name, "dimensions": dims, "resource_id": resource,
                         "stat": alarm.stat, "period_s": alarm.period})
    return rows


def replay_alarms(lake_url: str, start: str | dt.date, end: str | dt.date, alarms_path=None, *,
                  history_days: int = 14, endpoint_url: str | None = None) -> pl.DataFrame:
    """Replay every alarm over [start, end] and write the transitions, one partition per day.

    The day before ``start`` primes the evaluation range; band alarms learn their baseline from
    the ``history_days`` before ``start``. Re-running replaces these alarms' rows only.
    """
    import polars as pl

    from toolkit.cloudwatch.schema import ALARM_STATES_SCHEMA, METRICS_SCHEMA
    from toolkit.cloudwatch.store import merge_partition, read_days

    alarms = load_alarms(alarms_path)
    first, last = parse_day(start), parse_day(end)
    lake = Lake.at(lake_url, endpoint_url)
    lookback = history_days if any(a.band_width for a in alarms) else 1
    metrics = read_days(lake, "metrics", first - dt.timedelta(days=lookback), last, METRICS_SCHEMA)
    t0 = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    t1 = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    until = t1 - dt.timedelta(microseconds=1)  # the 24:00 evaluation belongs to the next day
    rows = [r for alarm in alarms for r in replay_alarm(alarm, metrics, t0, until)]
    dtypes = pl.from_arrow(ALARM_STATES_SCHEMA.empty_table()).schema
    states = pl.DataFrame(rows, schema=dtypes) if rows else pl.DataFrame(schema=dtypes)
    names = [a.name for a in alarms]
    owned = pl.col("alarm_name").is_in(names) | pl.any_horizontal(
        *[pl.col("alarm_name").str.starts_with(n + "/") for n in names])
    for day in day_range(first, last):
        # a transition at 24:00 belongs to the next day's partition (timestamps are period ends)
        part = states.filter(pl.col("timestamp").dt.date() == day)
        merge_partition(lake, "alarm_states", day, part, ALARM_STATES_SCHEMA, owned,
                        sort_by=["alarm_name", "timestamp"])
    return states
