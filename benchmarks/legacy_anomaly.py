"""The anomaly detector as it was before issue 15 (frozen copy, for benchmarks/anomaly.py only).

Anomaly bands: a robust seasonal baseline per series (polars).

For every series (account, region, namespace, metric, dimensions, stat, period) the baseline is
the median and the MAD of the values seen in the same seasonal bucket -- hour of day, or hour of
week when the history spans three weeks or more. The band is
``expected ± width × max(1.4826·MAD_bucket, ½·1.4826·MAD_series, 5 % of |expected|)``: the
floors keep flat series (an idle instance at 0.07 % CPU) from flagging every wiggle. A value
outside the band is an anomaly; ``score`` is the robust z-score. Metrics that never go below
zero get a lower band clipped at zero.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

KEY = ["account_id", "region", "namespace", "metric_name", "dimensions", "stat", "period_s"]
MAD_TO_SIGMA = 1.4826
DECILES_TO_SIGMA = 2.5631  # (q90 - q10) of a normal distribution, in sigmas
RELATIVE_FLOOR = 0.05
SERIES_FLOOR = 0.5
RANGE_FLOOR = 0.05
DEFAULT_WIDTH = 3.0
WEEKLY_AFTER = dt.timedelta(days=21)


def _bucket(season: str) -> pl.Expr:
    import polars as pl

    hour = pl.col("timestamp").dt.hour().cast(pl.Int32)
    if season == "hour_of_week":
        return ((pl.col("timestamp").dt.weekday().cast(pl.Int32) - 1) * 24 + hour).alias("bucket")
    return hour.alias("bucket")


def _resolution() -> pl.Expr:
    """Smallest step between distinct values: the metric's measurement granularity."""
    import polars as pl

    steps = pl.col("value").unique().sort().diff()
    return steps.filter(steps > 0).min()


def pick_season(history: pl.DataFrame) -> str:
    """``hour_of_week`` when the history covers 3 weeks or more, else ``hour_of_day``."""
    if history.is_empty():
        return "hour_of_day"
    span = history["timestamp"].max() - history["timestamp"].min()
    return "hour_of_week" if span >= WEEKLY_AFTER else "hour_of_day"


def fit_baseline(history: pl.DataFrame | pl.LazyFrame, season: str = "auto") -> pl.DataFrame:
    """Median and scaled MAD per series and seasonal bucket, with series-level fallbacks."""
    import polars as pl

    lazy = history.lazy()
    if season == "auto":
        season = pick_season(lazy.select("timestamp").collect())
    med = pl.col("value").median()
    raw_mad = (pl.col("value") - pl.col("value").median()).abs().median() * MAD_TO_SIGMA
    # More than half the values tie (idle, quantized metrics): MAD is 0, use the deciles.
    mad = (pl.when(raw_mad > 0).then(raw_mad)
           .otherwise((pl.col("value").quantile(0.9) - pl.col("value").quantile(0.1)) / DECILES_TO_SIGMA))
    per_bucket = (lazy.with_columns(_bucket(season))
                  .group_by([*KEY, "bucket"])
                  .agg(med.alias("expected"), mad.alias("bucket_sigma"), pl.len().alias("n")))
    per_series = lazy.group_by(KEY).agg(
        med.alias("series_median"), mad.alias("series_sigma"),
        (RANGE_FLOOR * (pl.col("value").quantile(0.99) - pl.col("value").quantile(0.01)))
        .alias("range_floor"),
        _resolution().alias("resolution"),
        (pl.col("value").min() >= 0).alias("non_negative"))
    return (per_bucket.join(per_series, on=KEY, how="left", nulls_equal=True)
            .with_columns(pl.lit(season).alias("season")).collect())


def score(frame: pl.DataFrame | pl.LazyFrame, baseline: pl.DataFrame,
          width: float = DEFAULT_WIDTH, min_points: int = 4) -> pl.DataFrame:
    """Add ``expected, lower, upper, score, is_anomaly`` to metric rows from a baseline.

    Buckets with fewer than ``min_points`` history values fall back to the series median.
    Rows whose series has no baseline at all keep null bands and ``is_anomaly = false``.
    """
    import polars as pl

    if width <= 0:
        raise ValueError(f"band width must be positive, got {width}")
    season = baseline["season"][0] if baseline.height else "hour_of_day"
    thin = pl.col("n") < min_points
    expected = pl.when(thin).then(pl.col("series_median")).otherwise(pl.col("expected"))
    sigma = pl.max_horizontal(
        pl.when(thin).then(pl.col("series_sigma")).otherwise(pl.col("bucket_sigma")),
        pl.col("series_sigma") * SERIES_FLOOR,
        pl.col("range_floor"),
        pl.col("resolution").fill_null(0.0),
        pl.col("expected_value").abs() * RELATIVE_FLOOR,
        pl.lit(1e-9))
    lower = pl.col("expected_value") - width * pl.col("sigma")
    scored = (frame.lazy().with_columns(_bucket(season))
              .join(baseline.lazy().drop("season"), on=[*KEY, "bucket"], how="left", nulls_equal=True)
              .with_columns(expected.alias("expected_value"))
              .with_columns(sigma.alias("sigma"))
              .with_columns(
                  pl.col("expected_value").alias("expected"),
                  pl.when(pl.col("non_negative")).then(pl.max_horizontal(lower, pl.lit(0.0)))
                    .otherwise(lower).alias("lower"),
                  (pl.col("expected_value") + width * pl.col("sigma")).alias("upper"),
                  ((pl.col("value") - pl.col("expected_value")) / pl.col("sigma")).alias("score"))
              .with_columns(((pl.col("value") < pl.col("lower")) | (pl.col("value") > pl.col("upper")))
                            .fill_null(False).alias("is_anomaly")))
    return scored.drop(["bucket", "bucket_sigma", "n", "series_median", "series_sigma",
                        "non_negative", "range_floor", "resolution", "expected_value", "sigma"], strict=False).collect()


def anomaly_bands(metrics: pl.DataFrame, history: pl.DataFrame | None = None,
                  width: float = DEFAULT_WIDTH, season: str = "auto") -> pl.DataFrame:
    """Bands for ``metrics`` from ``history`` (or from ``metrics`` itself when none is given)."""
    baseline = fit_baseline(metrics if history is None or history.is_empty() else history, season)
    return score(metrics, baseline, width)
