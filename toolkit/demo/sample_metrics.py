"""The sample account's CloudWatch datapoints for the demo (and the DAG tests): a small set
through moto's server, the rest straight into the lake.

moto's GetMetricData scans every stored datapoint of the day for every query and every period
slot (queries x 1,441 one-minute slots x datapoints), and its ListMetrics lists a metric with
two or more dimensions once per datapoint: a 2-day sample account (about 130,000 datapoints)
would take hours. moto is used here only through its public API (PutMetricData on its server,
its ``MOTO_ACCOUNT_ID`` setting), so:

* ``EXPORTED_NAMESPACES`` of the home region (2 RDS series, about 2,900 datapoints a day) are
  PutMetricData'd into moto's server; the ``cloudwatch_daily`` DAG's export step reads them back
  over HTTP (ListMetrics + GetMetricData) for real, and restricted to them by
  ``TRAILWATCH_METRIC_REGIONS`` / ``TRAILWATCH_METRIC_NAMESPACES``;
* every other series is written straight into the lake's ``metrics`` table with the rows the
  exporter would write (``as_exported``: the same statistics, period and units, computed per
  period from the raw sample values as CloudWatch does, percentiles included).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.cloudwatch import catalog
from toolkit.cloudwatch.export import cloudwatch_client, day_window
from toolkit.cloudwatch.periods import choose_period
from toolkit.cloudwatch.store import merge_partition
from toolkit.lake import Lake

if TYPE_CHECKING:
    import polars as pl

log = logging.getLogger(__name__)

EXPORTED_NAMESPACES = ("AWS/RDS",)
PUT_BATCH = 1000  # PutMetricData accepts up to 1,000 metric datums per request
SORT_BY = ["namespace", "metric_name", "dimensions", "stat", "timestamp"]  # as the exporter


def sample_metric_files(sample_dir: str | Path) -> list[Path]:
    """``<sample>/cloudwatch/<account>/<region>/metrics-*.json`` files, sorted."""
    root = Path(sample_dir) / "cloudwatch"
    if not root.is_dir():
        raise FileNotFoundError(f"{root} does not exist (expected the sample's cloudwatch/ folder)")
    return sorted(root.glob("*/*/metrics-*.json"))


def _documents(sample_dir: str | Path):
    """``(account, region, MetricDataResults)`` of each sample file."""
    for path in sample_metric_files(sample_dir):
        doc = json.loads(path.read_text())
        yield (doc.get("AccountId") or path.parent.parent.name, doc.get("Region") or path.parent.name,
               doc.get("MetricDataResults", []))


def datums(result: dict) -> list[dict]:
    """PutMetricData datums for one MetricDataResults entry (one raw value per timestamp)."""
    dims = [{"Name": d["Name"], "Value": d["Value"]} for d in result.get("Dimensions", [])]
    unit = result.get("Unit")
    out = []
    for ts, value in zip(result["Timestamps"], result["Values"], strict=True):
        datum = {"MetricName": result["MetricName"], "Dimensions": dims, "Value": float(value),
                 "Timestamp": dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))}
        if unit:
            datum["Unit"] = unit
        out.append(datum)
    return out


def put_datapoints(sample_dir: str | Path, endpoint_url: str, *, account_id: str | None = None,
                   regions: tuple[str, ...] | None = None,
                   namespaces: tuple[str, ...] | None = None) -> dict[str, int]:
    """PutMetricData the sample's datapoints (of ``account_id``/``regions``/``namespaces`` when
    given) into ``endpoint_url``; returns datapoints per ``account/region``.

    The server stores them in the account the request's credentials select (moto: its
    ``MOTO_ACCOUNT_ID``, else its default account).
    """
    loaded: dict[str, int] = {}
    for account, region, results in _documents(sample_dir):
        if (account_id and account != account_id) or (regions and region not in regions):
            continue
        client = cloudwatch_client(region, endpoint_url)
        for result in results:
            if namespaces and result["Namespace"] not in namespaces:
                continue
            batch = datums(result)
            for i in range(0, len(batch), PUT_BATCH):
                client.put_metric_data(Namespace=result["Namespace"], MetricData=batch[i:i + PUT_BATCH])
            key = f"{account}/{region}"
            loaded[key] = loaded.get(key, 0) + len(batch)
    return loaded


def raw_datapoints(sample_dir: str | Path, skip=lambda account, region, namespace: False) -> pl.DataFrame:
    """Every sample datapoint as a row (series columns + timestamp, value), except ``skip``ped series."""
    import polars as pl

    frames = []
    for account, region, results in _documents(sample_dir):
        for r in results:
            if skip(account, region, r["Namespace"]) or not r["Timestamps"]:
                continue
            frames.append(pl.DataFrame({"timestamp": r["Timestamps"], "value": r["Values"]},
                                       schema={"timestamp": pl.String, "value": pl.Float64})
                          .with_columns(account_id=pl.lit(account), region=pl.lit(region),
                                        namespace=pl.lit(r["Namespace"]), metric_name=pl.lit(r["MetricName"]),
                                        dimensions=pl.lit(catalog.dimensions_json(r["Dimensions"])),
                                        resource_id=pl.lit(catalog.resource_id(r["Dimensions"]), pl.String)))
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames).with_columns(
        pl.col("timestamp").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC", time_unit="us"))


def _statistic(stat: str) -> pl.Expr:
    """GetMetricData's statistic over one period's raw values (nearest-rank percentiles)."""
    import polars as pl

    value = pl.col("value")
    simple = {"Average": value.mean(), "Maximum": value.max(), "Minimum": value.min(),
              "Sum": value.sum(), "SampleCount": pl.len().cast(pl.Float64)}
    if stat in simple:
        return simple[stat]
    rank = (pl.len() * float(stat[1:]) / 100).ceil().cast(pl.Int64).clip(lower_bound=1)
    return value.sort().get(rank - 1)


def as_exported(raw: pl.DataFrame, period: int, stats=catalog.DEFAULT_STATS) -> pl.DataFrame:
    """The rows ``export_metrics`` writes for these raw datapoints at ``period`` seconds."""
    import polars as pl

    series = ["account_id", "region", "namespace", "metric_name", "dimensions", "resource_id"]
    slots = raw.group_by([*series, pl.col("timestamp").dt.truncate(f"{period}s")]).agg(
        [_statistic(s).alias(s) for s in stats])
    rows = slots.unpivot(index=[*series, "timestamp"], variable_name="stat", value_name="value")
    pairs = rows.select("metric_name", "stat").unique()
    wanted = pl.DataFrame(
        [{"metric_name": m, "stat": s, "unit": catalog.unit_for(m, s)}
         for m, s in pairs.iter_rows() if s in catalog.stats_for(m, [s])],
        schema={"metric_name": pl.String, "stat": pl.String, "unit": pl.String})
    return rows.join(wanted, on=["metric_name", "stat"]).with_columns(pl.lit(period, pl.Int32).alias("period_s"))


def write_into_lake(sample_dir: str | Path, lake_url: str, *, skip=lambda account, region, namespace: False,
                    now: dt.datetime | None = None) -> dict[str, int]:
    """Write the sample's series (except ``skip``ped ones) into the lake's ``metrics`` table as
    the exporter would on ``now``; returns rows per day. Re-running gives the same partitions."""
    import polars as pl

    from toolkit.cloudwatch.schema import METRICS_SCHEMA

    now = now or dt.datetime.now(dt.UTC)
    raw = raw_datapoints(sample_dir, skip)
    if raw.is_empty():
        return {}
    lake, written = Lake.at(lake_url), {}
    for (day,), part in raw.group_by(pl.col("timestamp").dt.date(), maintain_order=True):
        start, end = day_window(day, now)
        rows = as_exported(part.filter(pl.col("timestamp") < end), choose_period(start, now))
        keys = rows.select(pl.concat_str("account_id", "region", "namespace", separator="|")).unique()
        owned = pl.concat_str("account_id", "region", "namespace", separator="|").is_in(keys.to_series().to_list())
        written[day.isoformat()] = merge_partition(lake, "metrics", day, rows, METRICS_SCHEMA, owned, SORT_BY)
    return dict(sorted(written.items()))


def load_sample_metrics(sample_dir: str | Path, lake_url: str, endpoint_url: str, *, account_id: str,
                        region: str, now: dt.datetime | None = None) -> dict:
    """The demo's split: ``EXPORTED_NAMESPACES`` of ``account_id``/``region`` into moto's server
    (exported later by the DAG), every other series straight into the lake.

    Returns the environment the DAG's export step needs, and the counts.
    """
    def exported(account: str, reg: str, namespace: str) -> bool:
        return account == account_id and reg == region and namespace in EXPORTED_NAMESPACES

    put = put_datapoints(sample_dir, endpoint_url, account_id=account_id, regions=(region,),
                         namespaces=EXPORTED_NAMESPACES)
    rows = write_into_lake(sample_dir, lake_url, skip=exported, now=now)
    log.info("put %s datapoints into %s; wrote %s metric rows into the lake", put, endpoint_url, rows)
    return {"env": {"TRAILWATCH_METRIC_REGIONS": region,
                    "TRAILWATCH_METRIC_NAMESPACES": ",".join(EXPORTED_NAMESPACES)},
            "put": put, "lake_rows": rows}
