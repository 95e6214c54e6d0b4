"""Sigma import (pySigma parsing, our Athena backend), the shipped SigmaHQ pack, coverage."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest
import sqlglot

from toolkit.cli import main
from toolkit.detections.rules import RULES_DIR, load_rules

PACK = RULES_DIR.parent / "sigma_rules" / "aws_cloudtrail"
NOT_COMPILED = {
    "aws_delete_saml_provider.yml": "field 'status' has no events column",
}


@pytest.fixture(scope="module")
def fresh_import(tmp_path_factory):
    from toolkit.detections.sigma import import_sigma

    out = tmp_path_factory.mktemp("sigma")
    return import_sigma([str(PACK)], out), out


def test_the_shipped_pack_compiles_56_of_57_and_says_why_not_the_other(fresh_import):
    report, _ = fresh_import
    assert report.total == 57 and len(report.compiled) == 56
    reasons = {Path(p).name: why for p, why in report.skipped}
    assert set(reasons) == set(NOT_COMPILED)
    for name, why in NOT_COMPILED.items():
        assert why in reasons[name]


def test_the_shipped_compiled_rules_equal_a_fresh_import(fresh_import):
    _, out = fresh_import
    shipped = RULES_DIR / "sigma"
    fresh = sorted(p.relative_to(out) for p in out.rglob("*.yml"))
    assert fresh == sorted(p.relative_to(shipped) for p in shipped.rglob("*.yml"))
    drift = [str(p) for p in fresh if not filecmp.cmp(out / p, shipped / p, shallow=False)]
    assert not drift, f"regenerate with trailwatch rules import-sigma: {drift}"


def test_imported_rules_keep_attribution_and_run_as_athena_sql():
    from toolkit.detections.sql import compile_rule

    sigma = [r for r in load_rules() if r.source == "sigma"]
    assert len(sigma) == 56
    for rule in sigma:
        assert rule.sigma["license"] == "DRL-1.1" and rule.sigma["author"] and rule.sigma["id"]
        assert rule.references and "SigmaHQ" in rule.sigma["source"]
        assert any(t.startswith("attack.") for t in rule.sigma["tags"])
        assert rule.severity == rule.sigma["level"]
        sqlglot.parse_one(compile_rule(rule), read="trino")
    logging = next(r for r in sigma if r.sigma["id"] == "4db60cc0-36fb-42b7-9b58-a5b53019fb74")
    assert "'StopLogging'" in logging.filter and logging.tactic == "defense-evasion"


def sigma_file(tmp_path, detection: str, logsource: str = "product: aws\n    service: cloudtrail") -> Path:
    path = tmp_path / "in" / "custom_rule.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"""title: Custom test rule
id: 0b0e5a5c-1111-4a1a-9a9a-123456789abc
status: test
description: A rule written for the test.
author: trailwatch tests
date: 2026-11-29
tags:
    - attack.credential-access
    - attack.t1552
logsource:
    {logsource}
detection:
{detection}
level: high
""")
    return path


def test_modifiers_not_and_one_of_compile_and_match_their_own_selections(tmp_path):
    from toolkit.detections.sigma import import_sigma

    path = sigma_file(tmp_path, """    selection_name:
        eventName|startswith: 'GetPassword'
    selection_agent:
        userAgent|contains: 'kali'
    filter_main:
        sourceIPAddress|re: '^10\\\\.'
    condition: 1 of selection_* and not filter_main""")
    report = import_sigma([str(path)], tmp_path / "out")
    assert [rid for _, rid in report.compiled] == ["sigma-custom-rule"], report.skipped
    written = (tmp_path / "out" / "credential-access" / "sigma-custom-rule.yml").read_text()
    assert "\nname: sigma-custom-rule\n" in written and "\nid: " not in written  # the shared keys
    (rule,) = load_rules(tmp_path / "out")
    assert "lower(event_name) like 'getpassword%'" in rule.filter
    assert "not coalesce(" in rule.filter and "regexp_like(source_ip_address" in rule.filter


@pytest.mark.parametrize("detection, logsource, reason", [
    ("    keywords:\n        - 'mimikatz'\n    condition: keywords", None, "keyword"),
    ("    selection:\n        Image: 'x.exe'\n    condition: selection", None, "no events column"),
    ("    selection:\n        eventName: X\n    condition: selection", "product: windows\n    service: security",
     "not aws/cloudtrail"),
])
def test_unsupported_sigma_rules_are_reported_not_written(tmp_path, detection, logsource, reason):
    from toolkit.detections.sigma import import_sigma

    path = sigma_file(tmp_path, detection, logsource or "product: aws\n    service: cloudtrail")
    report = import_sigma([str(path)], tmp_path / "out")
    assert not report.compiled and reason in report.skipped[0][1]
    assert not (tmp_path / "out").exists()


def test_cli_import_sigma_and_list_by_source(tmp_path, capsys):
    assert main(["rules", "import-sigma", str(PACK / "aws_cloudtrail_disable_logging.yml"),
                 "--out", str(tmp_path / "out")]) == 0
    assert "1 of 1 Sigma rules compiled" in capsys.readouterr().out
    assert main(["rules", "list", "--rules", str(tmp_path / "out"), "--source", "sigma",
                 "--format", "json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["sigma_id"] == "4db60cc0-36fb-42b7-9b58-a5b53019fb74" and listed["source"] == "sigma"
    assert main(["rules", "list", "--rules", str(tmp_path / "out"), "--source", "native"]) == 0
    assert "0 rules from native (none of that source" in capsys.readouterr().out
    assert main(["rules", "import-sigma", str(tmp_path / "missing.yml"), "--out", str(tmp_path)]) == 2


def test_every_stratus_red_team_aws_technique_has_a_rule():
    from toolkit.detections.coverage import stratus_catalogue, stratus_frame

    rules = load_rules()
    frame = stratus_frame(rules)
    missing = frame.filter(~frame["covered"])["stratus_technique"].to_list()
    assert not missing and frame.height == len(stratus_catalogue()) >= 48
    named = {t for r in rules for t in r.stratus}
    assert named <= set(stratus_catalogue()), named - set(stratus_catalogue())


def test_coverage_table_counts_native_sequence_and_sigma_and_charts(capsys):
    from toolkit.detections.coverage import coverage_chart, coverage_frame

    rules = load_rules()
    frame = coverage_frame(rules)
    assert frame["total"].sum() == len(rules)
    assert {s: frame[s].sum() for s in ("native", "sequence", "sigma")} == {
        s: sum(r.source == s for r in rules) for s in ("native", "sequence", "sigma")}
    spec = coverage_chart(frame).to_dict()
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["color"]["field"] == "source"
    assert main(["rules", "coverage", "--stratus"]) == 0
    assert "48 of 48 Stratus Red Team AWS techniques covered" in capsys.readouterr().out


def test_hunting_rules_run_only_when_asked(tmp_path):
    """Sigma's AssumeRole misuse selects every role-session call (13,000 low findings per 100k
    sample events): imported as a hunting rule, `detect` runs it only with --hunting."""
    import shutil

    from tests.detections.conftest import record, write_lake
    from toolkit.detections import run_detections

    (rule,) = [r for r in load_rules() if r.hunting]
    assert rule.sigma["id"] == "905d389b-b853-46d0-9d3d-dea0d3a3cd49"
    rules_dir = tmp_path / "rules" / rule.tactic
    rules_dir.mkdir(parents=True)
    shutil.copy(rule.path, rules_dir)
    session = {"type": "AssumedRole", "principalId": "AROAEXAMPLE:x", "accountId": "111122223333",
               "arn": "arn:aws:sts::111122223333:assumed-role/app/x", "accessKeyId": "ASIAEXAMPLEAPP00001",
               "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/app"}}}
    write_lake(tmp_path / "lake", [record("ListBuckets", "s3.amazonaws.com", "2025-03-04T10:00:00Z", ident=session)])
    args = (str(tmp_path / "lake"), "2025-03-04", "2025-03-04", tmp_path / "rules")
    assert run_detections(*args).height == 0
    assert run_detections(*args, hunting=True)["rule_id"].to_list() == [rule.id]


def test_tactic_coverage_chart_is_bounded_and_counts_each_technique_once_per_source():
    """The security digest's coverage chart: one bar per tactic whatever the library's size."""
    from toolkit.detections.coverage import tactic_coverage_chart

    rules = load_rules()
    data = tactic_coverage_chart(rules).to_dict()["datasets"]
    (rows,) = data.values()
    assert len({r["tactic"] for r in rows}) == len({r.tactic for r in rules if r.technique}) <= 14
    native = {(r.tactic, r.technique) for r in rules if r.source == "native" and r.technique}
    assert sum(r["techniques"] for r in rows if r["source"] == "native") == len(native)
