"""SLOs from Application Load Balancer metrics, with error-budget burn rates.

* availability = 1 - (HTTPCode_Target_5XX_Count + HTTPCode_ELB_5XX_Count) / RequestCount
  (Sum statistics), against ``availability_objective``;
* latency: the share of periods whose TargetResponseTime (p95 when exported, else Average)
  is within ``latency_objective_s``, against ``latency_target``.

Burn rate = observed error rate / allowed error rate (1 - objective): 1.0 spends the budget
exactly over the SLO period. Evaluated over a short and a long window ending at the last
datapoint; both above ``page_burn_rate`` (14.4: 2 % of a 30-day budget in one hour, the SRE
workbook's paging rule) flags ``page``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

NS = "AWS/ApplicationELB"


def _sums(metrics: pl.DataFrame, name: str) -> pl.DataFrame:
    import polars as pl

    return (metrics.filter((pl.col("namespace") == NS) & (pl.col("metric_name") == name)
                           & (pl.col("stat") == "Sum") & pl.col("resource_id").is_not_null())
            .group_by("resource_id", "timestamp").agg(pl.col("value").sum().alias(name)))


def request_errors(metrics: pl.DataFrame) -> pl.DataFrame:
    """Per load balancer and period: requests and 5XX errors (target + ELB)."""
    import polars as pl

    requests = _sums(metrics, "RequestCount")
    errors = [_sums(metrics, n) for n in ("HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")]
    out = requests
    for frame in errors:
        out = out.join(frame, on=["resource_id", "timestamp"], how="left")
    return out.with_columns(pl.sum_horizontal(pl.col("HTTPCode_Target_5XX_Count").fill_null(0),
                                              pl.col("HTTPCode_ELB_5XX_Count").fill_null(0)).alias("errors"),
                            pl.col("RequestCount").alias("requests")).select(
        "resource_id", "timestamp", "requests", "errors").sort("resource_id", "timestamp")


def latency_periods(metrics: pl.DataFrame, objective_s: float) -> pl.DataFrame:
    """Per load balancer and period: whether TargetResponseTime met the objective."""
    import polars as pl

    rt = metrics.filter((pl.col("namespace") == NS) & (pl.col("metric_name") == "TargetResponseTime"))
    stat = "p95" if rt.filter(pl.col("stat") == "p95").height else "Average"
    return (rt.filter(pl.col("stat") == stat)
            .select("resource_id", "timestamp", pl.col("value").alias("latency_s"),
                    (pl.col("value") <= objective_s).alias("good"), pl.lit(stat).alias("latency_stat")))


def _window(frame: pl.DataFrame, end: dt.datetime, window: dt.timedelta) -> pl.DataFrame:
    import polars as pl

    return frame.filter((pl.col("timestamp") > end - window) & (pl.col("timestamp") <= end))


def slo_report(metrics: pl.DataFrame, *, availability_objective: float = 0.999,
               latency_objective_s: float = 0.5, latency_target: float = 0.99,
               short_window: dt.timedelta = dt.timedelta(hours=1),
               long_window: dt.timedelta = dt.timedelta(hours=6),
               page_burn_rate: float = 14.4) -> pl.DataFrame:
    """One row per load balancer and SLO (availability, latency) over the metrics' span."""
    import polars as pl

    for value, name in ((availability_objective, "availability_objective"), (latency_target, "latency_target")):
        if not 0 < value < 1:
            raise ValueError(f"{name} must be between 0 and 1, got {value}")
    counts = request_errors(metrics)
    latency = latency_periods(metrics, latency_objective_s)
    rows = []
    for lb in sorted(set(counts["resource_id"].to_list()) | set(latency["resource_id"].to_list())):
        c = counts.filter(pl.col("resource_id") == lb)
        if c.height:
            end = c["timestamp"].max()
            rows.append(_slo_row(lb, "availability", availability_objective,
                                 *(_error_rate(f) for f in (c, _window(c, end, short_window),
                                                            _window(c, end, long_window))),
                                 c["requests"].sum(), page_burn_rate))
        lat = latency.filter(pl.col("resource_id") == lb)
        if lat.height:
            end = lat["timestamp"].max()
            rows.append(_slo_row(lb, "latency", latency_target,
                                 *(_bad_share(f) for f in (lat, _window(lat, end, short_window),
                                                           _window(lat, end, long_window))),
                                 lat.height, page_burn_rate))
    schema = {"load_balancer": pl.String, "slo": pl.String, "objective": pl.Float64,
              "attained": pl.Float64, "events": pl.Float64, "budget_consumed": pl.Float64,
              "burn_rate_short": pl.Float64, "burn_rate_long": pl.Float64, "page": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


def _error_rate(frame: pl.DataFrame) -> float | None:
    requests = frame["requests"].sum()
    return frame["errors"].sum() / requests if requests else None


def _bad_share(frame: pl.DataFrame) -> float | None:
    return 1 - frame["good"].mean() if frame.height else None


def _slo_row(lb, slo, objective, bad_all, bad_short, bad_long, events, page_burn_rate) -> dict:
    allowed = 1 - objective

    def burn(bad):
        return None if bad is None else bad / allowed

    short, long_ = burn(bad_short), burn(bad_long)
    return {"load_balancer": lb, "slo": slo, "objective": objective,
            "attained": None if bad_all is None else 1 - bad_all, "events": float(events),
            "budget_consumed": burn(bad_all), "burn_rate_short": short, "burn_rate_long": long_,
            "page": bool(short is not None and long_ is not None
                         and short > page_burn_rate and long_ > page_burn_rate)}


def burn_rate_timeline(metrics: pl.DataFrame, *, availability_objective: float = 0.999,
                       window: dt.timedelta = dt.timedelta(hours=1)) -> pl.DataFrame:
    """Availability burn rate over a trailing ``window`` at every period (for charts)."""
    import polars as pl

    counts = request_errors(metrics)
    every = f"{int(window.total_seconds())}s"
    rolled = (counts.sort("timestamp").rolling("timestamp", period=every, group_by="resource_id")
              .agg(pl.col("requests").sum(), pl.col("errors").sum()))
    return rolled.with_columns(
        (pl.col("errors") / pl.col("requests") / (1 - availability_objective)).alias("burn_rate")
    ).rename({"resource_id": "load_balancer"})
