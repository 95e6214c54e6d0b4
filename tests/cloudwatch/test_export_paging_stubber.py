"""GetMetricData NextToken paging and throttling, with botocore's Stubber.

moto ignores MaxDatapoints and never returns a NextToken, so paging across several calls is
exercised with Stubber (no HTTP) -- named so on purpose.
"""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.stub import ANY, Stubber

from toolkit.cloudwatch.export import (
    MAX_DATAPOINTS_PER_CALL,
    MAX_QUERIES_PER_CALL,
    export_metrics,
    plan_calls,
)
from toolkit.cloudwatch.load import read_metrics
from toolkit.cloudwatch.periods import choose_period

DAY = dt.date(2025, 3, 4)
NOW = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)
T0 = dt.datetime(2025, 3, 4, tzinfo=dt.UTC)
METRIC = {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
          "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]}


def _client():
    return boto3.client("cloudwatch", region_name="us-east-1")


def test_stubber_nexttoken_paging_across_several_calls(tmp_path):
    client = _client()
    stub = Stubber(client)
    stub.add_response("list_metrics", {"Metrics": [METRIC], "NextToken": "lm2"}, {"Namespace": "AWS/EC2"})
    stub.add_response("list_metrics", {"Metrics": [{**METRIC, "Dimensions": [{"Name": "InstanceId", "Value": "i-2"}]}]},
                      {"Namespace": "AWS/EC2", "NextToken": "lm2"})
    pages = [([T0, T0 + dt.timedelta(minutes=5)], [1.0, 2.0], "tok1"),
             ([T0 + dt.timedelta(minutes=10)], [3.0], "tok2"),
             ([T0 + dt.timedelta(minutes=15)], [4.0], None)]
    for i, (stamps, values, token) in enumerate(pages):
        response = {"MetricDataResults": [
            {"Id": "q0", "Label": "a", "Timestamps": stamps, "Values": values,
             "StatusCode": "PartialData" if token else "Complete"},
            {"Id": "q1", "Label": "b", "Timestamps": stamps, "Values": [v * 10 for v in values],
             "StatusCode": "PartialData" if token else "Complete"}]}
        if token:
            response["NextToken"] = token
        expected = {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": ANY,
                    "MaxDatapoints": MAX_DATAPOINTS_PER_CALL}
        if i:
            expected["NextToken"] = pages[i - 1][2]
        stub.add_response("get_metric_data", response, expected)
    with stub:
        s = export_metrics(str(tmp_path / "lake"), DAY, client=client, namespaces=["AWS/EC2"],
                           stats=["Average"], now=NOW, account_id="1", period=300)
    stub.assert_no_pending_responses()
    got = read_metrics(str(tmp_path / "lake"), DAY, DAY).sort("resource_id", "timestamp")
    assert got.filter(got["resource_id"] == "i-1")["value"].to_list() == [1.0, 2.0, 3.0, 4.0]
    assert got.filter(got["resource_id"] == "i-2")["value"].to_list() == [10.0, 20.0, 30.0, 40.0]
    assert s.metrics_requested == 2 and s.calls == 1


def test_throttled_get_metric_data_backs_off_and_retries(tmp_path):
    client = _client()
    stub = Stubber(client)
    stub.add_response("list_metrics", {"Metrics": [METRIC]}, {"Namespace": "AWS/EC2"})
    for _ in range(2):
        stub.add_client_error("get_metric_data", service_error_code="Throttling", http_status_code=400)
    stub.add_response("get_metric_data", {"MetricDataResults": [
        {"Id": "q0", "Timestamps": [T0], "Values": [5.0], "StatusCode": "Complete"}]})
    waits = []
    with stub:
        export_metrics(str(tmp_path / "lake"), DAY, client=client, namespaces=["AWS/EC2"],
                       stats=["Maximum"], now=NOW, account_id="1", period=300, sleep=waits.append)
    assert waits == [1.0, 2.0]
    assert read_metrics(str(tmp_path / "lake"), DAY, DAY)["value"].to_list() == [5.0]


def test_calls_respect_both_getmetricdata_limits():
    day_end = T0 + dt.timedelta(days=1)
    one_minute = plan_calls(1200, T0, day_end, 60)     # 1,440 points per query
    assert all((last - first) * 1440 <= MAX_DATAPOINTS_PER_CALL for first, last, *_ in one_minute)
    assert sum(last - first for first, last, *_ in one_minute) == 1200
    hourly = plan_calls(1200, T0, day_end, 3600)        # 24 points: the 500-query cap binds
    assert [last - first for first, last, *_ in hourly] == [MAX_QUERIES_PER_CALL, 500, 200]
    long = plan_calls(2, T0, T0 + dt.timedelta(days=80), 60)  # 115,200 points: split in time
    assert len(long) == 4
    for _, _, a, b in long:
        assert (b - a).total_seconds() / 60 <= MAX_DATAPOINTS_PER_CALL


@pytest.mark.parametrize(("age", "period"), [(dt.timedelta(hours=1), 60), (dt.timedelta(days=14), 60),
                                             (dt.timedelta(days=20), 300), (dt.timedelta(days=400), 3600)])
def test_period_follows_retention(age, period):
    assert choose_period(NOW - age, NOW) == period


def test_too_fine_period_names_the_retention_rule():
    with pytest.raises(ValueError, match="only keeps 300s periods"):
        choose_period(NOW - dt.timedelta(days=30), NOW, requested=60)
    assert choose_period(NOW - dt.timedelta(hours=2), NOW, requested=10) == 10
    with pytest.raises(ValueError, match="not started"):
        export_metrics("/tmp/x", NOW.date() + dt.timedelta(days=1), now=NOW, client=object())
