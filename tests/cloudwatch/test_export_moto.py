"""Export against moto's real server over HTTP: put datapoints, export, compare.

The datapoints go into moto's default account (the credentials decide the account read, as on
AWS); ``account_id`` only labels the exported rows.
"""

from __future__ import annotations

import polars as pl
import pytest

from tests.cloudwatch.conftest import ACCOUNT, DAY, NOW
from toolkit.cloudwatch.export import export_metrics
from toolkit.cloudwatch.load import read_metrics
from toolkit.demo.sample_metrics import put_datapoints

STATS = ["Average", "Maximum", "Minimum", "Sum", "SampleCount"]


@pytest.fixture
def loaded(moto_reset, sample_dir):
    counts = put_datapoints(sample_dir, moto_reset)
    return moto_reset, counts


def test_sample_datapoints_round_trip_through_moto(loaded, tmp_path):
    endpoint, counts = loaded
    assert counts == {f"{ACCOUNT}/us-east-1": 3 * 288}
    lake = tmp_path / "lake"
    summary = export_metrics(str(lake), DAY, endpoint_url=endpoint, stats=STATS, now=NOW,
                             account_id=ACCOUNT, period=300)
    assert summary.metrics_listed == 3
    assert summary.metrics_requested == 3 * len(STATS)
    assert summary.api_cost_usd == pytest.approx(15 / 1000 * 0.01)
    got = read_metrics(str(lake), DAY, DAY)
    assert set(got["account_id"]) == {ACCOUNT} and set(got["region"]) == {"us-east-1"}
    avg = got.filter((pl.col("stat") == "Average") & (pl.col("resource_id") == "i-0aaa")).sort("timestamp")
    assert avg.height == 288
    assert avg["value"].to_list() == [10.0 + (i % 12) for i in range(288)]
    assert avg["dimensions"][0] == '{"InstanceId":"i-0aaa"}'
    assert avg["unit"][0] == "Percent" and avg["period_s"][0] == 300
    counts_ = got.filter(pl.col("stat") == "SampleCount")["value"].unique().to_list()
    assert counts_ == [1.0]
    lam = got.filter(pl.col("namespace") == "AWS/Lambda")
    assert set(lam["resource_id"]) == {"billing"}


def test_export_is_idempotent_and_keeps_other_namespaces(loaded, tmp_path):
    endpoint, _ = loaded
    lake = str(tmp_path / "lake")
    kwargs = dict(endpoint_url=endpoint, stats=["Average"], now=NOW, account_id=ACCOUNT, period=300)
    export_metrics(lake, DAY, **kwargs)
    first = read_metrics(lake, DAY, DAY).sort("namespace", "dimensions", "timestamp")
    export_metrics(lake, DAY, **kwargs)
    assert read_metrics(lake, DAY, DAY).sort("namespace", "dimensions", "timestamp").equals(first)
    export_metrics(lake, DAY, **{**kwargs, "namespaces": ["AWS/EC2"]})  # re-export one namespace
    assert read_metrics(lake, DAY, DAY).height == first.height


def test_failing_statistic_is_skipped_with_a_warning(loaded, tmp_path):
    """The local server answers HTTP 500 for trimmed means (tm99): the other statistics land."""
    endpoint, _ = loaded
    from toolkit.cloudwatch.export import cloudwatch_client

    client = cloudwatch_client("us-east-1", endpoint, max_attempts=1)
    summary = export_metrics(str(tmp_path / "lake"), DAY, stats=["Average", "tm99"], now=NOW,
                             account_id=ACCOUNT, period=300, client=client)
    assert summary.skipped_stats == ["tm99"]
    assert "tm99" in summary.warnings[0]
    got = read_metrics(str(tmp_path / "lake"), DAY, DAY)
    assert set(got["stat"]) == {"Average"} and got.height == 3 * 288


def test_refused_percentiles_are_skipped_once_with_one_warning(loaded, tmp_path):
    """moto's server answers HTTP 500 for percentiles (STACK_NOTES). The exporter cannot compute
    them (GetMetricData is its only source): the first refusal skips every percentile of the
    export without more calls, says so once, and the other statistics land."""
    endpoint, _ = loaded
    from toolkit.cloudwatch.export import cloudwatch_client

    client = cloudwatch_client("us-east-1", endpoint, max_attempts=1)
    summary = export_metrics(str(tmp_path / "lake"), DAY, stats=["p95", "Average", "p99"], now=NOW,
                             account_id=ACCOUNT, period=300, client=client)
    assert summary.skipped_stats == ["p95", "p99"]
    assert summary.calls == 2  # one refused p95 call, one Average call; p99 never asked
    assert len(summary.warnings) == 1 and "refused percentile statistic p95" in summary.warnings[0]
    assert "<html" not in summary.warnings[0].lower()  # the first line, not the HTML error page
    got = read_metrics(str(tmp_path / "lake"), DAY, DAY)
    assert set(got["stat"]) == {"Average"} and got.height == 3 * 288


def test_metric_listed_once_per_datapoint_is_exported_once(moto_reset, tmp_path):
    """moto lists a metric with two dimensions once per datapoint; AWS "lists the names,
    namespaces, and dimensions of the metrics" -- a metric is one (namespace, name, dimensions)
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/cli/cli-mon-list-metrics.html, seen
    2026-11-29). The exporter requests it once, so no duplicate rows."""
    import datetime as dt

    from toolkit.cloudwatch.export import cloudwatch_client

    start = dt.datetime.combine(DAY, dt.time(), tzinfo=dt.UTC)
    dims = [{"Name": "InstanceId", "Value": "i-0aaa"}, {"Name": "InstanceType", "Value": "t3.large"}]
    cloudwatch_client("us-east-1", moto_reset).put_metric_data(Namespace="CWAgent", MetricData=[
        {"MetricName": "mem_used_percent", "Dimensions": dims, "Value": 40.0 + i,
         "Timestamp": start + dt.timedelta(minutes=5 * i)} for i in range(3)])
    summary = export_metrics(str(tmp_path / "lake"), DAY, endpoint_url=moto_reset, stats=["Average"],
                             namespaces=["CWAgent"], now=NOW, account_id=ACCOUNT, period=300)
    assert summary.metrics_listed == 1 and summary.metrics_requested == 1
    got = read_metrics(str(tmp_path / "lake"), DAY, DAY).sort("timestamp")
    assert got["value"].to_list() == [40.0, 41.0, 42.0]
    assert got["dimensions"][0] == '{"InstanceId":"i-0aaa","InstanceType":"t3.large"}'


def test_default_period_follows_retention(loaded, tmp_path):
    endpoint, _ = loaded
    summary = export_metrics(str(tmp_path / "lake"), DAY, endpoint_url=endpoint, stats=["Maximum"],
                             now=NOW, account_id=ACCOUNT)
    assert summary.period_s == 60  # 6 days old: 1-minute data is still kept


def test_data_older_than_retention_is_a_clear_error(tmp_path):
    import datetime as dt

    with pytest.raises(ValueError, match="455 days"):
        export_metrics(str(tmp_path / "lake"), DAY, now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
                       endpoint_url="http://127.0.0.1:1")
