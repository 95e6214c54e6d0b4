"""End to end on the generated sample account: the seeded incident and the seeded metric shift."""

from __future__ import annotations

import polars as pl
import pytest

from toolkit.forensics import change_impact, change_impact_chart, investigate


@pytest.fixture(scope="module")
def incident(sample_lake):
    return sample_lake["truth"]["incident"]


@pytest.fixture(scope="module")
def incident_day(incident):
    return incident["start_time"][:10]


def test_leaked_key_chain_reaches_user_created_key_and_backdoor_user(sample_lake, incident, incident_day):
    inv = investigate(sample_lake["lake"], ("access_key", incident["access_key_id"]), incident_day, incident_day)
    nodes = set(inv.chain_nodes["node_id"])
    account = incident["account_id"]
    assert incident["user_arn"] in nodes
    assert set(incident["additional_access_key_ids"]) <= nodes
    assert f"arn:aws:iam::{account}:user/{incident['created_user']}" in nodes
    edges = set(inv.chain_edges.select("src", "dst", "relation").rows())
    assert (incident["user_arn"], incident["access_key_id"], "used_key") in edges
    # What the created key did (StopLogging, PutEventSelectors) is in the chain's activity.
    assert {"StopLogging", "PutEventSelectors"} <= set(inv.chain_activity["event_name"])
    step_ids = {e for step in incident["steps"] for e in step["event_ids"]}
    covered = set(inv.timeline["event_id"]) | set(inv.chain_activity["event_id"])
    assert step_ids <= covered


def test_attacker_ip_and_agent_are_new_against_the_baseline(sample_lake, incident, incident_day):
    inv = investigate(sample_lake["lake"], ("ip", incident["attacker_ip"]), incident_day, incident_day)
    assert inv.timeline.height > 0
    ind = inv.indicators
    ip = ind.filter((pl.col("kind") == "ip") & (pl.col("value") == incident["attacker_ip"])).row(0, named=True)
    assert ip["new_for_principal"] and ip["new_in_lake"]
    agents = ind.filter(pl.col("kind") == "user_agent")
    attacker = agents.filter(pl.col("value").str.starts_with(incident["attacker_user_agent_prefix"]))
    assert attacker.height > 0 and attacker["new_for_principal"].all()


def test_seeded_change_comes_out_on_top(sample_lake):
    shift = sample_lake["truth"]["metric_shift"]
    ranked = change_impact(sample_lake["lake"], sample_lake["days"][0], sample_lake["days"][-1],
                           window_hours=24)
    top = ranked.row(0, named=True)
    assert top["rank"] == 1 and top["event_id"] == shift["change_event_id"]
    assert (top["resource_id"], top["metric_name"]) == (shift["resource_id"], shift["metric_name"])
    assert top["mean_after"] > top["mean_before"]  # the shift went up
    assert ranked["score"].is_sorted(descending=True)


def test_change_impact_chart_layers_band_and_markers(sample_lake):
    ranked = change_impact(sample_lake["lake"], sample_lake["days"][0], sample_lake["days"][-1])
    chart = change_impact_chart(sample_lake["lake"], ranked.row(0, named=True))
    spec = chart.to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in spec["layer"]]
    assert {"area", "line", "rule"} <= set(marks)
    assert "ModifyInstanceAttribute" in str(spec)


def test_change_impact_validates_window(sample_lake):
    with pytest.raises(ValueError, match="window_hours"):
        change_impact(sample_lake["lake"], sample_lake["days"][0], sample_lake["days"][-1], window_hours=0)


def test_forensic_charts_render(sample_lake, incident, incident_day, tmp_path):
    from toolkit import forensic_charts
    from toolkit.charts import save_png
    from toolkit.forensics.structure import collapsed_chain

    inv = investigate(sample_lake["lake"], ("access_key", incident["access_key_id"]), incident_day, incident_day)
    nodes, edges = collapsed_chain(inv.chain_nodes, inv.chain_edges, inv.chain_roles)
    placed, segments = forensic_charts.layered(nodes, edges)
    assert (segments["column2"] > segments["column"]).all()  # every drawn edge points right
    assert not placed["node_id"].str.starts_with("ASIA").any()  # temporary keys folded into roles
    for name, chart in (("timeline", forensic_charts.activity_by_service(inv.timeline, title="t")),
                        ("heatmap", forensic_charts.activity_heatmap(inv.timeline)),
                        ("chain", forensic_charts.identity_structure(nodes, edges)),
                        ("blast", forensic_charts.blast_by_service(inv.blast_by_service))):
        path = save_png(chart, tmp_path / f"{name}.png")
        assert (tmp_path / f"{name}.png").stat().st_size > 5000, path
