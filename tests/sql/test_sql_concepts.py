"""Each shared concept has one definition: the same events are classified the same way by the
staging views, the curated models, the forensic investigation and the detections.

Error codes as CloudTrail logs them (AWS docs seen 2026-11-29):
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (EC2: Client.* prefix)
AssumeRole's responseElements.credentials.accessKeyId is the temporary key it issued:
https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
"""

from __future__ import annotations

import polars as pl
import pytest

from tests.detections.conftest import ACCOUNT, record, write_lake

DAY = "2025-03-04"
KEY = "AKIAIOSFODNN7EXAMPLE"
ISSUED = "ASIAQNEWSESSIONKEY01"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/deploy"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/alice-session"


def _events() -> dict[str, dict]:
    denied_s3 = record("ListBuckets", "s3.amazonaws.com", f"{DAY}T10:00:00Z", error="AccessDenied",
                       read_only=True)
    denied_ec2 = record("RunInstances", "ec2.amazonaws.com", f"{DAY}T10:01:00Z",
                        error="Client.UnauthorizedOperation")
    assume = record("AssumeRole", "sts.amazonaws.com", f"{DAY}T10:02:00Z", read_only=True,
                    params={"roleArn": ROLE, "roleSessionName": "alice-session"})
    assume["responseElements"] = {
        "credentials": {"accessKeyId": ISSUED, "sessionToken": "", "expiration": "Mar 4, 2025, 11:02:00 AM"},
        "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLE:alice-session", "arn": SESSION}}
    session = {"type": "AssumedRole", "principalId": "AROAEXAMPLE:alice-session", "arn": SESSION,
               "accountId": ACCOUNT, "accessKeyId": ISSUED,
               "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE, "accountId": ACCOUNT,
                                                    "principalId": "AROAEXAMPLE", "userName": "deploy"}}}
    used = record("StopInstances", "ec2.amazonaws.com", f"{DAY}T10:03:00Z", ident=session,
                  params={"instancesSet": {"items": [{"instanceId": "i-0abc1234def567890"}]}})
    return {"denied_s3": denied_s3, "denied_ec2": denied_ec2, "assume": assume, "used": used}


@pytest.fixture(scope="module")
def concept_lake(tmp_path_factory):
    from toolkit.config import Settings
    from toolkit.engines import connect
    from toolkit.engines.build import build_day

    lake = str(tmp_path_factory.mktemp("concepts"))
    events = _events()
    write_lake(lake, list(events.values()))
    engine = connect(Settings(lake=lake))
    built = build_day(engine, DAY)
    assert not any(r["failed_checks"] for r in built.values())
    ids = {name: rec["eventID"] for name, rec in events.items()}
    return {"lake": lake, "engine": engine, "ids": ids}


def _staged(concept_lake) -> dict[str, dict]:
    rows = concept_lake["engine"].query(
        "select event_id, outcome, principal, session_key, read_write, service "
        "from stg_events where dt = :day", {"day": DAY}).to_dicts()
    return {r["event_id"]: r for r in rows}


def test_staging_classifies_the_events(concept_lake):
    staged, ids = _staged(concept_lake), concept_lake["ids"]
    assert {n: staged[i]["outcome"] for n, i in ids.items()} == {
        "denied_s3": "denied", "denied_ec2": "denied", "assume": "succeeded", "used": "succeeded"}
    assert staged[ids["denied_s3"]]["principal"] == ALICE and staged[ids["used"]]["principal"] == SESSION
    assert staged[ids["used"]]["session_key"] == ISSUED and staged[ids["denied_ec2"]]["session_key"] == KEY
    assert (staged[ids["denied_s3"]]["service"], staged[ids["denied_s3"]]["read_write"]) == ("s3", "read")


def test_curated_models_count_what_staging_classified(concept_lake):
    engine = concept_lake["engine"]
    activity = engine.query("select principal, access_denied, calls from cur_principal_activity_daily "
                            "where dt = :day", {"day": DAY})
    alice = activity.filter(pl.col("principal") == ALICE).row(0, named=True)
    assert (alice["calls"], alice["access_denied"]) == (3, 2)
    errors = engine.query("select event_name, error_category from cur_api_errors_daily where dt = :day",
                          {"day": DAY})
    assert dict(errors.iter_rows()) == {"ListBuckets": "access_denied", "RunInstances": "unauthorized"}
    sessions = engine.query("select caller_principal, issued_access_key_id, session_arn "
                            "from cur_identity_sessions where dt = :day", {"day": DAY})
    assert sessions.rows() == [(ALICE, ISSUED, SESSION)]


def test_the_forensic_investigation_agrees(concept_lake):
    from toolkit.config import Settings
    from toolkit.forensics import investigate

    inv = investigate(concept_lake["lake"], ("access_key", KEY), DAY, DAY,
                      settings=Settings(lake=concept_lake["lake"]))
    staged = _staged(concept_lake)
    for row in inv.timeline.iter_rows(named=True):
        assert (row["outcome"], row["principal"]) == (staged[row["event_id"]]["outcome"],
                                                     staged[row["event_id"]]["principal"])
        assert row["access_denied"] == (row["outcome"] == "denied")
    issued = inv.chain_edges.filter(pl.col("relation") == "assume_role")
    assert issued.select("src", "dst").rows() == [(KEY, ISSUED)]  # the key cur_identity_sessions names
    stopped = inv.blast_radius.filter(pl.col("resource") == "i-0abc1234def567890")
    assert stopped.select("access", "succeeded").rows() == [("change", 1)]  # via the issued key
    assert inv.blast_by_service.filter(pl.col("service") == "ec2")["denied_events"].to_list() == [1]


def test_a_detection_agrees(concept_lake, tmp_path):
    import shutil

    from toolkit.detections import run_detections
    from toolkit.detections.rules import load_rules

    rule = next(r for r in load_rules() if r.id == "cis-4.1-unauthorized-api-calls")
    (tmp_path / rule.tactic).mkdir()
    shutil.copy(rule.path, tmp_path / rule.tactic / f"{rule.id}.yml")
    found = run_detections(concept_lake["lake"], DAY, DAY, rules_dir=tmp_path, write=False)
    cis = found.filter(pl.col("rule_id") == "cis-4.1-unauthorized-api-calls")
    ids = concept_lake["ids"]
    assert set(cis["outcome"]) == {"denied"}
    assert set(cis["event_ids"].explode()) == {ids["denied_s3"], ids["denied_ec2"]}
