"""The metrics table is read lazily: filters and columns reach the Parquet scan, local and on S3."""

from __future__ import annotations

import polars as pl
import pytest

from toolkit.cloudwatch.load import import_csv, read_metrics
from toolkit.cloudwatch.schema import METRICS_SCHEMA
from toolkit.cloudwatch.store import scan_days
from toolkit.lake import Lake


@pytest.fixture
def two_series(fixtures_dir):
    nab = fixtures_dir / "cloudwatch" / "nab"
    return [(nab / "ec2_cpu_utilization_5f5533.csv", "AWS/EC2", {"InstanceId": "i-5f5533"}),
            (nab / "rds_cpu_utilization_cc0c53.csv", "AWS/RDS", {"DBInstanceIdentifier": "db-1"})]


def _import(lake: str, series, **kwargs) -> None:
    for csv, namespace, dims in series:
        import_csv(csv, lake, namespace, "CPUUtilization", dimensions=dims, period=300, **kwargs)


def test_filters_and_columns_are_pushed_into_the_parquet_scan(two_series, tmp_path):
    lake = str(tmp_path / "lake")
    _import(lake, two_series)
    scan = scan_days(Lake.at(lake), "metrics", "2014-02-14", "2014-02-28", METRICS_SCHEMA)
    plan = scan.filter(pl.col("namespace") == "AWS/RDS").select("value").explain()
    assert "Parquet SCAN" in plan
    assert 'SELECTION: col("namespace") == "AWS/RDS"' in plan  # filtered while reading
    assert "PROJECT 2/11 COLUMNS" in plan                         # only value and namespace read
    rds = read_metrics(lake, "2014-02-14", "2014-02-28", namespace="AWS/RDS")
    assert set(rds["resource_id"]) == {"db-1"} and rds.height == 4032
    assert read_metrics(lake, "2014-02-14", "2014-02-28", namespace="AWS/Lambda").is_empty()


def test_lazy_read_of_an_s3_lake_through_moto(two_series, moto_reset):
    import boto3

    boto3.client("s3", endpoint_url=moto_reset, region_name="us-east-1").create_bucket(Bucket="lake")
    _import("s3://lake/tw", two_series[:1], endpoint_url=moto_reset)
    got = read_metrics("s3://lake/tw", "2014-02-20", "2014-02-21", namespace="AWS/EC2",
                       endpoint_url=moto_reset)
    assert set(got["dt"]) == {"2014-02-20", "2014-02-21"} and got.height == 2 * 288
    assert set(got["resource_id"]) == {"i-5f5533"}
