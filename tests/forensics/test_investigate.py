"""Investigations on the crafted lake: timeline, new indicators, identity chain, blast radius."""

from __future__ import annotations

import polars as pl
import pytest
from forensics_crafted import (
    ACCOUNT,
    ATTACKER_IP,
    ATTACKER_UA,
    BACKDOOR_KEY,
    BACKDOOR_USER,
    BUCKET,
    DEPLOY_ROLE,
    HOME_IP,
    INSTANCE,
    LEAKED_KEY,
    OTHER_KEY,
    READER_ROLE,
    TEMP_KEY_1,
    TEMP_KEY_2,
    TEMP_KEY_OTHER,
    USER_ARN,
)

from toolkit.forensics import investigate

DAY = "2025-03-05"


@pytest.fixture(scope="module")
def by_key(crafted_lake):
    return investigate(crafted_lake, ("access_key", LEAKED_KEY), DAY, DAY)


def _nodes(inv, node_type=None):
    frame = inv.chain_nodes
    if node_type:
        frame = frame.filter(pl.col("node_type") == node_type)
    return set(frame["node_id"])


def _edges(inv):
    return {(r["src"], r["dst"], r["relation"]) for r in inv.chain_edges.to_dicts()}


def test_timeline_is_the_keys_events_in_order(by_key):
    t = by_key.timeline
    assert t.height == 9 and set(t["access_key_id"]) == {LEAKED_KEY}
    assert t["event_time"].is_sorted()
    assert by_key.first_seen.isoformat() == "2025-03-05T08:00:00+00:00"
    assert by_key.last_seen.isoformat() == "2025-03-05T10:10:00+00:00"


def test_attacker_ip_and_agent_are_new_the_home_ones_are_not(by_key):
    ind = {(r["kind"], r["value"]): r for r in by_key.indicators.to_dicts()}
    assert ind[("ip", ATTACKER_IP)]["new_for_principal"] and ind[("ip", ATTACKER_IP)]["new_in_lake"]
    assert ind[("user_agent", ATTACKER_UA)]["new_for_principal"]
    assert not ind[("ip", HOME_IP)]["new_for_principal"]
    assert ind[("ip", HOME_IP)]["baseline_events"] == 3


def test_baseline_days_zero_makes_everything_new(crafted_lake):
    inv = investigate(crafted_lake, ("access_key", LEAKED_KEY), DAY, DAY, baseline_days=0)
    assert inv.indicators["new_for_principal"].all()


def test_chain_from_leaked_key_reaches_user_backdoor_and_chained_roles(by_key):
    assert {LEAKED_KEY, BACKDOOR_KEY, TEMP_KEY_1, TEMP_KEY_2} == _nodes(by_key, "access_key")
    assert {USER_ARN, BACKDOOR_USER} == _nodes(by_key, "iam_user")
    assert {DEPLOY_ROLE, READER_ROLE} == _nodes(by_key, "role")
    edges = _edges(by_key)
    assert {(USER_ARN, LEAKED_KEY, "used_key"),
            (LEAKED_KEY, BACKDOOR_USER, "created_user"),
            (LEAKED_KEY, BACKDOOR_KEY, "created_access_key"),
            (BACKDOOR_USER, BACKDOOR_KEY, "used_key"),
            (LEAKED_KEY, TEMP_KEY_1, "assume_role"),
            (TEMP_KEY_1, TEMP_KEY_2, "assume_role"),  # role chaining
            ("source-identity:ops-automation", TEMP_KEY_2, "same_source_identity")} <= edges


def test_unrelated_session_of_the_same_role_stays_out(by_key):
    assert TEMP_KEY_OTHER not in _nodes(by_key) and OTHER_KEY not in _nodes(by_key)


def test_what_the_issued_credentials_did(by_key):
    activity = by_key.chain_activity
    assert set(activity["access_key_id"]) == {BACKDOOR_KEY, TEMP_KEY_1, TEMP_KEY_2}
    assert set(activity["event_name"]) >= {"StopLogging", "ModifyInstanceAttribute", "GetObject"}
    key2 = by_key.chain_nodes.filter(pl.col("node_id") == TEMP_KEY_2).row(0, named=True)
    assert key2["events"] == 3 and key2["top_actions"] == ["GetObject×3"]


def test_chain_from_chained_session_walks_back_to_origin(crafted_lake):
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-data-reader/chained"
    inv = investigate(crafted_lake, ("principal", session), DAY, DAY)
    roles = {r["node_id"]: r["role_in_chain"] for r in inv.chain_nodes.to_dicts()}
    assert roles[TEMP_KEY_2] == "subject"
    assert roles[TEMP_KEY_1] == "ancestor" and roles[LEAKED_KEY] == "ancestor"
    assert roles[USER_ARN] == "owner"  # the origin: the IAM user whose key started it
    assert inv.timeline.height == 3


def test_chain_from_user_arn(crafted_lake):
    inv = investigate(crafted_lake, ("principal", USER_ARN), DAY, DAY)
    assert {LEAKED_KEY, BACKDOOR_KEY, TEMP_KEY_1, TEMP_KEY_2} <= _nodes(inv, "access_key")


def test_chain_from_a_role_arn_lists_its_sessions(crafted_lake):
    inv = investigate(crafted_lake, ("principal", DEPLOY_ROLE), DAY, DAY)
    assert set(inv.timeline["access_key_id"]) == {TEMP_KEY_1, TEMP_KEY_OTHER}
    assert {LEAKED_KEY, OTHER_KEY} <= _nodes(inv, "access_key")  # who assumed it


def test_ip_investigation_marks_attacker_ip_new_and_follows_its_key(crafted_lake):
    inv = investigate(crafted_lake, ("ip", ATTACKER_IP), DAY, DAY)
    assert set(inv.timeline["source_ip_address"]) == {ATTACKER_IP}
    new = inv.indicators.filter(pl.col("new_for_principal"))
    assert {("ip", ATTACKER_IP), ("user_agent", ATTACKER_UA)} <= set(new.select("kind", "value").rows())
    assert BACKDOOR_KEY in _nodes(inv, "access_key")


def test_blast_radius_reads_and_changes(by_key):
    blast = by_key.blast_radius
    changed = set(blast.filter(pl.col("access") == "change")["resource"])
    read = set(blast.filter(pl.col("access") == "read")["resource"])
    # canonical resource ids (stg_event_resources: as CloudWatch dimensions carry them)
    assert {INSTANCE, "svc-sync", "management-events"} <= changed
    assert f"{BUCKET}/exports/customers-0.csv" in read
    s3 = by_key.blast_by_service.filter(pl.col("service") == "s3").row(0, named=True)
    assert s3["read_events"] == 3 and s3["resources_read"] == 4


def test_findings_concerning_the_chain_only(by_key):
    assert by_key.findings["finding_id"].to_list() == ["f-1"]


def test_resource_investigation(crafted_lake):
    arn = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{INSTANCE}"
    inv = investigate(crafted_lake, ("resource", arn), DAY, DAY)
    assert inv.timeline["event_name"].to_list() == ["ModifyInstanceAttribute"]
    assert inv.chain_nodes.is_empty()


@pytest.mark.parametrize("kind,value", [
    ("resource", "arn:aws:s3:::x' OR 1=1 --"),
    ("resource", f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/') or true or ('"),
])
def test_injection_shaped_resource_matches_nothing(crafted_lake, kind, value):
    inv = investigate(crafted_lake, (kind, value), DAY, DAY)
    assert inv.timeline.is_empty() and inv.blast_radius.is_empty()


def test_unknown_subject_is_empty_not_an_error(crafted_lake):
    inv = investigate(crafted_lake, ("access_key", "AKIAAAAAAAAAAAAAAAAA"), DAY, DAY)
    assert inv.timeline.is_empty() and inv.summary()["events"] == 0


def test_bad_window_and_missing_lake(crafted_lake, tmp_path):
    with pytest.raises(ValueError, match="before start"):
        investigate(crafted_lake, ("ip", ATTACKER_IP), "2025-03-05", "2025-03-01")
    with pytest.raises(FileNotFoundError, match="lake not found"):
        investigate(str(tmp_path / "nope"), ("ip", ATTACKER_IP), DAY, DAY)


def test_out_writes_tables_summary_and_original_records(crafted_lake, tmp_path):
    import json

    from forensics_crafted import crafted_records

    out = tmp_path / "case"
    inv = investigate(crafted_lake, ("access_key", LEAKED_KEY), DAY, DAY, out=str(out))
    originals = {r["eventID"]: r for r in crafted_records()}
    subject = json.loads((out / "evidence-subject.json").read_text())["Records"]
    assert [r["eventID"] for r in subject] == inv.timeline["event_id"].to_list()
    assert all(r == originals[r["eventID"]] for r in subject)  # exact original JSON
    chain = json.loads((out / "evidence-chain.json").read_text())["Records"]
    assert {r["userIdentity"]["accessKeyId"] for r in chain} == {BACKDOOR_KEY, TEMP_KEY_1, TEMP_KEY_2}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["new_ips"] == [ATTACKER_IP] and summary["findings"] == {"high": 1}
    for name in ("timeline", "chain_nodes", "chain_edges", "blast_radius", "indicators", "findings"):
        assert pl.read_parquet(out / f"{name}.parquet").height == getattr(inv, name).height
        assert pl.read_csv(out / f"{name}.csv").height == getattr(inv, name).height
    assert not [p for p in out.iterdir() if ".tmp" in p.name]


def test_cli_investigate_prints_summary_and_rejects_bad_input(crafted_lake, tmp_path, capsys):
    from toolkit.cli import main

    code = main(["investigate", "--lake", crafted_lake, "--start", DAY, "--end", DAY,
                 "--ip", ATTACKER_IP, "--baseline-days", "4", "--out", str(tmp_path / "o")])
    text = capsys.readouterr().out
    assert code == 0 and f"new IPs: {ATTACKER_IP}" in text and BACKDOOR_KEY in text
    assert (tmp_path / "o" / "evidence-subject.json").exists()
    code = main(["investigate", "--lake", crafted_lake, "--start", DAY, "--end", DAY,
                 "--access-key", "AKIA' OR 1=1 --"])
    assert code == 2 and "not an access key id" in capsys.readouterr().err
