"""Detection test fixtures: crafted CloudTrail records, small lakes and throwaway rule dirs."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import pytest
import yaml

ACCOUNT = "111122223333"
_ids = itertools.count(1)


def user_identity(name: str = "alice", key: str = "AKIAIOSFODNN7EXAMPLE") -> dict:
    return {"type": "IAMUser", "principalId": "AIDACKCEVSQ6C2EXAMPLE",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "accountId": ACCOUNT,
            "accessKeyId": key, "userName": name}


def record(name: str, source: str, time: str, *, ident: dict | None = None, params=None,
           ip: str = "203.0.113.10", region: str = "us-east-1", error: str | None = None,
           read_only: bool = False) -> dict:
    """A minimal but complete CloudTrail management event."""
    n = next(_ids)
    rec = {"eventVersion": "1.09", "userIdentity": ident or user_identity(), "eventTime": time,
           "eventSource": source, "eventName": name, "awsRegion": region, "sourceIPAddress": ip,
           "userAgent": "aws-cli/2.15.30", "requestParameters": params, "responseElements": None,
           "requestID": f"00000000-1111-4111-8111-{n:012x}",
           "eventID": f"00000000-2222-4222-8222-{n:012x}", "readOnly": read_only,
           "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCOUNT,
           "eventCategory": "Management"}
    if error:
        rec["errorCode"], rec["errorMessage"] = error, "denied"
    return rec


def write_lake(lake: Path | str, records: list[dict], endpoint_url: str | None = None) -> None:
    """Write records as the lake's ``events`` partitions (one per UTC day), via the ingest's flatten."""
    from toolkit.cloudtrail import events_from_records
    from toolkit.lake import Lake

    by_day: dict[str, list[dict]] = {}
    for rec in records:
        by_day.setdefault(rec["eventTime"][:10], []).append(rec)
    store = Lake.at(str(lake), endpoint_url)
    for day, recs in by_day.items():
        store.write_parquet("events", day, events_from_records(recs))


def write_rule(rules_dir: Path, rule: dict) -> Path:
    path = rules_dir / rule["tactic"] / f"{rule['name']}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(rule, sort_keys=False))
    return path


def stop_logging_rule(**changes) -> dict:
    """A small valid filter rule (with tests) to derive variants from."""
    rule = {
        "name": "test-stop-logging", "title": "Trail stopped", "description": "StopLogging seen.",
        "severity": "high", "tactic": "defense-evasion", "technique": "T1562.008", "outcome": "any",
        "references": ["https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html"],
        "logic": {"filter": "event_source = 'cloudtrail.amazonaws.com' and event_name = 'StopLogging'"},
        "details": {"trail": "json_extract_scalar(request_parameters, '$.name')"},
        "tests": {
            "positive": [record("StopLogging", "cloudtrail.amazonaws.com", "2025-03-04T10:00:00Z",
                                params={"name": "org-trail"})],
            "negative": [record("StartLogging", "cloudtrail.amazonaws.com", "2025-03-04T10:00:00Z",
                                params={"name": "org-trail"})],
        },
    }
    rule.update(copy.deepcopy(changes))
    return rule


@pytest.fixture
def rules_dir(tmp_path) -> Path:
    path = tmp_path / "rules"
    path.mkdir()
    return path
