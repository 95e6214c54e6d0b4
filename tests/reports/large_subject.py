"""A synthetic high-volume subject for the forensic report's scale test.

One CI user key makes 100,500 calls over 7 days across 230 APIs, assumes four roles 320 times
(320 temporary keys, one session chaining into a fifth role), and on day 5 at 02:00 is abused
from a new IP: the ``STEPS`` below. 40 informational findings (noise) and three high/medium
ones are written too, so ranking by severity rather than count is visible.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

ACCOUNT = "444455556666"
USER = "ci-bulk"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/{USER}"
KEY = "AKIALARGESUBJECT0001"
SHADOW_KEY = "AKIASHADOWKEY0000001"
SHADOW_ARN = f"arn:aws:iam::{ACCOUNT}:user/svc-shadow"
HOME_IP, HOME_UA = "198.51.100.20", "aws-sdk-go-v2/1.36.1 os/linux lang/go#1.23.6"
ATTACKER_IP, ATTACKER_UA = "203.0.113.50", "python-requests/2.31.0"
START, DAYS = dt.date(2025, 6, 2), 7
ROLES = ("deploy-role", "build-role", "artifact-role", "metrics-role")
CHAINED_ROLE = "prod-admin-role"
OWN_EVENTS, SESSIONS, SESSION_EVENTS = 100_500, 320, 12
# The incident's steps: (step, API names that make it) -- what the top of the report must show.
STEPS = {
    "initial-access": ["GetCallerIdentity"],
    "discovery": ["ListUsers", "GetAccountAuthorizationDetails"],
    "access-denied-burst": ["ListSecrets"],
    "privilege-escalation": ["AttachUserPolicy"],
    "additional-credentials": ["CreateAccessKey"],
    "defense-evasion": ["StopLogging"],
    "persistence": ["CreateUser"],
}
_SERVICES = ("ec2", "s3", "lambda", "rds", "dynamodb", "sqs", "sns", "kms", "logs", "cloudformation",
             "ecs", "eks", "ssm", "glue", "athena", "kinesis", "route53", "elasticloadbalancing",
             "autoscaling", "cloudwatch", "ecr", "events", "states")
_NOUNS = ("Instances", "Volumes", "Snapshots", "Images", "Tags", "Policies", "Configurations",
          "Metrics", "Streams", "Tables", "Queues", "Topics", "Clusters", "Services", "Tasks")


def routine_apis(n: int = 230) -> list[tuple[str, str]]:
    """(event_source, event_name) pairs: Describe/List/Get of nouns across services."""
    combos = itertools.product(_SERVICES, ("Describe", "List", "Get"), _NOUNS)
    return [(f"{s}.amazonaws.com", f"{verb}{s.title().replace('-', '')}{noun}")
            for s, verb, noun in itertools.islice(combos, n)]


class Records:
    def __init__(self):
        self.ids = itertools.count(1)
        self.out: list[dict] = []

    def add(self, t: dt.datetime, arn: str, key: str, source: str, name: str, *, ip=HOME_IP, ua=HOME_UA,
            req=None, resp=None, read_only=True, error=None, session_role: str | None = None) -> dict:
        n = next(self.ids)
        ident = {"type": "IAMUser", "principalId": "AIDALARGE" + arn[-6:].upper(), "arn": arn,
                 "accountId": ACCOUNT, "accessKeyId": key, "userName": arn.rsplit("/", 1)[1]}
        if session_role:
            ident = {"type": "AssumedRole", "principalId": f"AROALARGE:{arn.rsplit('/', 1)[1]}", "arn": arn,
                     "accountId": ACCOUNT, "accessKeyId": key, "sessionContext": {
                         "sessionIssuer": {"type": "Role", "principalId": "AROALARGE",
                                           "arn": f"arn:aws:iam::{ACCOUNT}:role/{session_role}",
                                           "accountId": ACCOUNT, "userName": session_role},
                         "attributes": {"creationDate": _iso(t), "mfaAuthenticated": "false"}}}
        rec = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": _iso(t), "eventSource": source,
               "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": ua,
               "requestParameters": req, "responseElements": None if error else resp,
               "requestID": f"req-{n}", "eventID": f"00000000-0000-4000-9000-{n:012d}",
               "readOnly": read_only, "eventType": "AwsApiCall", "managementEvent": True,
               "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
        if error:
            rec["errorCode"], rec["errorMessage"] = error, "not authorized"
        self.out.append(rec)
        return rec


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def large_records(seed: int = 11) -> list[dict]:
    """Every record of the subject, its role sessions and the incident."""
    rng = random.Random(seed)
    r = Records()
    t0 = dt.datetime.combine(START, dt.time(), dt.UTC)
    apis = routine_apis()
    span = DAYS * 86400 - 3600
    for i in range(OWN_EVENTS):  # every API on day 1 too (round robin), then spread over the week
        at = t0 + dt.timedelta(seconds=i * 5 if i < len(apis) else rng.randrange(span))
        source, name = apis[i % len(apis)]
        r.add(at, USER_ARN, KEY, source, name, error="ThrottlingException" if i % 997 == 0 else None)
    _sessions(r, rng, t0)
    _incident(r, t0 + dt.timedelta(days=4, hours=2))
    return r.out


def _sessions(r: Records, rng: random.Random, t0: dt.datetime) -> None:
    for n in range(SESSIONS):
        role = ROLES[n % len(ROLES)]
        at = t0 + dt.timedelta(seconds=600 + n * (DAYS * 86400 - 7200) // SESSIONS)
        temp, session = f"ASIALARGE{n:011d}", f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/ci-{n}"
        r.add(at, USER_ARN, KEY, "sts.amazonaws.com", "AssumeRole",
              req={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/{role}", "roleSessionName": f"ci-{n}"},
              resp={"credentials": {"accessKeyId": temp, "expiration": "x"},
                    "assumedRoleUser": {"arn": session, "assumedRoleId": f"AROALARGE:ci-{n}"}})
        for k in range(SESSION_EVENTS):
            r.add(at + dt.timedelta(seconds=5 + k), session, temp, "s3.amazonaws.com",
                  rng.choice(("GetObject", "PutObject", "ListObjects")), session_role=role,
                  read_only=k % 3 != 1)
        if n == 5:  # one build session chains into the production admin role
            chained = f"arn:aws:sts::{ACCOUNT}:assumed-role/{CHAINED_ROLE}/hop"
            r.add(at + dt.timedelta(seconds=30), session, temp, "sts.amazonaws.com", "AssumeRole",
                  session_role=role, req={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/{CHAINED_ROLE}"},
                  resp={"credentials": {"accessKeyId": "ASIALARGECHAINED0001"},
                        "assumedRoleUser": {"arn": chained}})
            r.add(at + dt.timedelta(seconds=40), chained, "ASIALARGECHAINED0001", "iam.amazonaws.com",
                  "ListRoles", session_role=CHAINED_ROLE)


def _incident(r: Records, at: dt.datetime) -> None:
    step = itertools.count()

    def call(source, name, **kw):
        return r.add(at + dt.timedelta(seconds=20 * next(step)), USER_ARN, KEY, source, name,
                     ip=ATTACKER_IP, ua=ATTACKER_UA, **kw)

    call("sts.amazonaws.com", "GetCallerIdentity")
    call("iam.amazonaws.com", "ListUsers")
    call("iam.amazonaws.com", "GetAccountAuthorizationDetails")
    for _ in range(25):
        call("secretsmanager.amazonaws.com", "ListSecrets", error="AccessDeniedException")
    call("iam.amazonaws.com", "AttachUserPolicy", read_only=False,
         req={"userName": USER, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    call("iam.amazonaws.com", "CreateAccessKey", read_only=False, req={"userName": "svc-shadow"},
         resp={"accessKey": {"userName": "svc-shadow", "accessKeyId": SHADOW_KEY, "status": "Active"}})
    r.add(at + dt.timedelta(seconds=20 * next(step)), SHADOW_ARN, SHADOW_KEY, "cloudtrail.amazonaws.com",
          "StopLogging", ip=ATTACKER_IP, ua=ATTACKER_UA, read_only=False, req={"name": "main-trail"})
    call("iam.amazonaws.com", "CreateUser", read_only=False, req={"userName": "backdoor-admin"},
         resp={"user": {"userName": "backdoor-admin", "arn": f"arn:aws:iam::{ACCOUNT}:user/backdoor-admin"}})


def large_findings(records: list[dict]):
    """40 informational findings on routine calls, and the incident's high/medium ones."""
    import pyarrow as pa

    from toolkit.detections.schema import FINDINGS_SCHEMA

    by_name = {rec["eventName"]: rec for rec in records if rec["sourceIPAddress"] == ATTACKER_IP}
    rows = []
    for i, rec in enumerate(records[:40]):
        rows.append(_finding(f"noise-{i}", "routine-describe", "Routine describe call", "informational",
                             rec))
    rows += [_finding("f-admin", "admin-policy-attached", "AdministratorAccess attached", "high",
                      by_name["AttachUserPolicy"]),
             _finding("f-stop", "cloudtrail-logging-stopped", "CloudTrail logging stopped", "high",
                      by_name["StopLogging"]),
             _finding("f-denied", "access-denied-burst", "Burst of AccessDenied errors", "medium",
                      by_name["ListSecrets"])]
    return pa.Table.from_pylist(rows, FINDINGS_SCHEMA)


def _finding(fid, rule, title, severity, rec) -> dict:
    t = dt.datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return {"finding_id": fid, "rule_id": rule, "title": title, "severity": severity, "tactic": "t",
            "technique": "T0000", "event_ids": [rec["eventID"]], "principal_arn": rec["userIdentity"]["arn"],
            "access_key_id": rec["userIdentity"]["accessKeyId"], "source_ip_address": rec["sourceIPAddress"],
            "account_id": ACCOUNT, "region": "us-east-1", "first_seen": t, "last_seen": t,
            "event_count": 1, "details": "{}"}


def build_large_lake(lake_url: str) -> dict:
    """Write the events (one partition per day) and findings; return what the test needs."""
    import pyarrow.compute as pc

    from toolkit.cloudtrail import events_from_records
    from toolkit.lake import Lake

    records = large_records()
    table = events_from_records(records)
    lake = Lake.at(lake_url)
    day_of = pc.strftime(table["event_time"], format="%Y-%m-%d")
    days = [(START + dt.timedelta(days=d)).isoformat() for d in range(DAYS)]
    for day in days:
        lake.write_parquet("events", day, table.filter(pc.equal(day_of, day)))
    findings = large_findings(records)
    fday = pc.strftime(findings["first_seen"], format="%Y-%m-%d")
    for day in sorted(set(fday.to_pylist())):
        lake.write_parquet("findings", day, findings.filter(pc.equal(fday, day)))
    return {"lake": lake_url, "start": days[0], "end": days[-1], "records": len(records)}
