"""Engine test data: minimal events on three days (sizes known)."""

from __future__ import annotations

DAYS = ["2025-03-04", "2025-03-05", "2025-03-06"]


def day_events(day: str, n: int):
    """``n`` minimal events on ``day`` through the ingest's own flattening."""
    from toolkit.cloudtrail import events_from_records

    records = [{
        "eventVersion": "1.09", "eventTime": f"{day}T10:{i % 60:02d}:00Z",
        "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
        "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2",
        "eventID": f"{day}-{i:06d}", "eventType": "AwsApiCall", "readOnly": True,
        "recipientAccountId": "123456789012",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice",
                         "accountId": "123456789012", "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                         "principalId": "AIDAEXAMPLE", "userName": "alice"},
    } for i in range(n)]
    return events_from_records(records)


def write_days(lake_url: str, endpoint_url: str | None = None) -> None:
    from toolkit.lake import Lake

    lake = Lake.at(lake_url, endpoint_url)
    for i, day in enumerate(DAYS):
        lake.write_parquet("events", day, day_events(day, 10 * (i + 1)))
