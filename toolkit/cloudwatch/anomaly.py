"""Anomaly bands worth paging on: a seasonal, level-following baseline per series.

For every series (account, region, namespace, metric, dimensions, stat, period) and every
datapoint, using only what came before it:

* **season** -- the median offset of each hour of day (hour of week once the history spans
  three weeks) from the series' one-day rolling median, learnt from the history. Levels and
  shifts inside the history do not leak into the profile.
* **level** -- the median of the deseasonalised values of the previous ``LEVEL_HOURS``; it
  follows trends. After a *shift* (``MIN_RUN`` datapoints in a row beyond the run bar, same
  side) the level restarts from the shifted datapoints: a shift pages its first datapoints and
  the band sits at the new level from the next one. Shifts are judged on the same scale as the
  flags (the local spread in a noisier regime), so no blip moves the level without a page. A shift back to the level before the
  previous one is a *return* and does not page (what pages is the departure, not the recovery).
* **expected** = level + season; the **score** is ``(value - expected) / scale``. The scale is
  the history's residual spread (scaled MAD or mean absolute deviation, whichever is larger),
  floored at the series' *quantum* -- the step its values really move by (0.066 % on an idle
  instance, not a 0.002 rounding difference) -- and at 1 % of the level; when the spread of
  the last ``LOCAL_HOURS`` is ``LOCAL_RATIO`` times that, the recent spread is used (a noisier
  regime after a shift is not a stream of pages).
* **bars per series and side** -- a datapoint pages when it is a *spike* (score beyond the spike
  bar) or ends a *run* of ``MIN_RUN`` same-side datapoints beyond the run bar. The bars come
  from what the history's own days reach: for each day, its largest spike and run statistic,
  up and down apart (a CPU that drops to 0 every night may still page on a modest spike up).
  A bar is the larger of the typical day (median over days) and the recent regime (the smaller
  of the last two days: a change that held two days is the new normal), times ``SPIKE_MARGIN``
  / ``RUN_MARGIN``, and at least ``SPIKE_FLOOR x width`` / ``width``; a spike bar is never
  below the run bar (one datapoint needs at least what two in a row need). A few anomalous days in the
  history move no bar; bursts the series makes every day do not page.
* **recurring extremes** -- a page must also beat, by ``RECUR_MARGIN``, the typical daily
  extreme residual within an hour of that time of day: a nightly job's spike is routine. The
  spikes this rule excuses set no spike bar either: a nightly spike of 20 sigma does not hide a
  7 sigma spike at another hour.
* **missing activity** -- on a series with routine activity (a peak ``SILENCE_CONTRAST`` sigma
  clear of its median: bursts, busy hours), one datapoint pages when the time since the last
  activity outlasts the longest quiet stretch of at least ``SILENCE_HISTORY`` of history by
  ``SILENCE_GRACE``: the job that ran every few hours has stopped.

The band (``lower``, ``upper``) is ``expected`` ± the run bars x scale (clipped at 0 for metrics
that never go negative); ``calibrate=False`` (alarm bands) keeps ``expected ± width x sigma`` on
the plain rolling level. Series with less than ``MIN_HISTORY`` of history get bands from
themselves but no flags: bars cannot be calibrated on nothing, and a page on the first day of a
lake would be a guess. A *young* series (``MIN_HISTORY`` to ``FULL_HISTORY`` of history: a
metric that appeared this morning) is judged without a season, on bars calibrated on what
history it has and made ``YOUNG_MARGIN`` times stricter. ``anomaly_episodes`` groups flags
into episodes (start, end, peak, expected at the peak) -- what a page would carry. ``benchmarks/anomaly.py`` scores this on
NAB's 17 labelled CloudWatch series (tuning and held-out apart) against the previous detector
and an IsolationForest; ``--folds`` checks the constants on series they were not chosen on.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING

from toolkit.cloudwatch.store import read_days
from toolkit.lake import Lake, parse_day

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

log = logging.getLogger(__name__)

KEY = ["account_id", "region", "namespace", "metric_name", "dimensions", "stat", "period_s"]
MAD_TO_SIGMA = 1.4826
DEFAULT_WIDTH = 3.0
LEVEL_HOURS = 3.0
MIN_RUN = 2
SPIKE_MARGIN = 1.2
SPIKE_FLOOR = 2.0  # x width; 1.0 (days and run bar alone decide) catches one more NAB window early
                  # but pages noise on held-out rds_cpu_utilization_e47b3b; --folds scores both
RUN_MARGIN = 1.5
LOCAL_HOURS = 6.0
LOCAL_RATIO = 2.0
MIN_DAY_FRACTION = 0.5  # a history day counts for calibration when it holds half a day of datapoints
RECUR_MARGIN = 1.1   # a deviation must beat what happens daily at that hour by 10 %
RELATIVE_FLOOR = 0.01
WEEKLY_AFTER = dt.timedelta(days=21)
MIN_HISTORY = dt.timedelta(hours=2 * LEVEL_HOURS)  # a level window, and as much again for the scale
SEASON_HISTORY = dt.timedelta(hours=40)  # a daily profile needs more than one full day
FULL_HISTORY = dt.timedelta(hours=20)  # less than this is a young series: stricter bars
YOUNG_MARGIN = 1.5
FREQUENT = 0.01  # a value seen in at least 1 % of datapoints is a level the metric sits on
ACTIVE_SHARE = 0.5   # a datapoint is activity when it is at least half-way up to the usual daily peak
SILENCE_CONTRAST = 3 * DEFAULT_WIDTH  # ... and the silence rule only holds for a peak this many sigma up
SILENCE_HISTORY = dt.timedelta(days=7)  # the longest quiet stretch of a week at least (weekends too)
SILENCE_GRACE = dt.timedelta(hours=1)   # a job that runs late by up to an hour is not missing


def quantum(values: np.ndarray) -> float:
    """The step a quantized metric really moves by (0.0 for a continuous one).

    A quantized metric spends most of its time on a few frequent values (each at least
    ``FREQUENT`` of the datapoints). Neighbouring frequent values closer than a quarter of the
    widest gap between them are one level seen through rounding jitter (0.066 and 0.068); the
    quantum is the median distance between the centres of those levels (0.067, not 0.002),
    provided the centres sit on its multiples (a quantum grid starts at zero).
    """
    import numpy as np

    if values.size < 20:
        return 0.0
    uniq, counts = np.unique(values, return_counts=True)
    keep = counts >= FREQUENT * values.size
    if keep.sum() < 2 or counts[keep].sum() < 0.5 * values.size:
        return 0.0
    levels, weights = uniq[keep], counts[keep]
    cuts = np.flatnonzero(np.diff(levels) >= 0.25 * np.diff(levels).max()) + 1
    centres = [float(np.average(lv, weights=w)) for lv, w in
               zip(np.split(levels, cuts), np.split(weights, cuts), strict=True)]
    if len(centres) < 2:
        return 0.0
    step = float(np.median(np.diff(centres)))
    multiples = np.array(centres) / step
    # a grid starts at zero: levels at 11 and 51 are two regimes, not a quantum of 40
    on_grid = np.all(np.abs(multiples - np.round(multiples)) < 0.15) and np.round(multiples).min() >= 0
    return step if on_grid else 0.0


def _buckets(ts: pl.Series, season: str) -> np.ndarray:
    hour = ts.dt.hour().cast(int).to_numpy()
    if season == "hour_of_week":
        return (ts.dt.weekday().cast(int).to_numpy() - 1) * 24 + hour
    return hour


def _points_per(span: dt.timedelta, ts: pl.Series) -> int:
    step = ts.diff().drop_nulls().dt.total_seconds().median() if ts.len() > 1 else 300
    return max(3, round(span.total_seconds() / (step or 300)))


def seasonal_profile(ts: pl.Series, values: np.ndarray, season: str) -> dict[int, float]:
    """Median offset per seasonal bucket from the one-day rolling median (history only)."""
    import numpy as np
    import polars as pl

    if values.size == 0 or ts.max() - ts.min() < SEASON_HISTORY:
        return {}
    day = _points_per(dt.timedelta(days=1), ts)
    # only full, centred one-day windows: a truncated window at the edges of the history is
    # pulled towards the half-day it sees and would bend the profile at midnight
    trend = pl.Series(values).rolling_median(day, center=True, min_samples=day).to_numpy()
    detrended, buckets = values - trend, _buckets(ts, season)
    return {int(b): float(np.nanmedian(detrended[buckets == b])) for b in np.unique(buckets)
            if np.isfinite(detrended[buckets == b]).any()}


def score_series(hist_ts: pl.Series, hist: np.ndarray, ts: pl.Series, values: np.ndarray,
                 width: float = DEFAULT_WIDTH, season: str = "auto",
                 calibrate: bool = True) -> dict[str, np.ndarray]:
    """expected, lower, upper, score, is_anomaly for ``values`` given the history before them.

    ``calibrate=False`` makes the band exactly ``expected ± width x sigma`` (what an alarm's
    band width means) instead of widening it to what the history's own days reach.
    """
    import numpy as np
    import polars as pl

    self_baseline = hist.size == 0 or hist_ts.max() - hist_ts.min() < MIN_HISTORY
    if self_baseline:
        hist_ts, hist = ts, values
    if season == "auto":
        season = "hour_of_week" if hist_ts.max() - hist_ts.min() >= WEEKLY_AFTER else "hour_of_day"
    profile = seasonal_profile(hist_ts, hist, season)
    all_ts = ts if self_baseline else pl.concat([hist_ts, ts])
    all_v = values if self_baseline else np.concatenate([hist, values])
    n_hist = 0 if self_baseline else hist.size
    offset = np.array([profile.get(int(b), 0.0) for b in _buckets(all_ts, season)])
    window = _points_per(dt.timedelta(hours=LEVEL_HOURS), all_ts)
    x = all_v - offset
    # first pass: a plain rolling level gives the scale and provisional thresholds; the second
    # re-bases the level after each confirmed shift and is what the flags are judged on
    level = (pl.Series(x).rolling_median(window, min_samples=max(2, window // 4)).shift(1).to_numpy())
    level = np.where(np.isnan(level), np.nanmedian(all_v), level)
    past = (all_v - offset - level)[: n_hist or None][window:]
    if past.size < 2:
        past = all_v - offset - level
    sigma = max(MAD_TO_SIGMA * float(np.median(np.abs(past - np.median(past)))),
                float(np.mean(np.abs(past - np.median(past)))),
                quantum(hist), RELATIVE_FLOOR * abs(float(np.median(hist))), 1e-9)
    days = all_ts.dt.date().to_numpy()
    bars = calibrate_bars((x - level) / sigma, days, n_hist, window, width, calibrate)
    local = _points_per(dt.timedelta(hours=LOCAL_HOURS), all_ts) if calibrate else 0
    returns = np.zeros(all_v.size, dtype=bool)
    if calibrate:  # an alarm's band (calibrate=False) keeps the plain model: no re-basing
        # a shift is judged on the scale the flags are: a blip the flags see as noise moves no level
        shift_scale = _local_scale(x - level, sigma, local)
        level, returns = _shifting_level(x, window, bars.run_up * shift_scale, bars.run_down * shift_scale,
                                         float(np.nanmedian(all_v)))
    expected = level + offset
    resid = all_v - expected
    scale = _local_scale(resid, sigma, local)
    z = resid / scale
    unusual = np.ones(all_v.size, dtype=bool)
    if not self_baseline:
        high, low = recurring_extremes(all_ts[:n_hist], resid[:n_hist])
        hour = all_ts.dt.hour().cast(int).to_numpy()
        unusual = (resid > RECUR_MARGIN * high[hour]) | (resid < RECUR_MARGIN * low[hour])
    # the bars are what the history's days reach where a page was possible: a nightly job's
    # spike, excused by the recurrence rule, does not also raise the bar for the rest of the day
    bars = calibrate_bars(z, days, n_hist, window, width, calibrate, unusual)
    if calibrate and not self_baseline and hist_ts.max() - hist_ts.min() < FULL_HISTORY:
        bars = Bars(*(YOUNG_MARGIN * b for b in astuple(bars)))
    flags = _flags(z, bars) & ~returns & unusual
    if calibrate and not self_baseline:
        flags |= _silence_ends(all_ts, all_v, n_hist, sigma)
    flags[:window] = False  # the level needs LEVEL_HOURS of datapoints before it means anything
    if self_baseline:
        flags[:] = False  # nothing to calibrate on: bands to look at, no pages
    lower = expected - bars.run_down * scale
    if float(np.min(all_v)) >= 0:
        lower = np.maximum(lower, 0.0)
    cut = slice(n_hist, None)
    return {"expected": expected[cut], "lower": lower[cut], "upper": (expected + bars.run_up * scale)[cut],
            "score": z[cut], "is_anomaly": flags[cut]}


@dataclass(frozen=True)
class Bars:
    """Thresholds in units of sigma, each side apart (a CPU that dips to 0 daily may never spike)."""

    run_up: float
    run_down: float
    spike_up: float
    spike_down: float


def _local_scale(resid: np.ndarray, sigma: float, local: int) -> np.ndarray:
    """The scale per datapoint: the history's ``sigma``, or the spread (scaled MAD) of the previous
    ``local`` residuals once it is ``LOCAL_RATIO`` times that -- a noisier regime within hours."""
    import numpy as np
    import polars as pl

    if not local:
        return np.full(resid.size, sigma)
    spread = (MAD_TO_SIGMA * pl.Series(np.abs(resid)).rolling_median(local, min_samples=local // 2)
              .shift(1).to_numpy())
    spread = np.nan_to_num(spread)
    return np.where(spread > LOCAL_RATIO * sigma, spread, sigma)


def _run_statistic(z: np.ndarray) -> np.ndarray:
    """Signed: the smallest |score| of the ``MIN_RUN`` datapoints ending here when they all
    deviate the same way, with their sign (0 otherwise). A run flags when it passes the bar."""
    import numpy as np

    z = np.nan_to_num(z)
    out = z.copy()
    for lag in range(1, MIN_RUN):
        prev = np.concatenate([np.zeros(lag), z[:-lag]])
        same = np.sign(prev) == np.sign(z)
        out = np.where(same, np.sign(z) * np.minimum(np.abs(out), np.abs(prev)), 0.0)
    out[: MIN_RUN - 1] = 0.0
    return out


def calibrate_bars(z: np.ndarray, days: np.ndarray, n_hist: int, skip: int, width: float,
                   calibrate: bool = True, could_page: np.ndarray | None = None) -> Bars:
    """The bars from what the history's days reach.

    For each full day of history (``MIN_DAY_FRACTION`` of the fullest), its largest upward and
    downward spike and run statistic. A statistic's bar is the larger of
    the *typical* day (median over days) and the *recent* regime (the smaller of the last two
    days: a change that held two days is the series' new normal), times its margin. A few
    anomalous days in the history move no bar; a series whose every day has a 50 % burst gets a
    bar above its bursts. Floors: ``width`` for runs, ``SPIKE_FLOOR x width`` for spikes, and a
    spike bar is at least its side's run bar (uncalibrated: ``2 x width`` for spikes). Datapoints outside ``could_page`` (excused as recurring)
    set no spike bar.
    """
    import numpy as np

    floor = Bars(width, width, 2 * width, 2 * width)
    if n_hist == 0 or not calibrate:
        return floor
    hz = np.nan_to_num(z[:n_hist]).copy()
    runs = _run_statistic(z[:n_hist])
    hz[:skip], runs[:skip] = 0.0, 0.0
    if could_page is not None:  # excused spikes set no spike bar (a daily burst keeps its run bar)
        hz[~could_page[:n_hist]] = 0.0
    hd = days[:n_hist]
    full = _full_days(hd)
    if not full:
        return floor
    masks = [hd == d for d in full]

    def bar(stat: np.ndarray, margin: float, low: float) -> float:
        maxima = [float(stat[m].max()) for m in masks]
        typical = float(np.median(maxima))
        recent = min(maxima[-2:]) if len(maxima) >= 2 else typical
        return max(low, margin * max(typical, recent, 0.0))

    up, down = bar(runs, RUN_MARGIN, width), bar(-runs, RUN_MARGIN, width)
    return Bars(run_up=up, run_down=down, spike_up=max(up, bar(hz, SPIKE_MARGIN, SPIKE_FLOOR * width)),
                spike_down=max(down, bar(-hz, SPIKE_MARGIN, SPIKE_FLOOR * width)))


def _shifting_level(x: np.ndarray, window: int, up: np.ndarray, down: np.ndarray,
                    fallback: float) -> tuple[np.ndarray, np.ndarray]:
    """The median of the previous ``window`` deseasonalised values, re-based after a shift.

    When ``MIN_RUN`` datapoints in a row sit beyond the run bar (``up`` / ``down``) on the same
    side, the level restarts from them: a level shift flags its first datapoints and the band is
    at the new level from the next one (not an hour later). A run that lands back within the
    bar of the level before the last shift is a *return* (the series went back to where it
    was): it re-bases the level too but is returned in the mask so it does not flag.
    Vectorised between shifts: the rolling median is recomputed from each shift onwards.
    """
    import numpy as np
    import polars as pl

    def rolling(part: np.ndarray, minimum: int) -> np.ndarray:
        return pl.Series(part).rolling_median(window, min_samples=minimum).shift(1).to_numpy()

    level = rolling(x, max(2, window // 4))
    level = np.where(np.isnan(level), fallback, level)
    returns = np.zeros(x.size, dtype=bool)
    previous, begin = np.nan, 0
    while True:
        dev = x - level
        side = np.where(dev > up, 1, np.where(dev < -down, -1, 0))
        side[:begin] = 0
        run = side != 0
        for lag in range(1, MIN_RUN):
            run[lag:] &= side[lag:] == side[:-lag]
            run[:lag] = False
        hits = np.flatnonzero(run[begin + MIN_RUN - 1:])
        if hits.size == 0:
            return level, returns
        end = begin + MIN_RUN - 1 + int(hits[0])
        first = end - MIN_RUN + 1
        stretch = x[first:end + 1]
        bar_up, bar_down = up[first:end + 1], down[first:end + 1]
        if not np.isnan(previous) and np.all((stretch - previous <= bar_up) & (previous - stretch <= bar_down)):
            returns[first:end + 1] = True
        previous = level[end]
        level[end + 1:] = rolling(x[first:], 1)[end + 1 - first:]
        begin = end + 1


def recurring_extremes(ts: pl.Series, resid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per hour of day, the typical (median over days) largest and smallest residual within an
    hour either side: what the series does every day at that time (a nightly job's spike).

    Hours without history get 0 (nothing recurs there). With a single day of history this is
    "it did the same yesterday at this time": a daily batch window is not paged on day two.
    """
    import numpy as np

    high, low = np.zeros(24), np.zeros(24)
    days = ts.dt.date().to_numpy()
    hour = ts.dt.hour().cast(int).to_numpy()
    for h in range(24):
        near = np.isin(hour, [(h - 1) % 24, h, (h + 1) % 24]) & ~np.isnan(resid)
        per_day = [resid[near & (days == d)] for d in np.unique(days[near])]
        per_day = [r for r in per_day if r.size]
        if per_day:
            high[h] = max(0.0, float(np.median([r.max() for r in per_day])))
            low[h] = min(0.0, float(np.median([r.min() for r in per_day])))
    return high, low


def _full_days(days: np.ndarray) -> list:
    """The days of ``days`` (one per datapoint) holding ``MIN_DAY_FRACTION`` of the fullest day's
    datapoints: the days a calibration may take a daily extreme from."""
    import numpy as np

    uniq, counts = np.unique(days, return_counts=True)
    return [d for d, c in zip(uniq, counts, strict=True) if c >= MIN_DAY_FRACTION * counts.max()]


def _silence_ends(ts: pl.Series, values: np.ndarray, n_hist: int, sigma: float) -> np.ndarray:
    """The datapoint where a series' routine activity has been missing for longer than ever before.

    *Activity* is a datapoint at least ``ACTIVE_SHARE`` of the way from the history's median up
    to its typical daily peak (median over full days of each day's largest value); the rule holds
    for series whose peak stands ``SILENCE_CONTRAST`` sigma clear of the median (bursts, busy
    hours), not for noise around a level. Once the time since the last activity exceeds the
    longest quiet stretch between two activities in the history (``SILENCE_HISTORY`` of it at
    least, weekends included) by ``SILENCE_GRACE``, that one datapoint flags: the job that ran
    every few hours has stopped. Recovery does not page, nor does the rest of the silence.
    Time is counted in datapoints seen: a gap in the exported data is not silence.
    """
    import numpy as np

    out = np.zeros(values.size, dtype=bool)
    if ts[n_hist - 1] - ts[0] < SILENCE_HISTORY:
        return out
    hist, days = values[:n_hist], ts[:n_hist].dt.date().to_numpy()
    base = float(np.median(hist))
    peak = float(np.median([hist[days == d].max() for d in _full_days(days)]))
    if peak - base < SILENCE_CONTRAST * sigma:
        return out
    # time is counted in datapoints seen (times the usual step): a gap in the data is not
    # observed silence, so an exporter that stopped for a day does not page when it resumes
    step = float(np.median(np.diff(ts.dt.epoch("s").to_numpy()))) if values.size > 1 else 0.0
    seconds = np.arange(values.size) * step
    active = values >= base + ACTIVE_SHARE * (peak - base)
    quiet = np.diff(seconds[:n_hist][active[:n_hist]])
    if quiet.size == 0:
        return out
    last = np.maximum.accumulate(np.where(active, np.arange(values.size), -1))
    since = np.where(last >= 0, seconds - seconds[np.maximum(last, 0)], 0.0)
    over = since > quiet.max() + SILENCE_GRACE.total_seconds()
    out[1:] = over[1:] & ~over[:-1]
    out[:n_hist] = False
    return out


def _flags(z: np.ndarray, bars: Bars) -> np.ndarray:
    """A datapoint flags when it is a spike, or ends a run of ``MIN_RUN`` same-sign deviations."""
    import numpy as np

    z0 = np.nan_to_num(z)
    runs = _run_statistic(z)
    return (z0 > bars.spike_up) | (-z0 > bars.spike_down) | (runs > bars.run_up) | (-runs > bars.run_down)


def anomaly_bands(metrics: pl.DataFrame, history: pl.DataFrame | None = None,
                  width: float = DEFAULT_WIDTH, season: str = "auto", calibrate: bool = True) -> pl.DataFrame:
    """Add ``expected, lower, upper, score, is_anomaly`` to ``metrics``, per series.

    ``history`` holds the same series' earlier datapoints; without it (or for a series with
    less than ``MIN_HISTORY`` of it) the bands come from the rows themselves and nothing flags.
    """
    import polars as pl

    if width <= 0:
        raise ValueError(f"band width must be positive, got {width}")
    history = history if history is not None else metrics.clear()
    key = [k for k in KEY if k in metrics.columns]
    parts = []
    for ident, rows in metrics.sort("timestamp").group_by(key, maintain_order=True):
        past = history.filter(*[pl.col(k).eq_missing(v) for k, v in zip(key, ident, strict=True)]).sort("timestamp")
        cols = score_series(past["timestamp"], past["value"].to_numpy(), rows["timestamp"],
                            rows["value"].to_numpy(), width, season, calibrate)
        parts.append(rows.with_columns(*[pl.Series(k, v) for k, v in cols.items()]))
    if not parts:
        return metrics.with_columns(*[pl.lit(None, pl.Float64).alias(c) for c in
                                      ("expected", "lower", "upper", "score")],
                                    pl.lit(False).alias("is_anomaly"))
    return pl.concat(parts, how="vertical")


def detect_anomalies(lake_url: str, day: str | dt.date, *, history_days: int = 14,
                     width: float = DEFAULT_WIDTH, stats: tuple[str, ...] | None = None,
                     endpoint_url: str | None = None) -> dict:
    """Score one day's metrics against the ``history_days`` before it; write ``anomalies/dt=D``.

    Without history (the first day of a lake) the day gets bands from itself and no flags, and
    the summary says so. Idempotent: the partition is replaced.
    """
    import polars as pl

    from toolkit.cloudwatch.schema import ANOMALIES_SCHEMA, METRICS_SCHEMA

    lake, day = Lake.at(lake_url, endpoint_url), parse_day(day)
    where = pl.col("stat").is_in(list(stats)) if stats else None
    today = read_days(lake, "metrics", day, day, METRICS_SCHEMA, where).drop("dt")
    history = read_days(lake, "metrics", day - dt.timedelta(days=history_days),
                        day - dt.timedelta(days=1), METRICS_SCHEMA, where).drop("dt")
    self_baseline = history.is_empty()
    scored = anomaly_bands(today, history, width)
    table = scored.select(ANOMALIES_SCHEMA.names).to_arrow().cast(ANOMALIES_SCHEMA)
    lake.write_parquet("anomalies", day, table)
    flagged = int(scored["is_anomaly"].sum()) if scored.height else 0
    if self_baseline and today.height:
        log.warning("no metric history before %s: bands from the day itself, nothing flagged", day)
    return {"day": day.isoformat(), "rows": scored.height, "anomalies": flagged,
            "episodes": anomaly_episodes(scored).height if flagged else 0,
            "baseline": "self" if self_baseline else f"{history_days} days",
            "partition": lake.partition("anomalies", day)}


def anomaly_episodes(scored: pl.DataFrame, gap: dt.timedelta = dt.timedelta(minutes=30)) -> pl.DataFrame:
    """Group flagged datapoints of each series into episodes (flags closer than ``gap``).

    One row per episode: start, end, points, and the peak (largest |score|) with its value,
    score and the expected value there.
    """
    import polars as pl

    key = [k for k in KEY if k in scored.columns]
    flagged = scored.filter(pl.col("is_anomaly")).sort([*key, "timestamp"])
    new_episode = (pl.col("timestamp").diff().over(key) > gap).fill_null(True)
    peak = pl.col("score").abs().arg_max()
    return (flagged.with_columns(new_episode.cum_sum().over(key).alias("episode"))
            .group_by([*key, "episode"])
            .agg(pl.col("timestamp").min().alias("start"), pl.col("timestamp").max().alias("end"),
                 pl.len().alias("points"),
                 pl.col("value").get(peak).alias("peak_value"),
                 pl.col("score").get(peak).alias("peak_score"),
                 pl.col("expected").get(peak).alias("expected"))
            .sort([*key, "start"]).drop("episode"))
