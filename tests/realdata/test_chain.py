"""The whole CLI chain on real public CloudTrail records (tests/fixtures/cloudtrail/public/,
SOURCES.md there): ingest -> export -> build -> detect -> query -> investigate.

Every expectation is exact: counts, eventIDs, rule ids and bytes, taken from the records
themselves (see corpus.py for how the delivery tree is laid out)."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter

import pytest

from tests.realdata import corpus
from toolkit.cloudtrail.export import one_line

# Stratus Red Team detonations (anonymized by their authors: fake regions such as
# "ca-south-3r", and IPs such as "08.1.250.216" that are not valid addresses).
LEAVE_ORG_ROLE = "arn:aws:sts::307578594326:assumed-role/stratus-red-team-leave-org-role/aws-go-sdk-1722587398902687000"
LEAVE_ORG_KEY = "ASIA36EV31F1RB3OA8IG"  # issued by AssumeRole 099bfd30..., denied LeaveOrganization
CHRISTOPHE_KEY = "AKIADVISM0T50G52IF0D"  # the IAM user who assumed that role twice
LEAVE_ORG = "16903cbd-fdff-4818-82f2-d66ad09aaf57"
RUN_INSTANCES = "1a4debbb-12e9-4bde-b8c7-ea29002bb2a7"
DELETE_TRAIL = "ee73c230-44bc-4492-8542-cfb189eae287"
ADD_PERMISSION = "b67a9bba-d9da-4980-bf74-baed881b117d"
CONSOLE_LOGIN = "865d9377-9c6b-4fd7-8aad-725e95f6a140"
FEDERATION = "6e882b9d-2af8-4c67-b91f-aeac6a0e5e70"
ASSUME_ROLES = {"099bfd30-232c-4dff-9998-3821921063ca", "e3441619-0bf6-4818-bf18-391fb65ba98e"}


def sql(chain, text: str) -> list[dict]:
    """Rows of ad-hoc SQL through ``trailwatch query --sql`` (the tables as the lake holds them
    now: Iceberg keeps replaced data files, so reading the parquet files directly double-counts)."""
    out = chain.out("sql.json")
    assert chain.cli("query", "--lake", chain.lake, "--sql", text, "--format", "json", "--out", out) == 0
    return json.loads(out.read_text())


def events(chain, text: str) -> list[tuple]:
    return [tuple(r.values()) for r in sql(chain, text)]


# --- ingest -------------------------------------------------------------------------------

def test_the_corpus_is_what_sources_md_says(chain):
    tree = chain.tree
    assert len(tree.records) == 34
    assert [str(d) for d in tree.days()] == ["2017-12-11", "2024-07-31", "2024-08-01", "2024-08-02",
                                              "2024-11-30", "2025-03-06"]
    assert tree.late_event_id == CONSOLE_LOGIN  # 2024-08-02T08:53:24Z, delivered in 2024/08/03/
    assert any("/2024/08/03/" in k for k, recs in tree.files.items()
               if [r.event_id for r in recs] == [CONSOLE_LOGIN])
    assert len(tree.redelivered) == 1 + corpus.REDELIVERIES


def test_ingest_arithmetic_adds_up_and_nothing_is_quarantined(chain):
    for day, m in chain.ingest.items():
        assert m["records_in"] == (m["records_written"] + m["duplicates_dropped"]
                                   + m["records_quarantined"] + m["records_other_days"]), day
        assert m["files_quarantined"] == m["records_quarantined"] == 0, day
    redelivered = len(chain.tree.files[chain.tree.redelivered[0]])
    assert sum(m["duplicates_dropped"] for m in chain.ingest.values()) == corpus.REDELIVERIES * redelivered
    assert sum(m["records_written"] for m in chain.ingest.values()) == len(chain.tree.records)


def test_every_event_id_is_in_the_lake_once_in_its_own_day(chain):
    rows = events(chain, "select event_id, cast(dt as varchar) as dt from events")
    assert Counter(e for e, _ in rows) == Counter(list(chain.tree.records))
    for event_id, dt in rows:
        assert dt == str(chain.tree.records[event_id].time.date()), event_id


def test_a_record_delivered_into_the_next_days_folder_lands_on_its_own_day(chain):
    query = "select cast(dt as varchar) as dt, source_file from events where event_id = '%s'"
    rows = events(chain, query % CONSOLE_LOGIN)
    assert rows == [("2024-08-02", next(k for k, r in chain.tree.files.items() if r[0].event_id == CONSOLE_LOGIN))]


def test_a_second_ingest_of_a_day_reads_nothing_again(chain):
    out = chain.out("ingest-again.json")
    assert chain.cli("ingest", "--raw", chain.raw, "--lake", chain.lake, "--date", "2024-08-01",
                     "--format", "json", "--out", out) == 0
    [m] = json.loads(out.read_text())
    assert (m["files_read"], m["records_written"], m["records_in"]) == (0, 0, 0)


# --- export -------------------------------------------------------------------------------

def _export(chain, fmt: str, name: str, *filters: str, days=("2024-07-31", "2024-08-02")) -> bytes:
    out = chain.out(name)
    args = ["export", "--lake", chain.lake, "--start", days[0], "--end", days[1],
            "--format", fmt, "--out", out, "--allow-empty"]
    for f in filters:
        args += ["--filter", f]
    assert chain.cli(*args) == 0
    data = out.read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def _export_all(chain, fmt: str) -> list[str]:
    """Every record exported, one export per run of consecutive days (a 7-year range of mostly
    empty days costs ~10 s in per-day listing)."""
    texts = []
    for n, days in enumerate(corpus.day_runs(chain.tree.days())):
        data = _export(chain, fmt, f"all-{fmt}-{n}.gz", days=days).decode()
        texts += corpus.record_texts(data) if fmt == "cloudtrail" else data.splitlines()
    return texts


def test_cloudtrail_export_is_every_record_byte_for_byte(chain):
    texts = _export_all(chain, "cloudtrail")
    by_id = {json.loads(t)["eventID"]: t for t in texts}
    assert len(texts) == len(by_id) == len(chain.tree.records)
    assert all(by_id[e] == r.text for e, r in chain.tree.records.items())


def test_ndjson_export_keeps_compact_records_and_one_lines_indented_ones(chain):
    lines = _export_all(chain, "ndjson")
    recs = chain.tree.records
    identical = [ln for ln in lines if ln == recs[json.loads(ln)["eventID"]].text]
    assert len(lines) == len(recs)
    # Only the trailscraper file is compact ({"Records":[{...}]} on one line): 1 of its records
    # is compact; the cloud-snitch files and the Stratus logs are indented.
    assert len(identical) == sum(not r.indented or "\n" not in r.text for r in recs.values())
    assert all(ln.encode() == one_line(recs[json.loads(ln)["eventID"]].text.encode()) for ln in lines)


def test_export_filters_on_real_values(chain):
    texts = corpus.record_texts(_export(chain, "cloudtrail", "key.json", f"access_key_id={LEAVE_ORG_KEY}").decode())
    assert [json.loads(t)["eventID"] for t in texts] == [LEAVE_ORG]
    texts = corpus.record_texts(_export(chain, "cloudtrail", "ip.json", "source_ip_address=252.5.222.230").decode())
    assert {json.loads(t)["eventID"] for t in texts} == ASSUME_ROLES | {LEAVE_ORG}


# --- build --------------------------------------------------------------------------------

def test_every_model_contract_passes_on_every_day(chain):
    for day, rows in chain.build.items():
        assert {r["model"]: r["status"] for r in rows} == {m: "ok" for m in (
            "cur_api_errors_daily", "cur_console_logins", "cur_identity_sessions",
            "cur_logging_volume_daily", "cur_principal_activity_daily", "cur_resource_changes")}, day


def curated(chain, model: str, where: str = "true") -> list[dict]:
    # model names and conditions are this file's constants, never outside input
    return sql(chain, f"select * from {model} where {where} order by 1, 2, 3")  # noqa: S608


def test_denied_calls_are_errors_of_their_session(chain):
    rows = curated(chain, "cur_api_errors_daily")
    assert {(r["event_name"], r["error_code"], r["principal_arn"]) for r in rows} == {
        ("LeaveOrganization", "AccessDenied", LEAVE_ORG_ROLE),
        ("RunInstances", "Client.UnauthorizedOperation",
         "arn:aws:sts::900138736586:assumed-role/stratus-red-team-ec2lui-role-idtzskbvtd/aws-go-sdk-1722511821294449000")}


def test_console_login_without_mfa(chain):
    [row] = curated(chain, "cur_console_logins")
    assert (row["event_id"], row["login_result"], row["mfa_used"], row["is_root"]) == \
        (CONSOLE_LOGIN, "Success", False, False)


def test_records_without_readonly_are_classified_by_their_api_name(chain):
    # trailscraper's 2017 records (eventVersion 1.05) have no readOnly field: stg_events reads
    # their API names (tests/sql/test_sql_staging_real.py cites the AWS docs of the rule).
    rows = curated(chain, "cur_principal_activity_daily", "recipient_account_id = '111111111111'")
    assert [(r["principal"], r["calls"], r["read_calls"], r["write_calls"]) for r in rows] == [
        ("arn:aws:sts::111111111111:assumed-role/someRole/AutoScalingDescribeHandlerSession", 1, 1, 0),
        ("config.amazonaws.com", 1, 1, 0)]


def test_sts_credential_calls_are_not_resource_changes(chain):
    """Neither the 2017 AssumeRole (no readOnly) nor GetFederationToken (readOnly false) is in
    cur_resource_changes; both are in cur_identity_sessions."""
    changed = {r["event_name"] for r in curated(chain, "cur_resource_changes")}
    assert not changed & {"AssumeRole", "GetFederationToken"}
    assert {"AddPermission20150331v2", "DeleteTrail"} <= changed
    issued = {r["event_id"] for r in curated(chain, "cur_identity_sessions")}
    assert FEDERATION in issued and "b25ff7e3-f1cf-4b7f-883d-b09168c454d5" in issued


def test_sessions_issued_by_sts_and_by_federation(chain):
    rows = curated(chain, "cur_identity_sessions")
    assert Counter(r["event_name"] for r in rows) == {"AssumeRole": 7, "GetFederationToken": 1}
    [fed] = [r for r in rows if r["event_id"] == FEDERATION]
    assert fed["caller_principal"] == "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user"


# --- detect -------------------------------------------------------------------------------

def test_findings_are_the_techniques_that_were_detonated(chain):
    got = {(f["rule_id"], tuple(f["event_ids"]), f["outcome"]) for f in chain.findings}
    assert got == {
        ("cis-4.5-cloudtrail-config-changes", (DELETE_TRAIL,), "succeeded"),
        ("cloudtrail-logging-stopped", (DELETE_TRAIL,), "succeeded"),
        ("sigma-aws-cloudtrail-disable-logging", (DELETE_TRAIL,), "succeeded"),
        ("cis-4.1-unauthorized-api-calls", (RUN_INSTANCES,), "denied"),
        ("gpu-or-large-instance-launched", (RUN_INSTANCES,), "denied"),
        ("lambda-resource-policy-grants-public-invoke", (ADD_PERMISSION,), "succeeded"),
        ("cis-4.1-unauthorized-api-calls", (LEAVE_ORG,), "denied"),
        ("cis-4.15-organizations-changes", (LEAVE_ORG,), "denied"),
        ("organization-left", (LEAVE_ORG,), "denied"),
        ("cis-4.2-console-signin-without-mfa", (CONSOLE_LOGIN,), "succeeded"),
        ("sts-federation-token-issued", (FEDERATION,), "succeeded"),
    }
    # a denied attempt never keeps the severity of the deed
    assert {f["severity"] for f in chain.findings if f["rule_id"] == "organization-left"} == {"medium"}


# --- named queries ------------------------------------------------------------------------

QUERIES = {  # name -> (params, days, expected event_ids or row count)
    "changes_to_resource": ({"resource": "stratus-red-team-backdoor-f-func"}, ("2024-08-01",) * 2, {ADD_PERMISSION}),
    "console_logins_risky": ({}, ("2024-08-02",) * 2, {CONSOLE_LOGIN}),
    "data_events_by_driver": ({}, ("2025-03-06",) * 2, 0),
    "errors_for_principal": ({"principal": LEAVE_ORG_ROLE}, ("2024-08-02",) * 2, 1),
    "events_for_access_key": ({"access_key": LEAVE_ORG_KEY}, ("2024-08-02",) * 2, {LEAVE_ORG}),
    "events_for_ip": ({"ip": "252.5.222.230"}, ("2024-08-02",) * 2, ASSUME_ROLES | {LEAVE_ORG}),
    "events_for_principal": ({"principal": "arn:aws:iam::307578594326:user/christophe"},
                             ("2024-08-02",) * 2, ASSUME_ROLES),
    "events_for_resource": ({"resource": "arn:aws:iam::307578594326:role/stratus-red-team-leave-org-role"},
                            ("2024-08-02",) * 2, ASSUME_ROLES),
    "findings_in_window": ({}, ("2024-07-31", "2024-11-30"), 11),
    "logging_volume_by_source": ({}, ("2025-03-06",) * 2, 6),
    "sessions_for_access_key": ({"access_key": LEAVE_ORG_KEY}, ("2024-08-02",) * 2, {"099bfd30-232c-4dff-9998-3821921063ca"}),
    "top_talkers": ({"top": "3"}, ("2024-07-31", "2024-08-02"), 3),
}


def test_every_named_query_is_checked_here(chain, capsys):
    assert chain.cli("query", "--lake", chain.lake, "--list") == 0
    listed = {ln for ln in capsys.readouterr().out.splitlines() if ln and not ln.startswith(" ")}
    assert listed == set(QUERIES)


def test_query_list_honours_format_and_out(chain):
    out = chain.out("list.json")
    assert chain.cli("query", "--lake", chain.lake, "--list", "--format", "json", "--out", out) == 0
    assert {q["name"] for q in json.loads(out.read_text())} == set(QUERIES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_named_query_on_real_values(chain, name):
    params, (start, end), expected = QUERIES[name]
    out = chain.out(f"q-{name}.csv")
    args = ["query", "--lake", chain.lake, "--name", name, "--start", start, "--end", end,
            "--format", "csv", "--out", out, "--allow-empty"]
    for k, v in params.items():
        args += ["-p", f"{k}={v}"]
    assert chain.cli(*args) == 0
    rows = list(csv.DictReader(out.open()))
    if isinstance(expected, int):
        assert len(rows) == expected
    else:
        assert {r["event_id"] for r in rows} == expected


# --- investigate --------------------------------------------------------------------------

def test_investigate_an_access_key_walks_to_the_role_it_assumed(chain):
    case = chain.work / "case"
    assert chain.cli("investigate", "--lake", chain.lake, "--start", "2024-08-01", "--end", "2024-08-02",
                     "--access-key", CHRISTOPHE_KEY, "--out", case) == 0
    summary = json.loads((case / "summary.json").read_text())
    assert summary["events"] == 2
    assert summary["identity_chain"]["access_keys"] == [CHRISTOPHE_KEY, LEAVE_ORG_KEY, "ASIAMOWPWQJ1QHWCWJXJ"]
    assert summary["identity_chain"]["descendant_events"] == 1  # the denied LeaveOrganization
    evidence = corpus.record_texts((case / "evidence-subject.json").read_text())
    assert sorted(evidence) == sorted(chain.tree.records[e].text for e in ASSUME_ROLES)


# --- one timeline -------------------------------------------------------------------------

LEAVE_ORG_ROLE_ARN = "arn:aws:iam::307578594326:role/stratus-red-team-leave-org-role"
SUBJECTS = {  # kind -> (value, the events both the query and the investigation must return)
    "principal": (LEAVE_ORG_ROLE_ARN, {LEAVE_ORG}),  # a role: its session's denied call
    "access_key": (LEAVE_ORG_KEY, {LEAVE_ORG}),
    "ip": ("252.5.222.230", ASSUME_ROLES | {LEAVE_ORG}),
    "resource": (LEAVE_ORG_ROLE_ARN, ASSUME_ROLES),  # the role in the AssumeRole calls' resources[]
}


@pytest.mark.parametrize("kind", sorted(SUBJECTS))
def test_query_and_investigation_return_the_same_events(chain, kind):
    from tests.forensics.test_one_timeline import assert_same_timeline

    value, expected = SUBJECTS[kind]
    ids = assert_same_timeline(str(chain.lake), kind, value, "2024-08-02", "2024-08-02", chain.work)
    assert set(ids) == expected
