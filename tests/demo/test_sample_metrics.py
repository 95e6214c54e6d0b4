"""The demo's CloudWatch sample: rows written straight into the lake are the rows the exporter
writes from moto's server (real HTTP), and the demo's split leaves the exported set to the DAG."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from tests.cloudwatch.conftest import ACCOUNT, DAY, NOW, write_sample
from toolkit.cloudwatch.export import cloudwatch_client, export_metrics
from toolkit.cloudwatch.load import read_metrics
from toolkit.demo.sample_metrics import (
    EXPORTED_NAMESPACES,
    as_exported,
    load_sample_metrics,
    put_datapoints,
    write_into_lake,
)

STATS = ["Average", "Maximum", "Minimum", "Sum", "SampleCount"]
ORDER = ["namespace", "metric_name", "dimensions", "stat", "timestamp"]


def test_rows_written_into_the_lake_equal_the_exported_rows(moto_reset, tmp_path):
    sample = tmp_path / "sample"
    write_sample(sample)
    put_datapoints(sample, moto_reset)
    export_metrics(str(tmp_path / "exported"), DAY, endpoint_url=moto_reset, stats=STATS, now=NOW,
                   account_id=ACCOUNT)
    written = write_into_lake(sample, str(tmp_path / "direct"), now=NOW)
    exported = read_metrics(str(tmp_path / "exported"), DAY, DAY).sort(ORDER)
    direct = read_metrics(str(tmp_path / "direct"), DAY, DAY)
    assert written == {DAY.isoformat(): direct.height}
    assert exported.height == 3 * 288 * len(STATS)
    assert direct.filter(pl.col("stat").is_in(STATS)).sort(ORDER).equals(exported)
    # Percentiles, which moto refuses, come from the raw values, for gauges only (as exported).
    p95 = direct.filter(pl.col("stat") == "p95")
    assert set(p95["metric_name"]) == {"CPUUtilization"} and p95.height == 2 * 288


def test_statistics_per_period_from_raw_values():
    start = dt.datetime(2025, 3, 4, tzinfo=dt.UTC)
    raw = pl.DataFrame({
        "account_id": ACCOUNT, "region": "us-east-1", "namespace": "AWS/EC2",
        "metric_name": ["CPUUtilization"] * 10 + ["NetworkIn"],
        "dimensions": '{"InstanceId":"i-1"}', "resource_id": "i-1",
        "timestamp": [start + dt.timedelta(seconds=5 * i) for i in range(10)] + [start],
        "value": [float(v) for v in (7, 3, 9, 1, 10, 2, 8, 4, 6, 5)] + [100.0]})
    rows = as_exported(raw, 60, ("Average", "Sum", "SampleCount", "p50", "p95"))
    cpu = dict(rows.filter(pl.col("metric_name") == "CPUUtilization").select("stat", "value").rows())
    # nearest rank: p50 is the 5th of 10 sorted values, p95 the 10th (ceil(9.5))
    assert cpu == {"Average": 5.5, "Sum": 55.0, "SampleCount": 10.0, "p50": 5.0, "p95": 10.0}
    net = rows.filter(pl.col("metric_name") == "NetworkIn")
    assert set(net["stat"]) == {"Average", "Sum", "SampleCount"}  # no percentile for a counter
    assert set(rows["period_s"]) == {60} and set(rows["timestamp"]) == {start}
    assert dict(net.select("stat", "unit").rows())["SampleCount"] == "Count"


def _with_rds(sample) -> None:
    path = next((sample / "cloudwatch").rglob("metrics-*.json"))
    doc = json.loads(path.read_text())
    first = doc["MetricDataResults"][0]
    doc["MetricDataResults"].append({**first, "Id": "db", "Namespace": "AWS/RDS",
                                     "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "orders"}]})
    path.write_text(json.dumps(doc))


def test_the_demo_split_leaves_the_exported_namespaces_to_the_export(moto_reset, tmp_path):
    sample, lake = tmp_path / "sample", str(tmp_path / "lake")
    write_sample(sample)
    _with_rds(sample)
    loaded = load_sample_metrics(sample, lake, moto_reset, account_id=ACCOUNT, region="us-east-1",
                                 now=NOW)
    assert loaded["put"] == {f"{ACCOUNT}/us-east-1": 288}
    assert loaded["env"]["TRAILWATCH_METRIC_NAMESPACES"] == ",".join(EXPORTED_NAMESPACES)
    listed = cloudwatch_client("us-east-1", moto_reset).list_metrics()["Metrics"]
    assert {m["Namespace"] for m in listed} == {"AWS/RDS"}
    before = read_metrics(lake, DAY, DAY)
    assert set(before["namespace"]) == {"AWS/EC2", "AWS/Lambda"}
    # What the DAG's export step does with the environment the demo hands it.
    summary = export_metrics(lake, DAY, endpoint_url=moto_reset, now=NOW, account_id=ACCOUNT,
                             namespaces=loaded["env"]["TRAILWATCH_METRIC_NAMESPACES"].split(","))
    assert summary.metrics_listed == 1 and summary.skipped_stats == ["p95"]
    after = read_metrics(lake, DAY, DAY)
    assert set(after["namespace"]) == {"AWS/EC2", "AWS/Lambda", "AWS/RDS"}
    assert after.filter(pl.col("namespace") != "AWS/RDS").sort(ORDER).equals(before.sort(ORDER))
