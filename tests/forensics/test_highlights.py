"""What happened (ranked by risk), roles with their sessions, the collapsed chain, labels, and
the saved investigation (staged write, load) on the crafted lake."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from forensics_crafted import (
    ATTACKER_IP,
    BACKDOOR_KEY,
    BACKDOOR_USER,
    DEPLOY_ROLE,
    LEAKED_KEY,
    READER_ROLE,
    TEMP_KEY_1,
    TEMP_KEY_2,
)

from toolkit.forensics import investigate
from toolkit.forensics.highlights import RISKS
from toolkit.forensics.structure import collapsed_chain

DAY = "2025-03-05"


@pytest.fixture(scope="module")
def inv(crafted_lake):
    return investigate(crafted_lake, ("access_key", LEAKED_KEY), DAY, DAY, baseline_days=4)


def test_highlights_are_ranked_by_risk_not_count(inv):
    h = inv.highlights
    order = [RISKS.index(r) for r in h["risk"]]
    assert order == sorted(order) and h["rank"].to_list() == list(range(1, h.height + 1))
    whats = " | ".join(h["what"])
    assert f"created user {BACKDOOR_USER}" in whats and f"created access key {BACKDOOR_KEY}" in whats
    assert f"created key {BACKDOOR_KEY} used: StopLogging" in whats
    assert f"IP {ATTACKER_IP}" in whats                      # new against the 4 baseline days
    assert "first iam:CreateUser" in whats                  # a first-seen change API
    assert h.filter(pl.col("kind") == "finding")["risk"].to_list() == ["high"]
    assert h.filter(pl.col("kind") == "chained role")["what"].str.contains("app-data-reader").all()
    cited = set(h.explode("event_ids")["event_ids"].drop_nulls())
    assert cited <= set(inv.timeline["event_id"]) | set(inv.chain_activity["event_id"])


def test_home_ip_is_not_a_highlight_with_a_baseline(inv):
    assert not inv.highlights.filter(pl.col("kind") == "first-seen IP")["what"].str.contains("198.51.100.7").any()


def test_roles_fold_sessions_and_temporary_keys(inv):
    roles = {r["role"]: r for r in inv.chain_roles.to_dicts()}
    assert set(roles) == {DEPLOY_ROLE, READER_ROLE}
    deploy, reader = roles[DEPLOY_ROLE], roles[READER_ROLE]
    assert deploy["sessions"] == 1 and deploy["temporary_keys"] == 1 and not deploy["chained"]
    assert deploy["source_identities"] == ["ops-automation"]
    assert reader["chained"] and any("deploy-role" in by for by in reader["assumed_by"])
    assert reader["top_actions"][0].startswith("GetObject×")


def test_collapsed_chain_has_no_temporary_keys_and_marks_what_matters(inv):
    nodes, edges = collapsed_chain(inv.chain_nodes, inv.chain_edges, inv.chain_roles)
    ids = set(nodes["node_id"])
    assert not ids & {TEMP_KEY_1, TEMP_KEY_2} and {DEPLOY_ROLE, READER_ROLE} <= ids
    marks = dict(nodes.select("node_id", "mark").iter_rows())
    assert marks[LEAKED_KEY] == "subject" and marks[BACKDOOR_USER] == "created"
    assert marks[BACKDOOR_KEY] == "created" and marks[READER_ROLE] == "chained"
    assert (DEPLOY_ROLE, READER_ROLE, "assume_role") in set(edges.select("src", "dst", "relation").iter_rows())


def test_service_principals_are_not_ips():
    from toolkit.forensics.timeline import indicators

    t = dt.datetime(2025, 3, 5, tzinfo=dt.UTC)
    events = pl.DataFrame({"event_time": [t] * 3, "principal_arn": ["arn:x"] * 3,
                           "source_ip_address": ["203.0.113.9", "secretsmanager.amazonaws.com", "AWS Internal"],
                           "user_agent": ["ua"] * 3})
    baseline = pl.DataFrame(schema={"principal_arn": pl.String, "source_ip_address": pl.String,
                                    "user_agent": pl.String, "events": pl.Int64})
    kinds = dict(indicators(events, baseline).select("value", "kind").iter_rows())
    assert kinds == {"203.0.113.9": "ip", "secretsmanager.amazonaws.com": "service",
                     "AWS Internal": "service", "ua": "user_agent"}


def test_blast_radius_splits_succeeded_and_denied(inv):
    services = {r["service"]: r for r in inv.blast_by_service.to_dicts()}
    assert services["secretsmanager"]["succeeded_events"] == 0
    assert services["secretsmanager"]["denied_events"] == 1
    assert "secretsmanager" in inv.summary()["blast_radius"]["denied_only_services"]
    assert "secretsmanager" not in inv.summary()["blast_radius"]["services"]
    assert (inv.blast_radius["succeeded"] + inv.blast_radius["errors"] == inv.blast_radius["events"]).all()


def test_saved_investigation_loads_back_identically(crafted_lake, tmp_path):
    from toolkit.forensics.investigation import load

    out = tmp_path / "case"
    first = investigate(crafted_lake, ("access_key", LEAKED_KEY), DAY, DAY, out=str(out))
    again = investigate(crafted_lake, ("access_key", LEAKED_KEY), DAY, DAY, out=str(out))  # replaces
    loaded = load(str(out))
    assert loaded.subject == first.subject and loaded.start == first.start
    for name, frame in again.tables().items():
        assert loaded.tables()[name].equals(frame), name
    assert loaded.paths == again.paths and loaded.paths["summary.json"] == str(out / "summary.json")
    assert [p.name for p in tmp_path.iterdir()] == ["case"]  # no staging folder left behind


def test_failed_write_leaves_no_partial_investigation(crafted_lake, tmp_path, monkeypatch):
    from toolkit.forensics import report

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report, "write_evidence", broken)
    with pytest.raises(OSError, match="disk full"):
        investigate(crafted_lake, ("access_key", LEAKED_KEY), DAY, DAY, out=str(tmp_path / "case"))
    assert list(tmp_path.iterdir()) == []


def test_load_without_summary_is_a_clear_error(tmp_path):
    from toolkit.forensics.investigation import load

    with pytest.raises(FileNotFoundError, match="no saved investigation"):
        load(str(tmp_path))
