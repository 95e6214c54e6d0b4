"""Statistics that compose: an alarm's statistic over any window, from the datapoints stored.

CloudWatch computes an alarm's statistic from the raw samples of each window. The lake keeps
datapoints per period and statistic, so a window of the alarm's period is rebuilt from the
finest stored period that divides it, using only rules that are exact:

* ``Sum``, ``SampleCount``, ``Maximum``, ``Minimum``: sum, sum, max, min of the finer values.
* ``Average``: ``Σ Sum / Σ SampleCount`` (or SampleCount-weighted finer Averages).
* percentiles (``p95``, ``p99.9``): from raw values -- finer datapoints that hold one sample
  each (``SampleCount`` = 1), where every statistic *is* the sample.

When no exact rule applies, the stored datapoint of exactly the alarm's period is used; failing
that, an approximation, named in the result's ``note`` (and in each alarm reason):

* ``Average`` without SampleCount: the plain mean of finer Averages.
* a percentile from finer percentiles: their SampleCount-weighted mean (equal weights when no
  SampleCount is stored). A percentile of a window is not a function of the percentiles of its
  parts; this is an estimate, never an upper bound.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

ADDITIVE = {"Sum": "sum", "SampleCount": "sum", "Maximum": "max", "Minimum": "min"}
RAW_STATS = ("Average", "Maximum", "Minimum", "Sum")  # equal to the sample when SampleCount = 1
_PERCENTILE = re.compile(r"^p(100(?:\.0+)?|\d{1,2}(?:\.\d+)?)$")


def percentile_level(stat: str) -> float | None:
    """``p95`` -> 0.95, ``p99.9`` -> 0.999; None for other statistics."""
    match = _PERCENTILE.match(stat)
    return float(match.group(1)) / 100 if match else None


def _plan(stat: str, have: pl.DataFrame, exact_period: bool) -> tuple[pl.Expr | None, str]:
    """(aggregation over a window, note) for ``stat`` from the statistics in ``have``.

    ``have`` is one period's pivot (a column per statistic). The note is empty when exact;
    the expression is None when this period cannot give the statistic at all.
    """
    import polars as pl

    cols = set(have.columns)
    if stat in ADDITIVE and stat in cols:
        return getattr(pl.col(stat), ADDITIVE[stat])(), ""
    if exact_period and stat in cols:
        return pl.col(stat).first(), ""
    level = percentile_level(stat)
    if stat == "Average":
        if {"Sum", "SampleCount"} <= cols:
            return pl.col("Sum").sum() / pl.col("SampleCount").sum(), ""
        if {"Average", "SampleCount"} <= cols:
            return (pl.col("Average") * pl.col("SampleCount")).sum() / pl.col("SampleCount").sum(), ""
        if "Average" in cols:
            return pl.col("Average").mean(), "approximate Average: mean of finer Averages (no SampleCount)"
    if level is not None:
        raw = next((c for c in (stat, *RAW_STATS) if c in cols), None)
        if raw and "SampleCount" in cols and have["SampleCount"].drop_nulls().eq(1).all():
            return pl.col(raw).quantile(level, interpolation="nearest"), ""
        if stat in cols:
            weight = pl.col("SampleCount") if "SampleCount" in cols else pl.lit(1.0)
            return ((pl.col(stat) * weight).sum() / weight.sum(),
                    f"approximate {stat}: SampleCount-weighted mean of finer {stat} values")
    return None, ""


def window_values(rows: pl.DataFrame, stat: str, period: int,
                  interval: int) -> tuple[pl.DataFrame, int, str]:
    """The statistic over ``[start, start + period)`` for starts on the wall-clock grid.

    ``rows``: one series' metric rows (timestamp, stat, period_s, value). Windows start every
    ``interval`` seconds when the stored data is that fine (every period otherwise), on
    multiples of that step since 1970-01-01 UTC, so they end where CloudWatch's evaluations
    end; a datapoint whose timestamp is off that grid counts in the window that holds it.
    Returns (frame of ``timestamp`` = window start and ``value``, step in seconds, note).
    """
    import polars as pl

    empty = pl.DataFrame(schema={"timestamp": rows.schema["timestamp"], "value": pl.Float64})
    periods = sorted(p for p in rows["period_s"].unique().to_list() if p and p <= period and period % p == 0)
    fallback = None
    for p in periods:
        have = (rows.filter(pl.col("period_s") == p)
                .pivot(on="stat", index="timestamp", values="value", aggregate_function="first")
                .sort("timestamp"))
        expr, note = _plan(stat, have, exact_period=p == period)
        if expr is None:
            continue
        step = max(interval, p)
        if period % step:
            step = p
        found = (have, expr.alias("value"), step, note)
        if not note:
            return _aggregate(*found[:3], period), step, ""
        fallback = fallback or found
    if fallback is None:
        return empty, period, ""
    have, expr, step, note = fallback
    return _aggregate(have, expr, step, period), step, note


def _aggregate(have: pl.DataFrame, expr: pl.Expr, step: int, period: int) -> pl.DataFrame:
    import polars as pl

    out = (have.group_by_dynamic("timestamp", every=f"{step}s", period=f"{period}s", closed="left",
                                 label="left", start_by="window")
           .agg(expr))
    return out.filter(pl.col("value").is_finite())
