"""toolkit.cost.trail_logging: monthly logging costs from volumes, with prices from the one table."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from toolkit.cost import prices, trail_logging
from toolkit.reports.forensic_notebook import detect_subject

MONTH = prices.HOURS_PER_MONTH / 24


def _volume(rows):
    return pl.DataFrame(rows, schema={"event_source": pl.String, "event_category": pl.String,
                                      "events": pl.Int64}, orient="row")


def test_first_management_copy_is_free_and_data_events_are_billed():
    volume = _volume([("ec2.amazonaws.com", "Management", 300_000),
                      ("s3.amazonaws.com", "Data", 100_000), ("s3.amazonaws.com", "Data", 200_000)])
    one = trail_logging.cloudtrail_logging_cost(volume, days=30, trail_copies=1)
    by = {r["event_category"]: r for r in one.iter_rows(named=True)}
    assert by["Management"]["monthly_usd"] == 0.0
    data_month = 300_000 / 30 * MONTH
    assert by["Data"]["events_per_month"] == round(data_month)
    assert by["Data"]["monthly_usd"] == pytest.approx(data_month / 100_000 * 0.10, abs=1e-4)
    three = trail_logging.cloudtrail_logging_cost(volume, days=30, trail_copies=3)
    management = three.filter(pl.col("event_category") == "Management")["monthly_usd"][0]
    assert management == pytest.approx(300_000 / 30 * MONTH * 2 / 100_000 * 2.00, abs=1e-4)
    with pytest.raises(ValueError, match="trail_copies"):
        trail_logging.cloudtrail_logging_cost(volume, days=30, trail_copies=0)
    with pytest.raises(ValueError, match="at least one day"):
        trail_logging.per_month(10, 0)


def test_cloudwatch_usage_counts_custom_series_and_requested_metrics():
    t0 = dt.datetime(2025, 3, 3, tzinfo=dt.UTC)
    rows = []
    for day in range(2):
        for ns, metric, dims in (("AWS/EC2", "CPUUtilization", '{"InstanceId":"i-1"}'),
                                 ("CWAgent", "mem_used_percent", '{"InstanceId":"i-1"}'),
                                 ("CWAgent", "mem_used_percent", '{"InstanceId":"i-2"}')):
            for stat in ("Average", "Maximum"):
                rows.append((t0 + dt.timedelta(days=day), "1", "us-east-1", ns, metric, dims, stat, 1.0))
    metrics = pl.DataFrame(rows, schema=["timestamp", "account_id", "region", "namespace", "metric_name",
                                         "dimensions", "stat", "value"], orient="row")
    usage = trail_logging.cloudwatch_usage(metrics)
    assert usage == {"custom_metrics": 2, "metrics_requested_per_day": 6, "days": 2}
    items = trail_logging.cloudwatch_monitoring_cost(usage, standard_alarms=10)
    cost = dict(zip(items["item"], items["monthly_usd"], strict=True))
    assert cost["custom metrics"] == pytest.approx(2 * 0.30)
    assert cost["alarms (standard)"] == pytest.approx(1.0)
    assert cost["GetMetricData (export)"] == pytest.approx(round(6 * MONTH) / 1000 * 0.01, abs=1e-6)


def test_recommendations_are_ranked_by_savings_and_skip_trivia():
    cloudtrail = pl.DataFrame({"event_category": ["Management"], "monthly_usd": [12.5]})
    drivers = pl.DataFrame({"dimension": ["bucket", "bucket"], "name": ["big", "tiny"],
                            "events": [30_000_000, 10]})
    rightsizing = pl.DataFrame({"instance_id": ["i-1", "i-2"], "instance_type": ["m5.2xlarge", "t3.nano"],
                                "recommended_type": ["m5.xlarge", None], "cpu_p95": [3.0, 50.0],
                                "action": ["downsize", "keep"], "monthly_savings_usd": [140.16, 0.0]})
    scans = pl.DataFrame({"raw_cost_usd": [0.05], "curated_cost_usd": [0.0001]})
    recs = trail_logging.recommendations(cloudtrail, drivers, rightsizing, scans, trail_copies=2,
                                        queries_per_month=100, days=30)
    assert recs["rank"].to_list() == list(range(1, recs.height + 1))
    assert recs["monthly_savings_usd"].to_list() == sorted(recs["monthly_savings_usd"], reverse=True)
    assert recs["recommendation"][0].startswith("Downsize i-1")
    assert not any("tiny" in r for r in recs["recommendation"])  # saves less than a cent
    assert any("Consolidate 2" in r for r in recs["recommendation"])


def test_recommendations_without_raw_costs_skip_the_athena_line():
    """No raw location: the scan comparison has null raw costs (skipped), not a crash."""
    cloudtrail = pl.DataFrame({"event_category": ["Management"], "monthly_usd": [0.0]})
    drivers = pl.DataFrame(schema={"dimension": pl.String, "name": pl.String, "events": pl.Int64})
    rightsizing = pl.DataFrame(schema={"instance_id": pl.String, "action": pl.String,
                                       "monthly_savings_usd": pl.Float64})
    scans = pl.DataFrame({"raw_cost_usd": [None, None], "curated_cost_usd": [0.0001, 0.0002]},
                         schema={"raw_cost_usd": pl.Float64, "curated_cost_usd": pl.Float64})
    recs = trail_logging.recommendations(cloudtrail, drivers, rightsizing, scans, trail_copies=1,
                                        queries_per_month=300, days=7)
    assert recs.is_empty() and "rank" in recs.columns


def test_price_sources_cite_every_price_used():
    table = trail_logging.price_sources()
    assert set(trail_logging.CATEGORY_PRICE.values()) <= set(table["key"])
    assert table["source"].str.starts_with("https://aws.amazon.com/").all()


@pytest.mark.parametrize(("value", "kind"), [
    ("AKIAIOSFODNN7EXAMPLE", "access_key"), ("185.220.101.47", "ip"), ("2001:db8::1", "ip"),
    ("arn:aws:iam::123456789012:user/alice", "principal"),
    ("arn:aws:s3:::acme-prod-customer-data", "resource")])
def test_subject_kind_is_detected(value, kind):
    assert detect_subject(value).kind == kind


def test_undetectable_or_mistyped_subject_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot tell"):
        detect_subject("' OR 1=1 --")
    with pytest.raises(ValueError, match="access key"):
        detect_subject("185.220.101.47", "access_key")
