"""The detect runner on a small crafted lake (DuckDB engine): findings table, idempotence,
first-seen baselines across partitions, hopping windows, and the CLI verbs."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pyarrow.parquet as pq
import pytest

from tests.detections.conftest import (
    record,
    stop_logging_rule,
    user_identity,
    write_lake,
    write_rule,
)
from toolkit.cli import main
from toolkit.detections import run_detections
from toolkit.detections.schema import FINDINGS_SCHEMA
from toolkit.lake import Lake

BURST_RULE = {
    "name": "test-denied-burst", "title": "Denied burst", "description": "Many AccessDenied.",
    "severity": "medium", "tactic": "discovery", "technique": "T1580",
    "references": ["https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html"],
    "outcome": "denied",
    "logic": {"aggregate": {"filter": "error_code = 'AccessDenied'", "group_by": ["principal_arn"],
                            "window_minutes": 10, "threshold": 6}},
    "tests": {"positive": [{"repeat": 6, "record": record("ListUsers", "iam.amazonaws.com",
                                                          "2025-03-04T10:00:00Z", error="AccessDenied")}],
              "negative": [record("ListUsers", "iam.amazonaws.com", "2025-03-04T10:00:00Z", error="AccessDenied")]},
}
NEW_REGION_RULE = {
    "name": "test-new-region", "title": "New region", "description": "Region not in baseline.",
    "severity": "medium", "tactic": "defense-evasion", "technique": "T1535",
    "references": ["https://docs.aws.amazon.com/general/latest/gr/rande-manage.html"],
    "outcome": "any",
    "logic": {"first_seen": {"filter": "identity_type = 'IAMUser'", "attribute": "aws_region",
                             "baseline_days": 14}},
    "tests": {"context": [record("ListUsers", "iam.amazonaws.com", "2025-03-03T10:00:00Z")],
              "positive": [record("ListUsers", "iam.amazonaws.com", "2025-03-04T10:00:00Z", region="eu-west-3")],
              "negative": [record("ListUsers", "iam.amazonaws.com", "2025-03-04T10:00:00Z")]},
}


@pytest.fixture
def small_lake(tmp_path, rules_dir):
    """Three days of events: history on day 1, then a stop, a denied burst across a window
    boundary and activity in a new region; plus three rules to find them."""
    for rule in (stop_logging_rule(), BURST_RULE, NEW_REGION_RULE):
        write_rule(rules_dir, rule)
    history = [record("ListUsers", "iam.amazonaws.com", f"2025-03-03T0{h}:00:00Z") for h in range(5)]
    stop = record("StopLogging", "cloudtrail.amazonaws.com", "2025-03-04T09:00:00Z", params={"name": "org-trail"})
    # 8 denials 10:09:20-10:10:30: a tumbling 10-minute window splits them 4 + 4 (< 6);
    # the half-shifted window 10:05-10:15 holds all 8.
    burst = [record("ListRoles", "iam.amazonaws.com", f"2025-03-04T10:{9 + (s // 60):02d}:{s % 60:02d}Z",
                    error="AccessDenied") for s in range(20, 100, 10)]
    new_region = record("DescribeInstances", "ec2.amazonaws.com", "2025-03-05T08:00:00Z", region="ap-south-2")
    other = record("ListUsers", "iam.amazonaws.com", "2025-03-05T08:00:00Z", ident=user_identity("bob"),
                   region="ap-south-2")  # bob has no history: no baseline, no finding
    lake = tmp_path / "lake"
    write_lake(lake, history + [stop, *burst, new_region, other])
    return lake, rules_dir, {"stop": stop, "burst": burst, "new_region": new_region, "other": other}


def test_detect_writes_findings_per_day_with_the_contract_schema(small_lake):
    lake, rules_dir, events = small_lake
    found = run_detections(str(lake), "2025-03-03", "2025-03-05", rules_dir=rules_dir)
    assert sorted(found["rule_id"].to_list()) == ["test-denied-burst", "test-new-region", "test-stop-logging"]
    by_rule = {row["rule_id"]: row for row in found.iter_rows(named=True)}
    assert by_rule["test-stop-logging"]["event_ids"] == [events["stop"]["eventID"]]
    assert json.loads(by_rule["test-stop-logging"]["details"])["trail"] == ["org-trail"]
    assert by_rule["test-stop-logging"]["principal_arn"].endswith(":user/alice")
    assert by_rule["test-stop-logging"]["access_key_id"] == "AKIAIOSFODNN7EXAMPLE"
    assert by_rule["test-stop-logging"]["account_id"] == "111122223333"
    # the burst crosses 10:10: hopping windows still see it, and merge it into ONE finding
    burst = by_rule["test-denied-burst"]
    assert sorted(burst["event_ids"]) == sorted(r["eventID"] for r in events["burst"])
    assert burst["event_count"] == 8
    assert by_rule["test-new-region"]["event_ids"] == [events["new_region"]["eventID"]]
    assert json.loads(by_rule["test-new-region"]["details"])["new_value"] == "ap-south-2"

    store = Lake.at(str(lake))
    assert store.files("findings", "2025-03-03") == []  # a day without findings writes nothing
    for day, expected in (("2025-03-04", 2), ("2025-03-05", 1)):
        (path,) = store.files("findings", day)
        table = pq.read_table(path)
        assert table.schema.equals(FINDINGS_SCHEMA) and table.num_rows == expected


def test_detect_is_idempotent_and_replaces_stale_findings(small_lake, tmp_path):
    lake, rules_dir, _ = small_lake
    first = run_detections(str(lake), "2025-03-03", "2025-03-05", rules_dir=rules_dir)
    again = run_detections(str(lake), "2025-03-03", "2025-03-05", rules_dir=rules_dir)
    assert first.sort("finding_id").equals(again.sort("finding_id"))
    store = Lake.at(str(lake))
    assert len(store.files("findings", "2025-03-04")) == 1
    only_stop = tmp_path / "only-stop"
    write_rule(only_stop, stop_logging_rule())
    run_detections(str(lake), "2025-03-04", "2025-03-04", rules_dir=only_stop)
    day = pl.read_parquet(store.files("findings", "2025-03-04")[0])
    assert day["rule_id"].to_list() == ["test-stop-logging"]
    assert day["finding_id"].to_list() == first.filter(pl.col("rule_id") == "test-stop-logging")["finding_id"].to_list()


def test_detect_on_days_without_findings_writes_nothing_and_drops_stale_findings(small_lake, tmp_path):
    lake, rules_dir, _ = small_lake
    found = run_detections(str(lake), "2025-04-01", "2025-06-30", rules_dir=rules_dir)
    assert found.height == 0
    store = Lake.at(str(lake))
    assert store.files("findings") == []  # 91 quiet days: no empty partitions
    run_detections(str(lake), "2025-03-04", "2025-03-04", rules_dir=rules_dir)
    assert store.days("findings") == [dt.date(2025, 3, 4)]
    quiet = tmp_path / "quiet-rules"
    write_rule(quiet, {**stop_logging_rule(), "logic": {"filter": "event_name = 'NeverCalled'"}})
    run_detections(str(lake), "2025-03-04", "2025-03-04", rules_dir=quiet)
    assert store.days("findings") == []  # the re-run found nothing: the old findings are gone


def test_cli_detect_rules_list_and_rules_test(small_lake, capsys):
    lake, rules_dir, events = small_lake
    assert main(["detect", "--lake", str(lake), "--start", "2025-03-03", "--end", "2025-03-05",
                 "--rules", str(rules_dir), "--format", "json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {f["rule_id"] for f in lines} == {"test-stop-logging", "test-denied-burst", "test-new-region"}
    assert main(["detect", "--lake", str(lake), "--start", "2025-03-04", "--end", "2025-03-04",
                 "--rules", str(rules_dir)]) == 0
    out = capsys.readouterr().out
    assert "test-stop-logging" in out and "2 findings (1 high, 1 medium)" in out

    assert main(["rules", "list", "--rules", str(rules_dir)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["id", "severity", "tactic", "technique", "source", "title"]
    assert "test-new-region" in out and "T1535" in out

    assert main(["rules", "show", "test-new-region", "--rules", str(rules_dir), "--start", "2025-03-05"]) == 0
    out = capsys.readouterr().out
    assert '"baseline_start": "2025-02-19"' in out and "where dt between :start and :end" in out
    assert main(["rules", "show", "nope", "--rules", str(rules_dir)]) == 2

    assert main(["rules", "test", "--rules", str(rules_dir)]) == 0
    assert "3 passed, 0 failed" in capsys.readouterr().out
    broken = stop_logging_rule()
    broken["tests"]["negative"] = broken["tests"]["positive"]
    write_rule(rules_dir, broken)
    assert main(["rules", "test", "--rules", str(rules_dir)]) == 1
    assert "FAIL  test-stop-logging" in capsys.readouterr().out


def test_cli_reports_bad_input_clearly(tmp_path, capsys):
    assert main(["detect", "--lake", str(tmp_path), "--start", "2025-03-05", "--end", "2025-03-04"]) == 2
    assert "end 2025-03-04 is before start 2025-03-05" in capsys.readouterr().err
    (tmp_path / "bad" / "x").mkdir(parents=True)
    (tmp_path / "bad" / "x" / "r.yml").write_text("id: [unclosed")
    assert main(["rules", "list", "--rules", str(tmp_path / "bad")]) == 2
    assert "not valid YAML" in capsys.readouterr().err


class FakeAthenaWiring:
    """Stands in for Athena query execution only (moto's Athena runs no SQL): records what is
    sent, answers from DuckDB with Athena-style text timestamps, and can refuse on cost."""

    name = "athena"

    def __init__(self, lake, refuse: bool = False):
        from toolkit.config import Settings
        from toolkit.engines.duck import DuckDBEngine

        self.duck = DuckDBEngine(Settings.from_env(lake=str(lake), engine="duckdb"))
        self.calls, self.refuse = [], refuse

    def query(self, sql, params=None, *, allow_scan=False):
        from toolkit.engines import ScanLimitExceeded

        self.calls.append((sql, dict(params), allow_scan))
        if self.refuse and not allow_scan:
            raise ScanLimitExceeded("would scan 12 GB > limit 10 GB; rerun with --allow-scan")
        frame = self.duck.query(sql, params)
        return frame.with_columns(
            pl.col("first_seen", "last_seen", "window_start").dt.strftime("%Y-%m-%d %H:%M:%S%.3f"))


def test_detect_athena_wiring_sends_athena_sql_with_bound_parameters(small_lake):
    lake, rules_dir, events = small_lake
    fake = FakeAthenaWiring(lake)
    found = run_detections(str(lake), "2025-03-04", "2025-03-05", rules_dir=rules_dir, engine=fake)
    assert len(fake.calls) == 3
    for sql, params, _ in fake.calls:
        assert ":start" in sql and ":end" in sql and "2025-03-04" not in sql  # bound, not pasted
        assert params["start"] == "2025-03-04" and params["end"] == "2025-03-05"
    first_seen_call = next(p for sql, p, _ in fake.calls if "history" in sql)
    assert first_seen_call["baseline_start"] == "2025-02-18"
    stop = found.filter(pl.col("rule_id") == "test-stop-logging").row(0, named=True)
    assert stop["first_seen"].isoformat() == "2025-03-04T09:00:00+00:00"


def test_detect_athena_wiring_scan_limit_refusal_and_override(small_lake, monkeypatch, capsys):
    lake, rules_dir, _ = small_lake
    with pytest.raises(Exception, match="allow-scan"):
        run_detections(str(lake), "2025-03-04", "2025-03-04", rules_dir=rules_dir,
                       engine=FakeAthenaWiring(lake, refuse=True))
    fake = FakeAthenaWiring(lake, refuse=True)
    run_detections(str(lake), "2025-03-04", "2025-03-04", rules_dir=rules_dir, engine=fake,
                   allow_scan=True)
    assert all(allow for _, _, allow in fake.calls)
    monkeypatch.setattr("toolkit.engines.connect", lambda settings: FakeAthenaWiring(lake, refuse=True))
    assert main(["detect", "--lake", str(lake), "--start", "2025-03-04", "--end", "2025-03-04",
                 "--rules", str(rules_dir), "--engine", "athena"]) == 3
    assert "allow-scan" in capsys.readouterr().err


def test_detect_on_an_s3_lake_through_moto(moto_reset, rules_dir):
    import boto3

    from toolkit.config import Settings

    boto3.client("s3", endpoint_url=moto_reset, region_name="us-east-1").create_bucket(Bucket="lake")
    write_rule(rules_dir, stop_logging_rule())
    stop = record("StopLogging", "cloudtrail.amazonaws.com", "2025-03-04T09:00:00Z", params={"name": "t"})
    write_lake("s3://lake/tw", [stop, record("ListUsers", "iam.amazonaws.com", "2025-03-04T09:01:00Z")],
               endpoint_url=moto_reset)
    settings = Settings.from_env(endpoint_url=moto_reset)
    found = run_detections("s3://lake/tw", "2025-03-04", "2025-03-04", rules_dir=rules_dir, settings=settings)
    assert found["event_ids"].to_list() == [[stop["eventID"]]]
    store = Lake.at("s3://lake/tw", moto_reset)
    (path,) = store.files("findings", "2025-03-04")
    with store.fs.open(path, "rb") as fh:
        assert pq.read_table(fh)["finding_id"].to_pylist() == found["finding_id"].to_list()


def test_sequence_rules_send_athena_sql_with_the_lookback_bound(tmp_path, rules_dir):
    """Sequences on the Athena path (execution mocked, see FakeAthenaWiring): Trino-parsable SQL,
    days bound as parameters, the earlier steps read from the look-back days."""
    import shutil

    import sqlglot

    from toolkit.detections.rules import load_rules

    seq = next(r for r in load_rules() if r.id == "seq-assume-role-denials-then-success")
    dest = rules_dir / seq.tactic / f"{seq.id}.yml"
    dest.parent.mkdir(parents=True)
    shutil.copy(seq.path, dest)
    denied = [record("AssumeRole", "sts.amazonaws.com", f"2025-03-04T23:5{i}:00Z", error="AccessDenied",
                     params={"roleArn": "arn:aws:iam::111122223333:role/guess", "roleSessionName": "x"})
              for i in range(6)]
    ok = record("AssumeRole", "sts.amazonaws.com", "2025-03-05T00:10:00Z",
                params={"roleArn": "arn:aws:iam::111122223333:role/ops-admin", "roleSessionName": "x"})
    write_lake(tmp_path / "lake", [*denied, ok])
    fake = FakeAthenaWiring(tmp_path / "lake")
    found = run_detections(str(tmp_path / "lake"), "2025-03-05", "2025-03-05", rules_dir=rules_dir, engine=fake)
    (sql, params, _), = fake.calls
    assert params == {"start": "2025-03-05", "end": "2025-03-05", "lookback_start": "2025-03-04"}
    assert "2025-03" not in sql and ":lookback_start" in sql and "ids_credential_calls" in sql
    sqlglot.parse_one(sql, read="trino")
    (finding,) = found.iter_rows(named=True)  # the denials of the day before count
    assert set(finding["event_ids"]) == {r["eventID"] for r in [*denied, ok]}
    assert finding["dt"] == "2025-03-05" and finding["rule_source"] == "sequence"


def test_detect_limited_to_one_source_keeps_the_other_sources_findings(small_lake):
    """`detect --source sequence` rewrites that origin's findings only: a day's native
    findings survive a run of other rule origins (no silent loss)."""
    lake, rules_dir, _ = small_lake
    first = run_detections(str(lake), "2025-03-03", "2025-03-05", rules_dir=rules_dir)
    assert first.height and set(first["rule_source"]) == {"native"}
    again = run_detections(str(lake), "2025-03-03", "2025-03-05", rules_dir=rules_dir,
                           sources=("sequence",))
    assert again.height == 0
    store = Lake.at(str(lake))
    kept = pl.concat([pl.read_parquet(f) for f in store.files("findings")])
    assert sorted(kept["finding_id"]) == sorted(first["finding_id"])
