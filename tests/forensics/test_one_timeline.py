"""A subject's timeline is defined once: `trailwatch query --name events_for_<kind>` and
`trailwatch investigate --<kind>` return the same event ids for the same window, for each of
the four subject kinds, on the sample account (the real-record corpus: tests/realdata)."""

from __future__ import annotations

import csv
import json

import pytest

from toolkit.cli import main
from toolkit.config import Settings
from toolkit.engines import connect


def query_ids(lake: str, kind: str, value: str, start: str, end: str, out) -> list[str]:
    """Event ids of ``events_for_<kind>`` through the CLI, in the query's order."""
    path = out / f"q-{kind}.json"
    assert main(["query", "--lake", lake, "--name", f"events_for_{kind}", "-p", f"{kind}={value}",
                 "--start", start, "--end", end, "--format", "json", "--out", str(path),
                 "--allow-empty"]) == 0
    return [r["event_id"] for r in json.loads(path.read_text())]


def timeline_ids(lake: str, kind: str, value: str, start: str, end: str, out) -> list[str]:
    """Event ids of the investigation's timeline through the CLI (timeline.csv), in its order."""
    case = out / f"case-{kind}"
    assert main(["investigate", "--lake", lake, f"--{kind.replace('_', '-')}", value,
                 "--start", start, "--end", end, "--baseline-days", "1", "--out", str(case)]) == 0
    with (case / "timeline.csv").open() as fh:
        return [r["event_id"] for r in csv.DictReader(fh)]


def assert_same_timeline(lake, kind, value, start, end, out) -> list[str]:
    ids = query_ids(lake, kind, value, start, end, out)
    assert ids, f"no events for {kind} {value}: the comparison would be empty"
    assert ids == timeline_ids(lake, kind, value, start, end, out)
    return ids


@pytest.fixture(scope="module")
def subjects(sample_lake) -> dict[str, str]:
    """One subject per kind from the seeded incident and metric shift; the principal is a role
    with several sessions (its sessions are its events: the case events_for_principal gained)."""
    incident, shift = sample_lake["truth"]["incident"], sample_lake["truth"]["metric_shift"]
    engine = connect(Settings(lake=sample_lake["lake"]))
    role = engine.query(
        "select session_issuer_arn, count(distinct principal_arn) as sessions from stg_events "
        "where dt between :start and :end and session_issuer_arn like 'arn:aws:iam::%:role/%' "
        "group by session_issuer_arn order by sessions desc, session_issuer_arn limit 1",
        {"start": sample_lake["days"][0], "end": sample_lake["days"][-1]}).row(0, named=True)
    assert role["sessions"] > 1
    return {"principal": role["session_issuer_arn"], "access_key": incident["access_key_id"],
            "ip": incident["attacker_ip"],
            "resource": f"arn:aws:ec2:{shift['region']}:{shift['account_id']}:instance/{shift['resource_id']}"}


@pytest.mark.parametrize("kind", ["principal", "access_key", "ip", "resource"])
def test_query_and_investigation_return_the_same_events(sample_lake, subjects, kind, tmp_path):
    first, last = sample_lake["days"][0], sample_lake["days"][-1]
    assert_same_timeline(sample_lake["lake"], kind, subjects[kind], first, last, tmp_path)


def test_a_role_principal_includes_its_sessions(sample_lake, subjects, tmp_path):
    """The result events_for_principal changed: a role ARN now selects its sessions' calls."""
    first, last = sample_lake["days"][0], sample_lake["days"][-1]
    ids = query_ids(sample_lake["lake"], "principal", subjects["principal"], first, last, tmp_path)
    engine = connect(Settings(lake=sample_lake["lake"]))
    sessions = engine.query(
        "select event_id from stg_events where dt between :start and :end and session_issuer_arn = :role",
        {"start": first, "end": last, "role": subjects["principal"]})
    assert set(sessions["event_id"]) <= set(ids) and sessions.height > 0


def test_a_resource_matches_by_id_and_by_arn_alike(sample_lake, subjects, tmp_path):
    """The id the metrics carry (i-...) and the instance ARN select the same events: both are
    matched on stg_event_resources' canonical resource_id."""
    first, last = sample_lake["days"][0], sample_lake["days"][-1]
    by_arn = query_ids(sample_lake["lake"], "resource", subjects["resource"], first, last, tmp_path)
    shift = sample_lake["truth"]["metric_shift"]
    by_id = query_ids(sample_lake["lake"], "resource", shift["resource_id"], first, last, tmp_path)
    assert by_arn == by_id and shift["change_event_id"] in by_id
