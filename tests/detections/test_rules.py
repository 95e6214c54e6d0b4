"""The rule library: coverage, validation, SQL contract (Athena parse + DuckDB run), inline tests."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import sqlglot

from tests.detections.conftest import record, stop_logging_rule, write_rule
from tests.event_rows import records_in
from toolkit.detections.rules import RuleError, load_rules
from toolkit.detections.sql import compile_rule
from toolkit.detections.testing import run_rule_tests

CIS_CONTROLS = [f"cis-4.{n}-" for n in range(1, 16)]
ATTACK_TACTICS = {"initial-access", "persistence", "privilege-escalation", "defense-evasion",
                  "credential-access", "discovery", "lateral-movement", "exfiltration", "impact"}


@pytest.fixture(scope="module")
def library():
    return load_rules()


def test_library_covers_every_cis_monitoring_control_and_40_more(library):
    ids = [r.id for r in library]
    for prefix in CIS_CONTROLS:
        assert sum(i.startswith(prefix) for i in ids) == 1, prefix
    others = [r for r in library if not r.id.startswith("cis-")]
    assert len(others) >= 40
    assert ATTACK_TACTICS <= {r.tactic for r in others}
    assert {"aggregate", "first_seen", "filter", "sequence"} == {r.kind for r in library}
    assert sum(r.kind == "sequence" for r in library) >= 6


def test_every_rule_has_real_metadata(library):
    for rule in library:
        assert re.fullmatch(r"T\d{4}(\.\d{3})?", rule.technique)
        assert rule.references and rule.description
        assert rule.tactic in rule.path.replace("\\", "/").split("/")


def test_cis_rules_use_the_documented_metric_filter_event_names(library):
    """Spot-check the translation of AWS's CIS metric filter patterns."""
    by_prefix = {p: next(r for r in library if r.id.startswith(p)) for p in CIS_CONTROLS}
    expect = {
        "cis-4.4-": ["DeleteGroupPolicy", "CreatePolicyVersion", "DetachGroupPolicy"],
        "cis-4.5-": ["CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"],
        "cis-4.7-": ["kms.amazonaws.com", "DisableKey", "ScheduleKeyDeletion"],
        "cis-4.13-": ["ReplaceRouteTableAssociation", "DisassociateRouteTable"],
        "cis-4.14-": ["EnableVpcClassicLink", "RejectVpcPeeringConnection"],
        "cis-4.15-": ["organizations.amazonaws.com", "LeaveOrganization", "UpdateOrganizationalUnit"],
    }
    for prefix, words in expect.items():
        for word in words:
            assert f"'{word}'" in by_prefix[prefix].filter, (prefix, word)


def test_compiled_sql_parses_as_athena_and_transpiles_to_duckdb(library):
    for rule in library:
        sql = compile_rule(rule)
        assert sqlglot.parse_one(sql, read="athena") is not None
        duck = sqlglot.transpile(sql, read="athena", write="duckdb")[0]
        assert "$start" in duck and "$end" in duck


def test_every_rule_passes_its_inline_tests(library):
    results = run_rule_tests(library)
    failed = {r.rule_id: r.problems for r in results if not r.passed}
    assert not failed
    assert all(r.positives and r.negatives for r in results)


def test_a_rule_whose_negative_matches_fails_its_test(rules_dir):
    rule = stop_logging_rule()
    rule["tests"]["negative"] = rule["tests"]["positive"]
    write_rule(rules_dir, rule)
    (result,) = run_rule_tests(load_rules(rules_dir))
    assert not result.passed and "negative case raised" in result.problems[0]


def test_a_rule_missing_its_positive_fails_its_test(rules_dir):
    rule = stop_logging_rule()
    rule["tests"]["positive"] = [record("StopLogging", "ec2.amazonaws.com", "2025-03-04T10:00:00Z")]
    write_rule(rules_dir, rule)
    (result,) = run_rule_tests(load_rules(rules_dir))
    assert not result.passed and "not matched" in result.problems[0]


@pytest.mark.parametrize("change, message", [
    ({"severity": "urgent"}, "severity"),
    ({"technique": "T9999"}, "technique"),
    ({"tactic": "persistence"}, "folder"),
    ({"logic": {"filter": "nonexistent_column = 1"}}, "unknown column"),
    ({"logic": {"filter": "event_name = 'x'; drop table events"}}, "single expression"),
    ({"logic": {"filter": "event_name in (select 1)"}}, "subqueries"),
    ({"logic": {"filter": "event_name = = 'x'"}}, "Athena SQL"),
    ({"logic": {"aggregate": {"filter": "true", "group_by": ["user"], "window_minutes": 7,
                              "threshold": 0}}}, "group_by"),
    ({"suppress": {"principals": ["arn:aws:iam::1:role/x' or '1'='1"]}}, "ARN pattern"),
    ({"tests": {"positive": []}}, "tests.positive"),
    ({"references": []}, "references"),
])
def test_invalid_rules_are_rejected_with_a_clear_reason(rules_dir, change, message):
    rule = stop_logging_rule(**change)
    if change.get("tactic") == "persistence":  # written into the wrong folder on purpose
        path = write_rule(rules_dir, {**rule, "tactic": "defense-evasion"})
        path.write_text(path.read_text().replace("tactic: defense-evasion", "tactic: persistence"))
    else:
        write_rule(rules_dir, rule)
    with pytest.raises(RuleError, match=re.escape(message)):
        load_rules(rules_dir)


def test_duplicate_ids_and_missing_dirs_are_errors(rules_dir, tmp_path):
    write_rule(rules_dir, stop_logging_rule())
    copy = rules_dir / "more" / "defense-evasion" / "test-stop-logging.yml"
    copy.parent.mkdir(parents=True)
    copy.write_text((rules_dir / "defense-evasion" / "test-stop-logging.yml").read_text())
    with pytest.raises(RuleError, match="duplicate rule id"):
        load_rules(rules_dir)
    with pytest.raises(FileNotFoundError):
        load_rules(tmp_path / "nowhere")


def test_allow_listed_principals_and_service_calls_are_suppressed(rules_dir):
    rule = stop_logging_rule(suppress={"principals": ["arn:aws:iam::*:user/trail_admin"]})
    base = rule["tests"]["positive"][0]
    admin = {**record("StopLogging", "cloudtrail.amazonaws.com", "2025-03-04T10:00:00Z"),
             "userIdentity": {**base["userIdentity"], "arn": "arn:aws:iam::111122223333:user/trail_admin"}}
    by_service = {**record("StopLogging", "cloudtrail.amazonaws.com", "2025-03-04T10:00:00Z"),
                  "userIdentity": {**base["userIdentity"], "invokedBy": "cloudformation.amazonaws.com"}}
    near_miss = {**record("StopLogging", "cloudtrail.amazonaws.com", "2025-03-04T10:00:00Z"),
                 "userIdentity": {**base["userIdentity"], "arn": "arn:aws:iam::111122223333:user/trailXadmin"}}
    rule["tests"]["negative"] = [admin, by_service]
    rule["tests"]["positive"] = [base, near_miss]  # '_' in a pattern is literal, not a wildcard
    write_rule(rules_dir, rule)
    (result,) = run_rule_tests(load_rules(rules_dir))
    assert result.passed, result.problems


def test_severities_are_realistic(library):
    counts = Counter(r.severity for r in library)
    assert counts["critical"] <= 5 and counts["high"] >= 10 and counts["informational"] >= 1
    assert next(r for r in library if r.id == "cloudtrail-logging-stopped").severity == "high"


def test_every_rule_runs_on_real_public_cloudtrail_records(library, real_cloudtrail_dir):
    """Real deliveries (eventVersion 1.05-1.11, odd shapes) must not break any rule's SQL."""
    from toolkit.detections import local
    from toolkit.detections.testing import records_to_events, run_rule

    records = records_in(real_cloudtrail_dir)
    events = records_to_events(records)
    con = local.connect()
    try:
        raised = {rule.id: run_rule(con, rule, events, records).height for rule in library}
    finally:
        con.close()
    assert len(raised) == len(library)


def test_importing_the_cli_verbs_stays_light():
    import subprocess
    import sys

    code = ("import sys, toolkit.detections, toolkit.detections.commands, toolkit.detections.rules; "
            "print(sorted(m for m in ('polars', 'duckdb', 'pyarrow', 'yaml', 'sqlglot') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
