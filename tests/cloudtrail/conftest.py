"""CloudTrail test fixtures: real deliveries and crafted records that hit every edge."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest


def read_records(path: Path) -> list[dict]:
    with gzip.open(path) as fh:
        return json.load(fh)["Records"]


def delivered_texts(data: bytes) -> list[bytes]:
    """The exact bytes of each element of ``Records`` in a delivered file (gzip or plain).

    An independent reader for tests: plain Python tokens (a regex skips whole strings; the
    ingest uses numpy), checked against ``json`` so it cannot drift from what the JSON means.
    """
    import re

    text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    doc = json.loads(text)
    i = text.index(b"[", text.index(b'"Records"'))
    out, depth, start = [], 0, i + 1
    for m in re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\],]', re.S).finditer(text, i + 1):
        c = m.group()
        if c in (b"{", b"["):
            depth += 1
        elif c in (b"}", b"]") and depth:
            depth -= 1
        elif c in (b",", b"]") and depth == 0:
            if text[start:m.start()].strip():
                out.append(text[start:m.start()].strip())
            start = m.end()
            if c == b"]":
                break
    assert [json.loads(t) for t in out] == doc["Records"]
    return out


@pytest.fixture(scope="session")
def real_records(real_cloudtrail_dir) -> list[dict]:
    """Every record of the real public deliveries (eventVersion 1.05-1.11, both layouts)."""
    records = []
    for path in sorted(real_cloudtrail_dir.rglob("*.json.gz")):
        if "public" in path.relative_to(real_cloudtrail_dir).parts:
            continue  # record arrays, not delivery files (tests/realdata lays them out as ones)
        records += read_records(path)
    assert len(records) >= 20
    return records


def edge_records() -> list[dict]:
    """Records crafted so that every lossless fallback is exercised."""
    base = {"eventVersion": "1.11", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
            "awsRegion": "eu-west-1", "requestParameters": None, "responseElements": None}
    return [
        {**base, "eventID": "e-unicode", "eventTime": "2025-03-06T10:00:00Z",
         "userAgent": "ünï\u2028\"quoted\" \\ / \U0001F600", "errorMessage": "",
         "requestParameters": {"key": "a\nb", "n": [1, 2.5, -0.0, 1e300, 12345678901234567890],
                               "nested": [[1], [2, [3, {"x": None}]]], "empty": {}, "t": True}},
        {**base, "eventID": "e-types", "eventTime": "2025-03-06T10:00:01.250Z", "eventVersion": 1.5,
         "readOnly": "true", "managementEvent": None, "errorCode": None,
         "requestParameters": "a string", "responseElements": 42, "additionalEventData": [1, "x"]},
        {**base, "eventID": "e-identity", "eventTime": "2025-03-06T10:00:02Z",
         "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/s",
                          "newField": {"a": 1}, "sessionContext": {"webIdFederationData": {}}}},
        {**base, "eventID": "e-identity-ok", "eventTime": "2025-03-06T10:00:03Z",
         "userIdentity": {"type": "WebIdentityUser", "principalId": "p",
                          "sessionContext": {"webIdFederationData": {"federatedProvider": "cognito",
                                                                     "attributes": {}},
                                             "attributes": {"mfaAuthenticated": "false"},
                                             "sourceIdentity": "alice"},
                          "inScopeOf": {"issuerType": "AWS::Lambda::Function",
                                        "credentialsIssuedTo": "arn:x"},
                          "onBehalfOf": {"userId": "u", "identityStoreArn": "arn:y"}},
         "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                        "clientProvidedHostHeader": "s3.eu-west-1.amazonaws.com"}},
        {**base, "eventID": "e-resources", "eventTime": "2025-03-06T10:00:04Z",
         "resources": [{"type": "AWS::S3::Object", "ARNPrefix": "arn:aws:s3:::b/"},
                       {"ARN": "arn:aws:s3:::b", "accountId": None}],
         "tlsDetails": {"tlsVersion": "TLSv1.2", "keyExchange": "x25519"}},
        {**base, "eventID": "e-resources-ok", "eventTime": "2025-03-06T10:00:05Z", "resources": [],
         "sessionCredentialFromConsole": "true", "vpcEndpointId": "vpce-1", "sharedEventID": "s"},
        {**base, "eventID": "e-unknown", "eventTime": "2025-03-06T10:00:06Z",
         "addendum": {"reason": "DELIVERY_DELAY"}, "a/b~c": 1, "": "empty key", "edgeDeviceDetails": None,
         "userIdentity": None, "tlsDetails": "oops", "resources": {"ARN": "not a list"}},
        {"eventVersion": "1.05", "eventID": "e-old", "eventTime": "2017-12-11T15:01:51Z",
         "userIdentity": {"type": "Root", "principalId": "1", "arn": "arn:aws:iam::1:root",
                          "accountId": "1", "accessKeyId": ""}, "eventType": "AwsConsoleSignIn",
         "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "No"}},
    ]


@pytest.fixture
def crafted_records() -> list[dict]:
    return edge_records()


def write_delivery(raw: Path, records, *, account="111122223333", region="us-east-1",
                   folder="2025/03/06", name=None, org=None, kind="CloudTrail", raw_bytes=None) -> Path:
    """Write one delivery file in AWS's key layout; returns its path."""
    base = raw / "AWSLogs" / (f"{org}/{account}" if org else account) / kind / region / folder
    base.mkdir(parents=True, exist_ok=True)
    stamp = folder.replace("/", "") + "T0000Z"
    path = base / (name or f"{account}_{kind}_{region}_{stamp}_{abs(hash(str(records))) % 10**16:016d}.json.gz")
    data = raw_bytes if raw_bytes is not None else gzip.compress(json.dumps({"Records": records}).encode())
    path.write_bytes(data)
    return path


def event(event_id: str, when: str, **extra) -> dict:
    return {"eventVersion": "1.09", "eventID": event_id, "eventTime": when, "eventSource": "ec2.amazonaws.com",
            "eventName": "DescribeInstances", "awsRegion": "us-east-1", "requestParameters": None,
            "responseElements": None, "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a",
                                                       "accessKeyId": "AKIAEXAMPLEEXAMPLE01"}, **extra}


@pytest.fixture
def messy_raw(tmp_path, real_cloudtrail_dir) -> Path:
    """A raw root with real files, duplicates, other days, bad files, a digest and an Insight."""
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(real_cloudtrail_dir / "cloud-snitch" / "AWSLogs", raw / "AWSLogs")
    write_delivery(raw, [event("a1", "2025-03-06T23:58:00Z"), event("a2", "2025-03-05T23:59:00Z")],
                   folder="2025/03/06", name="f1.json.gz")
    # late delivery of the same events (a duplicate) in the next day's folder, plus next-day events
    write_delivery(raw, [event("a1", "2025-03-06T23:58:00Z"), event("b1", "2025-03-07T00:01:00Z")],
                   folder="2025/03/07", name="f2.json.gz", region="eu-west-1")
    write_delivery(raw, [event("c1", "2025-03-06T12:00:00Z"), {"eventTime": "2025-03-06T12:00:01Z"},
                         event("c2", "not a time")], folder="2025/03/06", name="f3.json.gz")
    write_delivery(raw, [], folder="2025/03/06", name="zero.json.gz", raw_bytes=b"")
    write_delivery(raw, [], folder="2025/03/06", name="corrupt.json.gz", raw_bytes=b"\x1f\x8b\x08\x00garbage")
    write_delivery(raw, [], folder="2025/03/06", name="truncated.json.gz",
                   raw_bytes=gzip.compress(b'{"Records":[{"eventID":"t1",'))
    write_delivery(raw, [], folder="2025/03/06", name="norecords.json.gz",
                   raw_bytes=gzip.compress(b'{"logFiles":[]}'))
    write_delivery(raw, [], folder="2025/03/06", name="digest.json.gz", kind="CloudTrail-Digest",
                   raw_bytes=gzip.compress(b'{"digestStartTime":"x"}'))
    write_delivery(raw, [{"eventVersion": "1.07", "eventID": "i1", "eventTime": "2025-03-06T10:00:00Z",
                          "eventType": "AwsCloudTrailInsight", "eventCategory": "Insight",
                          "insightDetails": {"state": "Start", "insightType": "ApiCallRateInsight"}}],
                   folder="2025/03/06", name="insight.json.gz", kind="CloudTrail-Insight")
    return raw
