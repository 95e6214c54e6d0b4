"""Export CloudWatch metrics for one day into the lake's ``metrics`` table.

ListMetrics (paged) discovers the metrics of each namespace; GetMetricData fetches them with
at most 500 queries per call and never more than 100,800 datapoints per call (queries per call
shrink as points per query grow; a query longer than the limit is split in time), following
NextToken. Each statistic is fetched in its own calls, so a statistic the endpoint rejects is
skipped with a warning (``ExportSummary.skipped_stats``) and the rest still lands.

Percentiles (``p95``...): CloudWatch computes them only where raw datapoints were published, and
GetMetricData is the only source, so the exporter cannot compute them itself. When the endpoint
refuses the first percentile (moto's server answers HTTP 500), every percentile of the export
is skipped with one warning, without more calls.
Throttling is retried by botocore (adaptive mode) and then by our own exponential backoff.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from toolkit.aws import client
from toolkit.cloudwatch import catalog
from toolkit.cloudwatch.periods import choose_period
from toolkit.cloudwatch.store import merge_partition
from toolkit.cost import prices
from toolkit.lake import Lake, parse_day

log = logging.getLogger(__name__)

MAX_QUERIES_PER_CALL = 500
MAX_DATAPOINTS_PER_CALL = 100_800
THROTTLE_CODES = {"Throttling", "ThrottlingException", "TooManyRequestsException",
                  "RequestLimitExceeded", "LimitExceededException"}


@dataclass
class ExportSummary:
    """What an export did: counts, cost and warnings (printed by the CLI, returned to DAGs)."""

    day: str
    period_s: int
    metrics_listed: int = 0
    metrics_requested: int = 0       # GetMetricData bills per metric (query) requested
    calls: int = 0
    datapoints: int = 0
    rows_written: int = 0
    api_cost_usd: float = 0.0
    skipped_stats: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    partition: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def cloudwatch_client(region: str, endpoint_url: str | None = None, max_attempts: int = 3,
                      service: str = "cloudwatch", **kwargs):
    """A boto3 client with adaptive retries (throttling backoff) and an optional endpoint."""
    from botocore.config import Config

    config = Config(retries={"mode": "adaptive", "max_attempts": max_attempts},
                    connect_timeout=10, read_timeout=60)
    return client(service, region_name=region, endpoint=endpoint_url, config=config, **kwargs)


def list_metrics(client, namespaces) -> list[dict]:
    """Every metric (namespace, name, dimensions) of ``namespaces``, via paged ListMetrics.

    Each metric once, in listed order: a metric listed twice would be requested (and billed)
    twice and give duplicate rows.
    """
    found: dict[tuple, dict] = {}
    paginator = client.get_paginator("list_metrics")
    for namespace in namespaces:
        for page in paginator.paginate(Namespace=namespace):
            for m in page.get("Metrics", []):
                dims = m.get("Dimensions", [])
                key = (m["Namespace"], m["MetricName"], catalog.dimensions_json(dims))
                found.setdefault(key, {"Namespace": m["Namespace"], "MetricName": m["MetricName"],
                                       "Dimensions": dims})
    return list(found.values())


def plan_calls(n_queries: int, start: dt.datetime, end: dt.datetime, period: int
               ) -> list[tuple[int, int, dt.datetime, dt.datetime]]:
    """Split ``n_queries`` over [start, end) into calls within both GetMetricData limits.

    Returns ``(first_query, last_query_exclusive, call_start, call_end)`` tuples.
    """
    points = math.ceil((end - start).total_seconds() / period)
    if points > MAX_DATAPOINTS_PER_CALL:  # one query alone is too long: split it in time
        step = dt.timedelta(seconds=period * MAX_DATAPOINTS_PER_CALL)
        windows, t = [], start
        while t < end:
            windows.append((t, min(t + step, end)))
            t += step
        return [(i, i + 1, a, b) for i in range(n_queries) for a, b in windows]
    per_call = max(1, min(MAX_QUERIES_PER_CALL, MAX_DATAPOINTS_PER_CALL // max(points, 1)))
    return [(i, min(i + per_call, n_queries), start, end) for i in range(0, n_queries, per_call)]


def _is_throttle(exc) -> bool:
    from botocore.exceptions import ClientError

    return isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in THROTTLE_CODES


def call_with_backoff(fn: Callable, kwargs: dict, attempts: int = 6, base: float = 1.0,
                      sleep: Callable[[float], None] = time.sleep):
    """Call ``fn(**kwargs)``; on throttling wait base·2^k seconds (capped at 30) and retry."""
    for attempt in range(attempts):
        try:
            return fn(**kwargs)
        except Exception as exc:  # noqa: BLE001 - only throttles are retried, others re-raised
            if not _is_throttle(exc) or attempt == attempts - 1:
                raise
            wait = min(30.0, base * 2**attempt)
            log.warning("GetMetricData throttled (%s); retrying in %.1fs", exc, wait)
            sleep(wait)
    raise AssertionError("unreachable")


def get_metric_data(client, queries: list[dict], start: dt.datetime, end: dt.datetime,
                    sleep: Callable[[float], None] = time.sleep) -> Iterator[tuple[dict, int]]:
    """Yield ``(MetricDataResult, page_number)`` for one call's queries, following NextToken."""
    kwargs = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end,
              "ScanBy": "TimestampAscending", "MaxDatapoints": MAX_DATAPOINTS_PER_CALL}
    page = 0
    while True:
        response = call_with_backoff(client.get_metric_data, kwargs, sleep=sleep)
        page += 1
        for result in response.get("MetricDataResults", []):
            yield result, page
        token = response.get("NextToken")
        if not token:
            return
        kwargs = {**kwargs, "NextToken": token}


def _queries(metrics: list[dict], stat: str, period: int) -> list[dict]:
    return [{"Id": f"q{i}", "ReturnData": True,
             "MetricStat": {"Metric": m, "Period": period, "Stat": stat}}
            for i, m in enumerate(metrics)]


def fetch_rows(client, metrics: list[dict], stats, start: dt.datetime, end: dt.datetime,
               period: int, summary: ExportSummary,
               sleep: Callable[[float], None] = time.sleep) -> dict[str, list]:
    """Fetch every (metric, stat) and return the rows as column lists (no account/region)."""
    from botocore.exceptions import BotoCoreError, ClientError

    cols: dict[str, list] = {k: [] for k in ("timestamp", "namespace", "metric_name", "dimensions",
                                             "resource_id", "stat", "period_s", "value", "unit")}
    for stat in stats:
        if catalog.is_percentile(stat) and any(map(catalog.is_percentile, summary.skipped_stats)):
            summary.skipped_stats.append(stat)  # the endpoint refused percentiles: do not ask again
            continue
        wanted = [m for m in metrics if stat in catalog.stats_for(m["MetricName"], [stat])]
        queries = _queries(wanted, stat, period)
        try:
            for first, last, a, b in plan_calls(len(queries), start, end, period):
                summary.calls += 1
                summary.metrics_requested += last - first
                for result, _ in get_metric_data(client, queries[first:last], a, b, sleep=sleep):
                    metric = wanted[int(result["Id"][1:])]
                    _append(cols, metric, stat, period, result)
        except (ClientError, BotoCoreError) as exc:
            if _is_throttle(exc):
                raise
            message = f"statistic {stat} failed and was skipped: {_short(exc)}"
            if catalog.is_percentile(stat):
                message = (f"the endpoint refused percentile statistic {stat} ({_short(exc)}): every "
                           "percentile of this export is skipped; the other statistics are exported")
            log.warning(message)
            summary.skipped_stats.append(stat)
            summary.warnings.append(message)
            _drop_stat(cols, stat)
    return cols


def _short(exc: Exception) -> str:
    """The error's first line (botocore appends the endpoint's whole HTML error page)."""
    return str(exc).splitlines()[0][:300]


def _append(cols: dict[str, list], metric: dict, stat: str, period: int, result: dict) -> None:
    dims = catalog.dimensions_json(metric["Dimensions"])
    rid = catalog.resource_id(metric["Dimensions"])
    unit = catalog.unit_for(metric["MetricName"], stat)
    for ts, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=True):
        cols["timestamp"].append(ts.astimezone(dt.UTC))
        cols["namespace"].append(metric["Namespace"])
        cols["metric_name"].append(metric["MetricName"])
        cols["dimensions"].append(dims)
        cols["resource_id"].append(rid)
        cols["stat"].append(stat)
        cols["period_s"].append(period)
        cols["value"].append(float(value))
        cols["unit"].append(unit)


def _drop_stat(cols: dict[str, list], stat: str) -> None:
    keep = [i for i, s in enumerate(cols["stat"]) if s != stat]
    for name, values in cols.items():
        cols[name] = [values[i] for i in keep]


def account_id_of(region: str, endpoint_url: str | None) -> str | None:
    """The caller's account id (STS GetCallerIdentity), or None when STS is unreachable."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        sts = cloudwatch_client(region, endpoint_url, service="sts")
        return sts.get_caller_identity()["Account"]
    except (ClientError, BotoCoreError) as exc:
        log.warning("could not read the account id from STS: %s", exc)
        return None


def day_window(day: dt.date, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[00:00, 24:00) UTC of ``day``, cut at ``now`` for today; a future day is an error."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    if start >= now:
        raise ValueError(f"{day} has not started yet (now is {now:%Y-%m-%d %H:%M} UTC)")
    return start, min(start + dt.timedelta(days=1), now)


def export_metrics(lake_url: str, day: str | dt.date, *, region: str = "us-east-1",
                   endpoint_url: str | None = None, namespaces=catalog.DEFAULT_NAMESPACES,
                   stats=catalog.DEFAULT_STATS, period: int | None = None,
                   now: dt.datetime | None = None, account_id: str | None = None,
                   client=None, sleep: Callable[[float], None] = time.sleep) -> ExportSummary:
    """Export one UTC day of metrics to ``<lake>/cloudwatch/metrics/dt=D/`` (idempotent).

    ``account_id`` labels the rows (default: STS GetCallerIdentity of the credentials in use,
    which also decide the account read).

    Rows of other accounts, regions or namespaces already in the partition are kept; this
    export's own rows are replaced, so re-running the day gives the same partition.
    """
    import polars as pl

    from toolkit.cloudwatch.schema import METRICS_SCHEMA

    day = parse_day(day)
    now = now or dt.datetime.now(dt.UTC)
    start, end = day_window(day, now)
    period = choose_period(start, now, period)
    summary = ExportSummary(day=day.isoformat(), period_s=period)
    if client is None:
        client = cloudwatch_client(region, endpoint_url)
    account_id = account_id or account_id_of(region, endpoint_url)

    metrics = list_metrics(client, namespaces)
    summary.metrics_listed = len(metrics)
    cols = fetch_rows(client, metrics, list(stats), start, end, period, summary, sleep=sleep)
    if stats and len(summary.skipped_stats) == len(stats) and metrics:
        raise ValueError(f"every statistic failed for {day}: {'; '.join(summary.warnings)}")
    dtypes = pl.from_arrow(METRICS_SCHEMA.empty_table()).schema
    frame = pl.DataFrame(cols, schema={name: dtypes[name] for name in cols})
    frame = frame.with_columns(pl.lit(account_id, pl.String).alias("account_id"),
                               pl.lit(region).alias("region"))
    summary.datapoints = frame.height
    owned = (pl.col("account_id").eq_missing(pl.lit(account_id, pl.String))
             & (pl.col("region") == region) & pl.col("namespace").is_in(list(namespaces)))
    lake = Lake.at(lake_url, endpoint_url)
    summary.rows_written = merge_partition(lake, "metrics", day, frame, METRICS_SCHEMA, owned,
                                           sort_by=["namespace", "metric_name", "dimensions",
                                                    "stat", "timestamp"])
    summary.partition = lake.partition("metrics", day)
    summary.api_cost_usd = prices.get_metric_data_cost(summary.metrics_requested)
    return summary

