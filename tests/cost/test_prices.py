"""The one price table: every item dated and sourced; estimators compute from it."""

from __future__ import annotations

import datetime as dt

import pytest

from toolkit.cost import prices


def test_every_price_is_dated_and_sourced():
    rows = prices.price_rows()
    assert len(rows) > 80
    for row in rows:
        dt.date.fromisoformat(row["as_of"])
        assert row["source"].startswith("https://aws.amazon.com/"), row
        assert row["usd"] >= 0


def test_documented_list_prices():
    assert prices.price("cloudtrail.management_additional_copy") == 2.00
    assert prices.price("cloudtrail.data_events") == 0.10
    assert prices.price("cloudwatch.get_metric_data") == 0.01
    assert prices.price("athena.scan") == 5.00
    assert prices.ec2_hourly("m5.large") == 0.096
    with pytest.raises(ValueError, match="no EC2 price"):
        prices.ec2_hourly("m5.gigantic")
    with pytest.raises(ValueError, match="no price"):
        prices.price("nope")


def test_estimators():
    assert prices.get_metric_data_cost(12_345) == pytest.approx(0.12345)
    ct = prices.cloudtrail_cost(management_events=1_000_000, data_events=2_000_000, trail_copies=2)
    assert ct == {"management_additional_copies": 20.0, "data_events": 2.0, "insights": 0.0, "total": 22.0}
    assert prices.cloudtrail_cost(1_000_000)["total"] == 0.0  # first copy free
    assert prices.custom_metrics_cost(10_000) == pytest.approx(3_000.0)
    assert prices.custom_metrics_cost(20_000) == pytest.approx(3_000 + 1_000)
    assert prices.alarms_cost(standard=10, high_resolution=2, anomaly_detection=1) == pytest.approx(1.9)
    assert prices.logs_cost(ingested_gb=10, stored_gb=100) == pytest.approx(8.0)
    assert prices.athena_query_cost(1) == pytest.approx(10 * 1024**2 / 1024**4 * 5)  # 10 MB minimum
    assert prices.athena_query_cost(1024**4) == pytest.approx(5.0)
    assert prices.s3_storage_cost(100) == pytest.approx(2.3)
    assert prices.ec2_monthly("t3.micro") == pytest.approx(0.0104 * 730)
