"""A small crafted account with a known identity chain (used by tests/forensics/conftest.py).

The crafted lake holds a baseline (days 1-3: the user's normal key, IP and agent), and an
incident day (day 5): the user's key used from a new IP/agent, a backdoor user and key, an
AssumeRole with a source identity, a chained AssumeRole, and what each credential did. A
colleague assumes the same role legitimately (must stay out of the chain).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

ACCOUNT = "111122223333"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/mwilson"
LEAKED_KEY = "AKIAQWERTYUIOPASDF12"
OTHER_KEY = "AKIAZXCVBNMASDFGHJ34"          # colleague jchen
BACKDOOR_KEY = "AKIABACKD00RKEY00001"
BACKDOOR_USER = f"arn:aws:iam::{ACCOUNT}:user/svc-sync"
TEMP_KEY_1 = "ASIATEMPKEY000000001"          # leaked key -> deploy-role (source identity)
TEMP_KEY_2 = "ASIATEMPKEY000000002"          # temp key 1 -> app-data-reader (chained)
TEMP_KEY_OTHER = "ASIATEMPKEY000000099"      # jchen -> deploy-role (unrelated)
DEPLOY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/deploy-role"
READER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/app-data-reader"
HOME_IP, HOME_UA = "198.51.100.7", "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64"
ATTACKER_IP, ATTACKER_UA = "203.0.113.66", "python-requests/2.31.0"
BUCKET = "acme-prod-customer-data"
INSTANCE = "i-0a1b2c3d4e5f60718"
INCIDENT_DAY = dt.date(2025, 3, 5)

_ids = itertools.count(1)


def event_id() -> str:
    return f"00000000-0000-4000-8000-{next(_ids):012d}"


def user_identity(arn: str, key: str) -> dict:
    if ":assumed-role/" in arn:
        role_name = arn.split("/")[1]
        return {"type": "AssumedRole", "principalId": f"AROAEXAMPLE:{arn.split('/')[2]}", "arn": arn,
                "accountId": ACCOUNT, "accessKeyId": key,
                "sessionContext": {
                    "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                                      "arn": f"arn:aws:iam::{ACCOUNT}:role/{role_name}",
                                      "accountId": ACCOUNT, "userName": role_name},
                    "attributes": {"creationDate": "2025-03-05T10:00:00Z", "mfaAuthenticated": "false"},
                    **({"sourceIdentity": "ops-automation"} if key != TEMP_KEY_OTHER else {})}}
    return {"type": "IAMUser", "principalId": "AIDAEXAMPLE" + arn[-4:].upper(), "arn": arn,
            "accountId": ACCOUNT, "accessKeyId": key, "userName": arn.rsplit("/", 1)[1]}


def record(when: str, arn: str, key: str, source: str, name: str, *, ip=ATTACKER_IP, ua=ATTACKER_UA,
           req=None, resp=None, read_only=False, error=None, resources=None) -> dict:
    rec = {"eventVersion": "1.09", "userIdentity": user_identity(arn, key), "eventTime": when,
           "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
           "sourceIPAddress": ip, "userAgent": ua, "requestParameters": req,
           "responseElements": None if error else resp, "requestID": event_id(),
           "eventID": event_id(), "readOnly": read_only, "eventType": "AwsApiCall",
           "managementEvent": True, "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
    if error:
        rec["errorCode"], rec["errorMessage"] = error, "not authorized"
    if resources:
        rec["resources"] = resources
    return rec


def assume_role(when, arn, key, role_arn, session, issued, *, ip=ATTACKER_IP, ua=ATTACKER_UA,
                source_identity=None):
    req = {"roleArn": role_arn, "roleSessionName": session, "durationSeconds": 3600}
    if source_identity:
        req["sourceIdentity"] = source_identity
    role_name = role_arn.rsplit("/", 1)[1]
    resp = {"credentials": {"accessKeyId": issued, "sessionToken": "x", "expiration": "Mar 5, 2025, 11:00:00 AM"},
            "assumedRoleUser": {"assumedRoleId": f"AROAEXAMPLE:{session}",
                                "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{session}"}}
    if source_identity:
        resp["sourceIdentity"] = source_identity
    return record(when, arn, key, "sts.amazonaws.com", "AssumeRole", ip=ip, ua=ua, req=req, resp=resp,
                  read_only=True,
                  resources=[{"ARN": role_arn, "accountId": ACCOUNT, "type": "AWS::IAM::Role"}])


def crafted_records() -> list[dict]:
    """The crafted account's records (baseline days 1-3, incident on day 5); same ids each call."""
    global _ids
    _ids = itertools.count(1)
    recs = []
    for day in (1, 2, 3):
        t = f"2025-03-0{day}T09:1{day}:00Z"
        recs.append(record(t, USER_ARN, LEAKED_KEY, "ec2.amazonaws.com", "DescribeInstances",
                           ip=HOME_IP, ua=HOME_UA, read_only=True))
        recs.append(record(t, f"arn:aws:iam::{ACCOUNT}:user/jchen", OTHER_KEY, "s3.amazonaws.com",
                           "ListBuckets", ip="192.0.2.10", ua=HOME_UA, read_only=True))
    session1 = f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy-role/ops"
    session2 = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-data-reader/chained"
    d = "2025-03-05T"
    recs += [
        record(d + "08:00:00Z", USER_ARN, LEAKED_KEY, "ec2.amazonaws.com", "DescribeInstances",
               ip=HOME_IP, ua=HOME_UA, read_only=True),
        record(d + "10:00:00Z", USER_ARN, LEAKED_KEY, "sts.amazonaws.com", "GetCallerIdentity", read_only=True),
        record(d + "10:01:00Z", USER_ARN, LEAKED_KEY, "iam.amazonaws.com", "ListUsers", read_only=True),
        record(d + "10:02:00Z", USER_ARN, LEAKED_KEY, "secretsmanager.amazonaws.com", "ListSecrets",
               read_only=True, error="AccessDeniedException"),
        record(d + "10:03:00Z", USER_ARN, LEAKED_KEY, "iam.amazonaws.com", "CreateUser",
               req={"userName": "svc-sync"},
               resp={"user": {"userName": "svc-sync", "userId": "AIDABACKDOOR", "arn": BACKDOOR_USER,
                              "path": "/", "createDate": "Mar 5, 2025, 10:03:00 AM"}}),
        record(d + "10:04:00Z", USER_ARN, LEAKED_KEY, "iam.amazonaws.com", "CreateAccessKey",
               req={"userName": "svc-sync"},
               resp={"accessKey": {"userName": "svc-sync", "accessKeyId": BACKDOOR_KEY, "status": "Active",
                                   "createDate": "Mar 5, 2025, 10:04:00 AM"}}),
        record(d + "10:05:00Z", USER_ARN, LEAKED_KEY, "iam.amazonaws.com", "AttachUserPolicy",
               req={"userName": "svc-sync", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        record(d + "10:06:00Z", USER_ARN, LEAKED_KEY, "iam.amazonaws.com", "CreateLoginProfile",
               req={"userName": "svc-sync", "passwordResetRequired": False},
               resp={"loginProfile": {"userName": "svc-sync", "createDate": "Mar 5, 2025, 10:06:00 AM",
                                      "passwordResetRequired": False}}),
        assume_role(d + "10:10:00Z", USER_ARN, LEAKED_KEY, DEPLOY_ROLE, "ops", TEMP_KEY_1,
                    source_identity="ops-automation"),
        record(d + "10:11:00Z", session1, TEMP_KEY_1, "ec2.amazonaws.com", "ModifyInstanceAttribute",
               req={"instanceId": INSTANCE, "instanceType": {"value": "t3.nano"}}),
        assume_role(d + "10:12:00Z", session1, TEMP_KEY_1, READER_ROLE, "chained", TEMP_KEY_2,
                    source_identity="ops-automation"),
        *[record(d + f"10:2{i}:00Z", session2, TEMP_KEY_2, "s3.amazonaws.com", "GetObject",
                 req={"bucketName": BUCKET, "key": f"exports/customers-{i}.csv"}, read_only=True,
                 resources=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{BUCKET}/exports/customers-{i}.csv"},
                            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{BUCKET}"}])
          for i in range(3)],
        record(d + "10:30:00Z", BACKDOOR_USER, BACKDOOR_KEY, "cloudtrail.amazonaws.com", "StopLogging",
               req={"name": "management-events"}, ip="203.0.113.67"),
        # The colleague's legitimate use of the same role: not part of the chain.
        assume_role(d + "11:00:00Z", f"arn:aws:iam::{ACCOUNT}:user/jchen", OTHER_KEY, DEPLOY_ROLE, "jchen",
                    TEMP_KEY_OTHER, ip="192.0.2.10", ua=HOME_UA),
        record(d + "11:01:00Z", f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy-role/jchen", TEMP_KEY_OTHER,
               "ec2.amazonaws.com", "DescribeInstances", ip="192.0.2.10", ua=HOME_UA, read_only=True),
    ]
    return recs


def write_events(lake_url: str, records: list[dict]) -> None:
    """Partition records by eventTime day and write them as the events table."""
    from toolkit.cloudtrail import events_from_records
    from toolkit.lake import Lake

    lake = Lake.at(lake_url)
    by_day: dict[str, list[dict]] = {}
    for rec in records:
        by_day.setdefault(rec["eventTime"][:10], []).append(rec)
    for day, recs in by_day.items():
        lake.write_parquet("events", day, events_from_records(recs))


def write_findings(lake_url: str, records: list[dict]) -> None:
    """One finding on the backdoor's StopLogging and one unrelated finding."""
    import pyarrow as pa

    from toolkit.detections.schema import FINDINGS_SCHEMA
    from toolkit.lake import Lake

    stop = next(r for r in records if r["eventName"] == "StopLogging")
    t = dt.datetime(2025, 3, 5, 10, 30, tzinfo=dt.UTC)
    rows = [
        {"finding_id": "f-1", "rule_id": "cloudtrail_stop_logging", "title": "CloudTrail logging stopped",
         "severity": "high", "tactic": "defense-evasion", "technique": "T1562.008",
         "event_ids": [stop["eventID"]], "principal_arn": BACKDOOR_USER, "access_key_id": BACKDOOR_KEY,
         "source_ip_address": "203.0.113.67", "account_id": ACCOUNT, "region": "us-east-1",
         "first_seen": t, "last_seen": t, "event_count": 1, "details": json.dumps({})},
        {"finding_id": "f-2", "rule_id": "root_usage", "title": "Root used", "severity": "medium",
         "tactic": "privilege-escalation", "technique": "T1078.004", "event_ids": ["nope"],
         "principal_arn": f"arn:aws:iam::{ACCOUNT}:root", "access_key_id": None,
         "source_ip_address": "192.0.2.99", "account_id": ACCOUNT, "region": "us-east-1",
         "first_seen": t, "last_seen": t, "event_count": 1, "details": "{}"},
    ]
    Lake.at(lake_url).write_parquet("findings", INCIDENT_DAY, pa.Table.from_pylist(rows, FINDINGS_SCHEMA))
