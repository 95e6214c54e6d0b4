"""Minimal realistic CloudTrail events as ``events`` rows, shared by the lake and engine tests."""

from __future__ import annotations


def day_events(day: str, n: int, tag: str = "e", hour: int = 0):
    """``n`` events on ``day``, one a second from ``hour``:00 UTC, through the ingest's flattening.

    eventIDs are ``<tag>-<day>-<i>`` (a rewrite with another tag is told apart).
    """
    from toolkit.cloudtrail import events_from_records

    records = [{
        "eventVersion": "1.09",
        "eventTime": f"{day}T{(hour + i // 3600) % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
        "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2",
        "eventID": f"{tag}-{day}-{i:06d}", "eventType": "AwsApiCall", "readOnly": True,
        "recipientAccountId": "123456789012",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice",
                         "accountId": "123456789012", "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                         "principalId": "AIDAEXAMPLE", "userName": "alice"},
    } for i in range(n)]
    return events_from_records(records)


def records_in(folder) -> list[dict]:
    """Every record of the gzip JSON files under ``folder``: delivery files (``{"Records": [...]}``)
    and the public/ corpus's record arrays, in path order."""
    import gzip
    import json

    records = []
    for path in sorted(folder.rglob("*.json.gz")):
        with gzip.open(path) as fh:
            doc = json.load(fh)
        records += doc["Records"] if isinstance(doc, dict) else doc
    return records
