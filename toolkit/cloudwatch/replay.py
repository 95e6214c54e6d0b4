"""Replay YAML alarms over the lake's metrics and write ``<lake>/cloudwatch/alarm_states/``
(transitions) and ``<lake>/cloudwatch/alarm_checkpoints/`` (the state at the end of each day)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.cloudwatch import catalog
from toolkit.cloudwatch.alarms import (
    Alarm,
    Checkpoint,
    evaluation_interval,
    load_alarms,
    min_samples,
    replay_series,
)
from toolkit.cloudwatch.anomaly import anomaly_bands
from toolkit.cloudwatch.statistics import window_values
from toolkit.cloudwatch.store import merge_partition, read_days
from toolkit.lake import Lake, day_range, join, parse_day

if TYPE_CHECKING:
    import polars as pl

log = logging.getLogger(__name__)
ONE_DAY = dt.timedelta(days=1)


def matching_series(metrics: pl.DataFrame, alarm: Alarm) -> pl.DataFrame:
    """Rows of the alarm's metric (every statistic) whose dimensions match (``*`` = any value)."""
    import polars as pl

    rows = metrics.filter((pl.col("namespace") == alarm.namespace)
                          & (pl.col("metric_name") == alarm.metric_name))
    wanted = {str(k): str(v) for k, v in alarm.dimensions.items()}
    keep = [d for d in rows["dimensions"].unique().to_list() if _dims_match(json.loads(d), wanted)]
    return rows.filter(pl.col("dimensions").is_in(keep))


def _dims_match(dims: dict, wanted: dict) -> bool:
    return set(dims) == set(wanted) and all(v == "*" or dims[k] == v for k, v in wanted.items())


def with_band(series: pl.DataFrame, history: pl.DataFrame, width: float) -> pl.DataFrame:
    """Add lower/upper = expected ± ``width`` sigma from the seasonal baseline of ``history``
    (or of the series itself), like CloudWatch's ANOMALY_DETECTION_BAND(metric, width)."""
    import polars as pl

    def keyed(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(*[pl.lit(v).alias(k) for k, v in
                                    {"account_id": "", "region": "", "namespace": "", "metric_name": "",
                                     "dimensions": "", "stat": ""}.items()],
                                  pl.lit(0, pl.Int32).alias("period_s"))

    scored = anomaly_bands(keyed(series), keyed(history) if history.height else None, width, calibrate=False)
    return scored.select("timestamp", "value", "lower", "upper")


@dataclass
class Timeline:
    """One alarm on one series: its name, identity and window values."""

    alarm: Alarm
    name: str
    dimensions: str
    resource_id: str | None
    windows: pl.DataFrame      # timestamp (window start), value
    step: int                  # seconds between evaluations
    note: str                  # approximation used, or "" / "no datapoints"
    samples: dict | None = None  # SampleCount by window start (low-sample percentile rule)

    def points(self, day: dt.date, band_days: int) -> list[tuple]:
        """(window start, value, lower, upper) that the evaluations of ``day`` can see."""
        import polars as pl

        t0 = _midnight(day)
        reach = dt.timedelta(seconds=self.alarm.period * (self.alarm.range_size + 1))
        part = self.windows.filter((pl.col("timestamp") >= t0 - reach) & (pl.col("timestamp") < t0 + ONE_DAY))
        if self.alarm.band_width is None:
            return [(t, v, None, None) for t, v in part.iter_rows()]
        history = self.windows.filter((pl.col("timestamp") < t0 - reach)
                                      & (pl.col("timestamp") >= t0 - dt.timedelta(days=band_days)))
        if part.is_empty():
            return []
        return list(with_band(part, history, self.alarm.band_width).iter_rows())

    def row(self) -> dict:
        a = self.alarm
        return {"alarm_name": self.name, "namespace": a.namespace, "metric_name": a.metric_name,
                "dimensions": self.dimensions, "resource_id": self.resource_id, "stat": a.stat,
                "period_s": a.period}


def timelines(alarm: Alarm, metrics: pl.DataFrame) -> list[Timeline]:
    """The alarm's timelines: one per matching series; a named series with no data gets one too."""
    import polars as pl

    interval = evaluation_interval(alarm.period, alarm.evaluation_periods)
    wildcard = any(v == "*" for v in alarm.dimensions.values())
    matched = matching_series(metrics, alarm)
    out = []
    for dims in sorted(matched["dimensions"].unique().to_list()):
        rows = matched.filter(pl.col("dimensions") == dims)
        windows, step, note = window_values(rows, alarm.stat, alarm.period, interval)
        resource = rows["resource_id"][0]
        name = f"{alarm.name}/{resource or dims}" if wildcard else alarm.name
        samples = None
        if alarm.evaluate_low_sample_count_percentile == "ignore" and min_samples(alarm.stat):
            counts, count_step, _ = window_values(rows, "SampleCount", alarm.period, interval)
            samples = dict(counts.iter_rows()) if count_step == step else None
            if samples is None:
                note = "; ".join(filter(None, [note, "no SampleCount per window: low-sample rule not applied"]))
        out.append(Timeline(alarm, name, dims, resource, windows, step, f" [{note}]" if note else "", samples))
    if not out and not wildcard:  # the documented "- - - - -" row: the metric is absent
        dims = catalog.dimensions_json({str(k): str(v) for k, v in alarm.dimensions.items()})
        empty = pl.DataFrame(schema={"timestamp": pl.Datetime("us", "UTC"), "value": pl.Float64})
        out.append(Timeline(alarm, alarm.name, dims, catalog.resource_id(alarm.dimensions), empty,
                            interval, " [no datapoints for this metric in the lake]"))
    return out


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def priming_days(alarm: Alarm) -> int:
    """Whole days of metrics before the first day that its first evaluations look at."""
    return -(-alarm.period * (alarm.range_size + 1) // 86_400)


def checkpoint_url(lake: Lake, day: dt.date) -> str:
    """Where the alarm states at the end of ``day`` are kept (JSON, one file per day)."""
    return join(lake.root, "cloudwatch", "alarm_checkpoints", f"dt={day.isoformat()}.json")


def read_checkpoints(lake: Lake, day: dt.date) -> dict[tuple[str, str], Checkpoint] | None:
    """States at the end of ``day`` by (timeline name, dimensions); None when none were saved."""
    url = checkpoint_url(lake, day)
    if not lake.exists(url):
        return None
    with lake.fs.open(url, "r") as fh:
        doc = json.load(fh)
    return {(t["alarm_name"], t["dimensions"]): Checkpoint(
        t["state"], dt.datetime.fromisoformat(t["since"]) if t["since"] else None) for t in doc["timelines"]}


def write_checkpoints(lake: Lake, day: dt.date, states: dict[tuple[str, str], Checkpoint], owned) -> None:
    """Save the end-of-day states, keeping the entries of alarms not replayed now."""
    kept = {k: v for k, v in (read_checkpoints(lake, day) or {}).items() if not owned(k[0])}
    merged = {**kept, **states}
    timelines = [{"alarm_name": name, "dimensions": dims, "state": cp.state,
                  "since": cp.since.isoformat() if cp.since else None}
                 for (name, dims), cp in sorted(merged.items())]
    lake.write_text(checkpoint_url(lake, day), json.dumps({"day": day.isoformat(), "timelines": timelines},
                                                          indent=1))


def replay_days(lines: list[Timeline], days: list[dt.date], start: dict, band_days: int):
    """Replay every timeline day after day; yields (day, transition rows, end-of-day states)."""
    states = dict(start)
    for day in days:
        rows = []
        for line in lines:
            key = (line.name, line.dimensions)
            found, states[key] = replay_series(
                line.alarm, line.points(day, band_days), _midnight(day), _midnight(day) + ONE_DAY,
                step=line.step, initial=states.get(key, Checkpoint()), note=line.note, samples=line.samples)
            rows += [{**line.row(), **r} for r in found]
        yield day, rows, {k: v for k, v in states.items() if k in {(ln.name, ln.dimensions) for ln in lines}}


def carried_states(lake: Lake, first: dt.date, lines: list[Timeline]) -> dict[tuple[str, str], Checkpoint]:
    """The states saved at the end of the day before ``first``.

    A day before that was replayed (it has alarm_states) but has no checkpoint is an error:
    starting over from INSUFFICIENT_DATA would write transitions CloudWatch never made. With no
    replay of that day at all, timelines start from INSUFFICIENT_DATA, as a new alarm does, and
    a warning says so.
    """
    before = first - ONE_DAY
    carried = read_checkpoints(lake, before)
    if carried is None and before in lake.days("alarm_states"):
        raise ValueError(
            f"alarm states of {before} were replayed but their checkpoint {checkpoint_url(lake, before)} "
            f"is missing, so {first} cannot continue from them; replay from {before} or earlier "
            f"(trailwatch alarms replay --start {before} --end {first} ...)")
    fresh = [ln.name for ln in lines if (ln.name, ln.dimensions) not in (carried or {})]
    if fresh:
        shown = ", ".join(fresh[:5]) + (" ..." if len(fresh) > 5 else "")
        log.warning("no saved state at the end of %s for %d timeline(s) (%s): they start from "
                    "INSUFFICIENT_DATA on %s", before, len(fresh), shown, first)
    return carried or {}


def replay_alarms(lake_url: str, start: str | dt.date, end: str | dt.date, alarms_path=None, *,
                  history_days: int = 14, endpoint_url: str | None = None) -> pl.DataFrame:
    """Replay every alarm over [start, end] and write the transitions, one partition per day.

    Evaluations run at CloudWatch's cadence (every minute when the stored data is that fine)
    from 00:00 of ``start`` to the last one before 00:00 after ``end``. The state at the end
    of each day is saved (``cloudwatch/alarm_checkpoints/dt=D.json``) and the next day starts
    from it, so replaying a range at once or day by day gives the same transitions. Metrics
    before ``start`` prime the evaluation range; band alarms learn their baseline from the
    ``history_days`` before each day. Re-running replaces these alarms' rows only.
    """
    import polars as pl

    from toolkit.cloudwatch.schema import ALARM_STATES_SCHEMA, METRICS_SCHEMA

    alarms = load_alarms(alarms_path)
    first, last = parse_day(start), parse_day(end)
    lake = Lake.at(lake_url, endpoint_url)
    lookback = max((priming_days(a) + (history_days if a.band_width else 0) for a in alarms), default=1)
    used = pl.col("metric_name").is_in(sorted({a.metric_name for a in alarms}))
    metrics = read_days(lake, "metrics", first - dt.timedelta(days=lookback), last, METRICS_SCHEMA, used)
    lines = [line for alarm in alarms for line in timelines(alarm, metrics)]
    carried = carried_states(lake, first, lines)
    names = [a.name for a in alarms]

    def owns(name: str) -> bool:
        return name in names or any(name.startswith(n + "/") for n in names)

    owned = pl.col("alarm_name").is_in(names) | pl.any_horizontal(
        *[pl.col("alarm_name").str.starts_with(n + "/") for n in names])
    dtypes = pl.from_arrow(ALARM_STATES_SCHEMA.empty_table()).schema
    frames = []
    for day, rows, states in replay_days(lines, day_range(first, last), carried, history_days):
        part = pl.DataFrame(rows, schema=dtypes) if rows else pl.DataFrame(schema=dtypes)
        merge_partition(lake, "alarm_states", day, part, ALARM_STATES_SCHEMA, owned,
                        sort_by=["alarm_name", "timestamp"])
        write_checkpoints(lake, day, states, owns)
        frames.append(part)
    return pl.concat(frames).sort("alarm_name", "timestamp")
