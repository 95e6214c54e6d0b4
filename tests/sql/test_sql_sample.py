"""The SQL layer on the real pipeline: sample account -> ingest -> build, every model's
contract on every day, every named query runs, and the seeded truth comes out of the models."""

from __future__ import annotations

import json

import pytest

from toolkit.engines import check_model
from toolkit.sql.models import model_names
from toolkit.sql.queries import NamedQuery, load_query, query_names


def _truth(sample_lake) -> dict:
    return json.loads((sample_lake["out"] / "truth" / "incident.json").read_text())


@pytest.mark.parametrize("model", model_names())
def test_contract_holds_on_every_sample_day(sample_lake, model):
    engine = sample_lake["engine"]
    for day in sample_lake["days"]:
        failed = [r for r in check_model(engine, model, day) if not r.passed]
        assert not failed, (day, failed)
        rows = engine.query(f"select count(*) from {model} where dt = :day", {"day": day}).item()  # noqa: S608
        assert rows > 0, (model, day)


def _example_params(query: NamedQuery, truth: dict, days: list[str]) -> dict:
    incident, shift = truth["incident"], truth["metric_shift"]
    examples = {"start": days[0], "end": days[-1], "top": "5",
                "principal": incident["user_arn"], "access_key": incident["access_key_id"],
                "ip": incident["attacker_ip"], "resource": shift["resource_id"]}
    return query.coerce_params({name: examples[name] for name in query.params})


@pytest.mark.parametrize("name", query_names())
def test_named_query_runs_on_the_sample_lake(sample_lake, name):
    query = load_query(name)
    params = _example_params(query, _truth(sample_lake), sample_lake["days"])
    frame = sample_lake["engine"].query(query.sql, params)
    assert frame.width > 0
    if name in ("events_for_principal", "events_for_access_key", "events_for_ip",
                "changes_to_resource", "top_talkers"):
        assert frame.height > 0, name


def test_seeded_change_is_in_resource_changes_on_the_metric_resource(sample_lake):
    shift = _truth(sample_lake)["metric_shift"]
    rows = sample_lake["engine"].query(
        "select resource_id, event_name from cur_resource_changes where dt = :day and event_id = :id",
        {"day": shift["change_time"][:10], "id": shift["change_event_id"]}).to_dicts()
    assert {"resource_id": shift["resource_id"], "event_name": shift["change_event_name"]} in rows


def test_incident_keys_lead_back_to_their_origin(sample_lake):
    """Every access key the incident used appears in the events; temporary keys trace to STS."""
    engine, incident = sample_lake["engine"], _truth(sample_lake)["incident"]
    day = incident["start_time"][:10]
    used = engine.query("select count(*) from events where dt = :day and access_key_id = :k",
                        {"day": day, "k": incident["access_key_id"]}).item()
    assert used > 0
    issued = engine.query(
        "select count(*) from cur_identity_sessions s join events e "
        "on e.access_key_id = s.issued_access_key_id where s.dt = :day and e.dt = :day",
        {"day": day}).item()
    assert issued > 0  # temporary keys in use are found in the sessions that issued them


def test_cost_questions_are_the_named_queries_analysts_run(sample_lake):
    """The cost report's scan figures are of real named queries (no SQL text in Python): each
    question runs, its column bytes come from the tables it reads and stay within the guard's
    whole-file estimate, and the raw JSON of the same days is larger."""
    from toolkit.reports import cost

    assert all(name in query_names() and isinstance(example, dict)
               for name, example in cost.QUESTIONS.values())
    first, last = sample_lake["days"][0], sample_lake["days"][-1]
    scans = cost.athena_scan_comparison(sample_lake["engine"], sample_lake["lake"],
                                        str(sample_lake["out"] / "raw"), first, last)
    assert scans["query"].to_list() == [name for name, _ in cost.QUESTIONS.values()]
    for row in scans.iter_rows(named=True):
        assert 0 < row["curated_columns_bytes"] <= row["curated_estimate_bytes"], row
        assert row["raw_json_bytes"] > row["curated_columns_bytes"], row
    reads = cost.read_columns(load_query("events_for_resource").sql)
    assert set(reads) == {"events"}  # stg_events and stg_event_resources are views over events
    # what the view reads to find the resources, not what the query leaves alone
    assert {"resources", "request_parameters", "response_elements"} <= reads["events"]
    assert "additional_event_data" not in reads["events"]


def test_read_write_on_the_sample_is_what_cloudtrail_logged(sample_lake):
    """Every sample API call carries readOnly (as CloudTrail logs today): read_write is readOnly
    as logged, and mutating is readOnly false except the STS calls that only issue temporary
    credentials (credential issuance, not resource changes)."""
    engine, days = sample_lake["engine"], sample_lake["days"]
    window = {"start": days[0], "end": days[-1]}
    rows = engine.query(
        "select read_only_source, event_type, count(*) as n from stg_events "
        "where dt between :start and :end group by 1, 2 order by 1, 2", window).rows()
    assert {(source, kind) for source, kind, _ in rows} <= {("logged", "AwsApiCall"), ("logged", "AwsConsoleSignIn"),
                                                             (None, "AwsServiceEvent"), ("logged", "AwsServiceEvent")}
    differs = engine.query(
        "select count(*) from stg_events where dt between :start and :end "
        "and (read_write is distinct from case when read_only then 'read' when not read_only then 'write' end "
        "or (mutating <> coalesce(event_type = 'AwsApiCall' and not read_only, false) "
        "and credential_issued is distinct from 'temporary'))", window).item()
    assert differs == 0
    sts = engine.query(
        "select count(*) from stg_events where dt between :start and :end "
        "and credential_issued = 'temporary' and mutating", window).item()
    assert sts == 0


def test_tagging_calls_name_the_resources_they_tag(sample_lake):
    """CreateTags/DeleteTags carry their targets only in requestParameters.resourcesSet.items
    (EC2 API: CreateTags Resources.N); each tagged id is a resource the call changed."""
    engine, days = sample_lake["engine"], sample_lake["days"]
    window = {"start": days[0], "end": days[-1]}
    calls = engine.query(
        "select count(*) from stg_events where dt between :start and :end "
        "and event_name = 'CreateTags' and error_code is null", window).item()
    found = engine.query(
        "select r.resource_id, r.resource_type, r.found_in, r.mutating from stg_event_resources as r "
        "join stg_events as e on e.dt = r.dt and e.event_id = r.event_id "
        "where r.dt between :start and :end and e.event_name = 'CreateTags' and e.error_code is null",
        window).rows()
    assert calls > 0 and len(found) >= calls
    assert all(rid.startswith("i-") and kind == "AWS::EC2::Instance" and where == "request_parameters" and changed
               for rid, kind, where, changed in found)
