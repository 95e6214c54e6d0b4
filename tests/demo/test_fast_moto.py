"""The demo's indexed GetMetricData answers exactly like moto's own implementation."""

from __future__ import annotations

import datetime as dt
import random

import boto3
import pytest
from moto import mock_aws
from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends

from toolkit.demo import fast_moto

T0 = dt.datetime(2025, 3, 3)  # moto keeps naive UTC datetimes


@pytest.fixture
def backend():
    with mock_aws():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        rng = random.Random(3)
        for instance in ("i-1", "i-2"):
            for chunk in range(0, 600, 150):
                client.put_metric_data(Namespace="AWS/EC2", MetricData=[
                    {"MetricName": "CPUUtilization", "Unit": "Percent",
                     "Dimensions": [{"Name": "InstanceId", "Value": instance}],
                     "Timestamp": (T0 + dt.timedelta(seconds=37 * k + rng.randint(0, 30))).replace(tzinfo=dt.UTC),
                     "Value": rng.random() * 100} for k in range(chunk, chunk + 150)])
        client.put_metric_data(Namespace="Custom", MetricData=[
            {"MetricName": "CPUUtilization", "Timestamp": (T0 + dt.timedelta(minutes=m)).replace(tzinfo=dt.UTC),
             "StatisticValues": {"SampleCount": 3, "Sum": 30.0 + m, "Minimum": 1.0, "Maximum": 20.0}}
            for m in range(0, 300, 7)])
        yield cloudwatch_backends["123456789012"]["us-east-1"]


def _query(i, stat, period, dims=None, namespace="AWS/EC2", unit=None):
    metric = {"Namespace": namespace, "MetricName": "CPUUtilization"}
    if dims:
        metric["Dimensions"] = [{"Name": "InstanceId", "Value": dims}]
    q = {"Id": f"q{i}", "MetricStat": {"Metric": metric, "Period": period, "Stat": stat}}
    if unit:
        q["MetricStat"]["Unit"] = unit
    return q


@pytest.mark.parametrize("scan_by", ["TimestampAscending", "TimestampDescending"])
@pytest.mark.parametrize("period", [60, 300, 3600])
def test_same_answers_as_moto(backend, scan_by, period):
    queries = [_query(i, stat, period, dims, ns, unit) for i, (stat, dims, ns, unit) in enumerate([
        ("Average", "i-1", "AWS/EC2", None), ("Maximum", "i-2", "AWS/EC2", "Percent"),
        ("Sum", None, "AWS/EC2", None), ("SampleCount", None, "Custom", None),
        ("Minimum", "i-3", "AWS/EC2", None), ("Average", None, "Custom", None)])]
    queries[2]["ReturnData"] = False
    start, end = T0 + dt.timedelta(minutes=3, microseconds=5), T0 + dt.timedelta(hours=5)
    original = CloudWatchBackend.get_metric_data
    expected = original(backend, queries, start, end, scan_by)
    got = fast_moto.indexed_get_metric_data(backend, queries, start, end, scan_by)
    assert got == expected
    assert sum(len(r["values"]) for r in got) >= 5 * 3600 // period  # it covered real data


def test_validation_errors_match(backend):
    from moto.cloudwatch.exceptions import ValidationError

    with pytest.raises(ValidationError):
        fast_moto.indexed_get_metric_data(backend, [_query(0, "Average", 60)], T0, T0)


def test_percentiles_from_raw_values(backend):
    queries = [_query(0, "p95", 3600, "i-1"), _query(1, "p50", 3600, None, "Custom")]
    start, end = T0, T0 + dt.timedelta(hours=4)
    got = fast_moto.indexed_get_metric_data(backend, queries, start, end)
    raw = sorted(md.value for md in backend.metric_data
                 if md.name == "CPUUtilization" and md.namespace == "AWS/EC2"
                 and [d.value for d in md.dimensions] == ["i-1"] and md.timestamp < T0 + dt.timedelta(hours=1))
    assert got[0]["values"][0] == raw[int(0.95 * len(raw) + 0.999999) - 1]
    assert got[0]["values"][0] <= max(raw) and len(got[0]["values"]) >= 3
    assert got[1]["values"] == []  # statistic sets carry no percentiles


def test_list_metrics_lists_each_metric_once(backend):
    import boto3

    client = boto3.client("cloudwatch", region_name="us-east-1")
    dims = [{"Name": "InstanceId", "Value": "i-1"}, {"Name": "InstanceType", "Value": "m5.large"}]
    client.put_metric_data(Namespace="CWAgent", MetricData=[
        {"MetricName": "mem_used_percent", "Dimensions": dims, "Value": float(k),
         "Timestamp": (T0 + dt.timedelta(minutes=k)).replace(tzinfo=dt.UTC)} for k in range(30)])
    expected = {("AWS/EC2", "CPUUtilization", (("InstanceId", "i-1"),)),
                ("AWS/EC2", "CPUUtilization", (("InstanceId", "i-2"),)),
                ("Custom", "CPUUtilization", ()),
                ("CWAgent", "mem_used_percent", (("InstanceId", "i-1"), ("InstanceType", "m5.large")))}
    got = fast_moto.indexed_get_filtered_metrics(backend, None, None, [])
    assert {(m.namespace, m.name, tuple(sorted((d.name, d.value) for d in m.dimensions)))
            for m in got} == expected and len(got) == len(expected)
    # moto's own filters still apply
    only = fast_moto.indexed_get_filtered_metrics(backend, None, "CWAgent", [])
    assert [m.name for m in only] == ["mem_used_percent"]
    by_dim = fast_moto.indexed_get_filtered_metrics(backend, "CPUUtilization", None,
                                                    [{"Name": "InstanceId", "Value": "i-2"}])
    assert len(by_dim) == 1
