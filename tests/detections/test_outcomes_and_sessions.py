"""Outcome on every finding (one SQL definition), grouping by actor session, and the issue's
rotating-IP incident: enumeration from ~60 IPs, AssumeRole into an admin role, S3 read."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import polars as pl
import pytest

from tests.detections.conftest import ACCOUNT, record, user_identity, write_lake
from toolkit.detections import run_detections
from toolkit.detections.rules import RULES_DIR, load_rules

# Error codes as CloudTrail logs them (AWS docs seen 2026-11-29):
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (Client.* prefix in CloudTrail)
# https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html (failed ConsoleLogin: no errorCode)
OUTCOMES = {
    None: "succeeded",
    "AccessDenied": "denied",
    "AccessDeniedException": "denied",
    "Client.UnauthorizedOperation": "denied",
    "UnauthorizedOperation": "denied",
    "Client.VcpuLimitExceeded": "failed",
    "ResourceNotFoundException": "failed",
    "NoSuchEntityException": "failed",
    "Client.InvalidInstanceID.NotFound": "failed",
    "ThrottlingException": "failed",
    "Client.RequestLimitExceeded": "failed",
}


def test_outcome_is_classified_once_in_sql_from_the_error_code():
    from toolkit.detections import local
    from toolkit.detections.testing import records_to_events

    records = [record("DescribeInstances", "ec2.amazonaws.com", "2025-03-04T10:00:00Z", error=code)
               for code in OUTCOMES]
    failed_login = record("ConsoleLogin", "signin.amazonaws.com", "2025-03-04T10:00:00Z")
    failed_login.update(responseElements={"ConsoleLogin": "Failure"}, errorMessage="Failed authentication")
    con = local.connect()
    local.load_events(con, records_to_events([*records, failed_login]))
    got = local.query(con, "select error_code, outcome from stg_events where dt = :day",
                      {"day": "2025-03-04"})
    by_code = {r["error_code"]: r["outcome"] for r in got.iter_rows(named=True) if r["error_code"]}
    assert by_code == {k: v for k, v in OUTCOMES.items() if k}
    assert sorted(got.filter(pl.col("error_code").is_null())["outcome"].to_list()) == ["failed", "succeeded"]


def test_every_rule_states_its_outcome_clause_and_python_reads_the_sql():
    rules = load_rules()
    assert {r.outcome for r in rules} <= {"any", "succeeded", "denied", "unsuccessful"}
    assert not any("error_code is null" in r.filter for r in rules if r.source == "native")
    from toolkit.detections.derived import events_with_derived
    from toolkit.engines.staging import view_sql

    text = view_sql("stg_events")
    assert "'denied'" in text and "UnauthorizedOperation" in text
    assert "from stg_events" in events_with_derived("true")  # rules read the staging view
    assert not (RULES_DIR.parent / "derived" / "outcome.sql").exists()  # no copy left behind


@pytest.fixture
def one_rule(tmp_path):
    """A rules dir holding copies of some library rules."""
    def make(*ids):
        target = tmp_path / "rules"
        for rule in load_rules():
            if rule.id in ids:
                dest = target / rule.tactic / f"{rule.id}.yml"
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(rule.path, dest)
        return target
    return make


def test_a_denied_high_impact_call_is_an_attempted_finding_at_lower_severity(tmp_path, one_rule):
    leave = record("LeaveOrganization", "organizations.amazonaws.com", "2025-03-04T10:00:00Z",
                   error="AccessDenied")
    ok = record("LeaveOrganization", "organizations.amazonaws.com", "2025-03-05T10:00:00Z",
                ident=user_identity("bob", "AKIAEXAMPLEBOB000001"))
    write_lake(tmp_path / "lake", [leave, ok])
    rules = one_rule("organization-left")
    found = run_detections(str(tmp_path / "lake"), "2025-03-04", "2025-03-05", rules_dir=rules)
    rule = load_rules(rules)[0]
    denied, done = (found.filter(pl.col("dt") == d).row(0, named=True) for d in ("2025-03-04", "2025-03-05"))
    assert denied["outcome"] == "denied" and denied["title"] == f"Attempted (denied): {rule.title}"
    assert denied["severity"] == rule.severity_if_attempted != rule.severity
    assert done["outcome"] == "succeeded" and done["title"] == rule.title
    assert done["severity"] == rule.severity


def rotating_ip_incident() -> tuple[list[dict], dict]:
    """The issue's missed attack: an IAM user key enumerates ~90 services from 60 rotating IPs
    (505 AccessDenied), assumes an admin role, and the issued credentials read an S3 object;
    the root user is used from 29 rotating IPs the same day."""
    attacker = user_identity("ci-deployer", "AKIAEXAMPLELEAKED001")
    services = [f"svc{n:02d}" for n in range(90)]
    denied = []
    for i in range(505):
        minute, second = divmod(i * 7, 60)
        denied.append(record(f"List{services[i % 90].title()}", f"{services[i % 90]}.amazonaws.com",
                             f"2025-03-04T10:{minute:02d}:{second:02d}Z", ident=attacker,
                             ip=f"198.51.100.{i % 60 + 1}", error="AccessDenied"))
    assume = record("AssumeRole", "sts.amazonaws.com", "2025-03-04T11:05:00Z", ident=attacker,
                    ip="198.51.100.61",
                    params={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/ops-admin", "roleSessionName": "x"})
    assume["responseElements"] = {"credentials": {"accessKeyId": "ASIAEXAMPLEADMINKEY1"},
                                  "assumedRoleUser": {"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ops-admin/x",
                                                      "assumedRoleId": "AROAEXAMPLEOPSADMIN:x"}}
    admin = {"type": "AssumedRole", "principalId": "AROAEXAMPLEOPSADMIN:x",
             "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ops-admin/x", "accountId": ACCOUNT,
             "accessKeyId": "ASIAEXAMPLEADMINKEY1",
             "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/ops-admin",
                                                  "principalId": "AROAEXAMPLEOPSADMIN", "accountId": ACCOUNT,
                                                  "userName": "ops-admin"}}}
    read = record("GetObject", "s3.amazonaws.com", "2025-03-04T11:07:00Z", ident=admin, ip="198.51.100.62",
                  params={"bucketName": "finance-exports", "key": "payroll.csv"}, read_only=True)
    read.update(eventCategory="Data", managementEvent=False)
    root = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root",
            "accountId": ACCOUNT, "accessKeyId": ""}
    root_calls = [record("DescribeRegions", "ec2.amazonaws.com", f"2025-03-04T12:{i:02d}:00Z", ident=root,
                         ip=f"203.0.113.{i + 100}", read_only=True) for i in range(29)]
    return [*denied, assume, read, *root_calls], {"denied": denied, "assume": assume, "read": read}


@pytest.fixture(scope="module")
def incident_findings(tmp_path_factory):
    lake = tmp_path_factory.mktemp("rotating") / "lake"
    records, parts = rotating_ip_incident()
    write_lake(lake, records)
    return run_detections(str(lake), "2025-03-04", "2025-03-04"), parts, records


def test_escalation_and_data_access_after_rotating_ip_recon_are_found(incident_findings):
    found, parts, _ = incident_findings
    seq = found.filter(pl.col("rule_id") == "seq-denied-recon-then-assume-role-then-data-access")
    assert seq.height == 1
    ids = set(seq["event_ids"][0])
    assert {parts["assume"]["eventID"], parts["read"]["eventID"]} <= ids
    assert seq["severity"][0] == "high" and seq["outcome"][0] == "succeeded"
    details = json.loads(seq["details"][0])
    assert details["actor"].endswith(":user/ci-deployer")
    assert {s.split(":")[0] for s in details["steps"]} == {"recon", "assume_role", "data_access"}
    assert "data_access: s3.amazonaws.com GetObject" in details["steps"]


def test_session_grouping_cuts_rotating_ip_noise_tenfold_without_losing_a_technique(incident_findings, capsys):
    """Per-IP grouping (what detect did before) is recomputed from each finding's own events."""
    found, parts, records = incident_findings
    by_id = {r["eventID"]: r for r in records}
    rules = {r.id: r for r in load_rules()}
    per_ip = Counter()
    for f in found.iter_rows(named=True):
        if rules[f["rule_id"]].kind != "filter":
            per_ip[f["rule_id"]] += 1
            continue
        keys = {(by_id[e]["userIdentity"].get("arn"), by_id[e]["userIdentity"].get("accessKeyId"),
                 by_id[e]["sourceIPAddress"], by_id[e]["awsRegion"], by_id[e]["eventTime"][:10])
                for e in f["event_ids"]}
        per_ip[f["rule_id"]] += len(keys)
    now = Counter(found["rule_id"].to_list())
    with capsys.disabled():
        print(f"\nrotating-IP session: {sum(per_ip.values())} findings grouped per source IP, "
              f"{found.height} grouped per actor session; by rule: "
              f"{ {r: (per_ip[r], now[r]) for r in sorted(now)} }")
    assert sum(per_ip.values()) >= 10 * found.height
    assert set(now) == set(per_ip)  # every rule (technique) that fired still fires
    cis41 = found.filter(pl.col("rule_id") == "cis-4.1-unauthorized-api-calls").row(0, named=True)
    session = json.loads(cis41["details"])["session"]
    assert cis41["event_count"] == 505 and session["source_ip_count"] == 60
    assert session["outcomes"] == {"succeeded": 0, "denied": 505, "failed": 0}
    assert cis41["session_key"] == "AKIAEXAMPLELEAKED001"
    assert json.loads(cis41["details"])["user_agents"]


def test_arn_prefix_resources_are_in_resource_arns_and_in_finding_details(tmp_path, one_rule):
    """S3 DeleteObjects names its objects by ARNPrefix (Stratus' logged event, seen 2026-11-29:
    https://stratus-red-team.cloud/attack-techniques/AWS/aws.impact.s3-ransomware-batch-deletion/)."""
    deletes = []
    for i in range(3):
        rec = record("DeleteObjects", "s3.amazonaws.com", f"2025-03-04T10:0{i}:00Z",
                     params={"bucketName": "finance", "delete": ""})
        rec.update(eventCategory="Data", managementEvent=False, resources=[
            {"type": "AWS::S3::Object", "ARNPrefix": "arn:aws:s3:::finance/"},
            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::finance"}])
        deletes.append(rec)
    write_lake(tmp_path / "lake", deletes)
    found = run_detections(str(tmp_path / "lake"), "2025-03-04", "2025-03-04",
                           rules_dir=one_rule("s3-batch-deletion-burst"))
    details = json.loads(found.row(0, named=True)["details"])
    assert details["resources"] == ["arn:aws:s3:::finance arn:aws:s3:::finance/"]
