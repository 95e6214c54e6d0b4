"""The sample estate looks like real CloudTrail, is deterministic and carries its ground truth."""

from __future__ import annotations

import collections
import gzip
import hashlib
import json
import re
from pathlib import Path

from toolkit.cli import main
from toolkit.sample import generate_account

LOG_KEY = re.compile(
    r"AWSLogs/(o-[a-z0-9]{10,32}/)?(\d{12})/CloudTrail/([a-z]{2}-[a-z]+-\d)/(\d{4})/(\d{2})/(\d{2})/"
    r"(\d{12})_CloudTrail_([a-z]{2}-[a-z]+-\d)_(\d{4})(\d{2})(\d{2})T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz")
DIGEST_KEY = re.compile(
    r"AWSLogs/(o-[a-z0-9]{10,32}/)?(\d{12})/CloudTrail-Digest/([a-z]{2}-[a-z]+-\d)/\d{4}/\d{2}/\d{2}/"
    r"\2_CloudTrail-Digest_\3_[A-Za-z0-9_.-]+_[a-z]{2}-[a-z]+-\d_\d{8}T\d{6}Z\.json\.gz")
EVENT_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _tree_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_key_follows_aws_layout(sample):
    raw = Path(sample["raw"])
    keys = [p.relative_to(raw).as_posix() for p in raw.glob("AWSLogs/**/*") if p.is_file()]
    logs = [k for k in keys if "/CloudTrail/" in k]
    digests = [k for k in keys if "/CloudTrail-Digest/" in k]
    assert len(logs) + len(digests) == len(keys) and logs and digests
    for key in logs:
        m = LOG_KEY.fullmatch(key)
        assert m, key
        assert m.group(2) == m.group(7) and m.group(3) == m.group(8), key   # account, region agree
        assert m.group(4, 5, 6) == m.group(9, 10, 11), key                  # folder date = file date
    for key in digests:
        assert DIGEST_KEY.fullmatch(key), key


def test_log_files_parse_as_cloudtrail(sample, sample_records):
    assert len({rec["eventID"] for _, rec in sample_records}) == sample["events"]  # duplicates aside
    for key, rec in sample_records:
        m = LOG_KEY.fullmatch(key)
        assert rec["recipientAccountId"] == m.group(2) and rec["awsRegion"] == m.group(3), key
        assert EVENT_TIME.fullmatch(rec["eventTime"]), rec["eventTime"]
        assert rec["eventVersion"] in ("1.08", "1.09", "1.10", "1.11")
        assert rec["eventCategory"] in ("Management", "Data")
        assert rec["managementEvent"] is (rec["eventCategory"] == "Management")


def test_delivery_is_after_the_events_and_crosses_midnight(sample, reader):
    raw = Path(sample["raw"])
    crossed = 0
    for path in raw.glob("AWSLogs/**/CloudTrail/**/*.json.gz"):
        m = LOG_KEY.fullmatch(path.relative_to(raw).as_posix())
        stamp = path.name.split("_")[3]                          # YYYYMMDDTHHmmZ
        delivered = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}"
        times = [r["eventTime"] for r in reader(path)]
        assert max(times)[:16] <= delivered, path.name
        crossed += min(times)[:10] < f"{m.group(4)}-{m.group(5)}-{m.group(6)}"
    assert crossed > 0, "no late-evening events delivered into the next day's folder"


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    args = dict(start="2025-03-03", days=1, events_per_day=400)
    generate_account(tmp_path / "a", seed=3, **args)
    generate_account(tmp_path / "b", seed=3, **args)
    generate_account(tmp_path / "c", seed=4, **args)
    a, b, c = (_tree_hashes(tmp_path / x) for x in "abc")
    assert a == b
    assert a != c


def test_same_bytes_whatever_the_number_of_worker_processes(tmp_path):
    from toolkit.sample.generator import generate

    args = dict(start="2025-03-03", days=2, events_per_day=300, accounts=2, seed=3)
    one = generate(tmp_path / "one", workers=1, **args)
    two = generate(tmp_path / "two", workers=2, **args)
    assert _tree_hashes(tmp_path / "one") == _tree_hashes(tmp_path / "two")
    assert {k: v for k, v in one.items() if k not in ("out", "raw", "truth", "public_keys", "cloudwatch",
                                                       "signature_metadata")} == \
        {k: v for k, v in two.items() if k not in ("out", "raw", "truth", "public_keys", "cloudwatch",
                                                    "signature_metadata")}


def test_rerun_into_same_dir_is_idempotent(tmp_path):
    args = dict(start="2025-03-03", days=1, events_per_day=300, seed=5)
    generate_account(tmp_path / "s", **args)
    first = _tree_hashes(tmp_path / "s")
    generate_account(tmp_path / "s", **args)
    assert _tree_hashes(tmp_path / "s") == first


def test_refuses_foreign_directory(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "precious.txt").write_text("x")
    try:
        generate_account(tmp_path, days=1, events_per_day=100)
    except ValueError as exc:
        assert "not written by trailwatch sample" in str(exc)
    else:
        raise AssertionError("overwrote a directory it did not create")
    assert (tmp_path / "raw" / "precious.txt").exists()


def test_some_files_are_delivered_twice(sample):
    raw = Path(sample["raw"])
    by_content = collections.defaultdict(list)
    for path in raw.glob("AWSLogs/**/CloudTrail/**/*.json.gz"):
        by_content[hashlib.sha256(path.read_bytes()).hexdigest()].append(path.name)
    twice = [names for names in by_content.values() if len(names) > 1]
    assert twice and sample["duplicate_deliveries"] == len(twice)
    assert all(len(set(names)) == len(names) for names in twice)


def test_truth_event_ids_exist_and_steps_are_complete(truth, sample_records):
    by_id = {rec["eventID"]: rec for _, rec in sample_records}
    incident = truth["incident"]
    steps = {s["step"]: s for s in incident["steps"]}
    assert set(steps) >= {"initial-access", "discovery-identities", "discovery-infrastructure",
                          "access-denied-burst", "privilege-escalation", "additional-credentials",
                          "defense-evasion", "persistence", "collection-s3", "exfiltration-snapshot"}
    for step in incident["steps"]:
        assert re.fullmatch(r"T\d{4}(\.\d{3})?", step["technique"]) and step["tactic"]
        assert step["event_ids"] and all(e in by_id for e in step["event_ids"]), step["step"]
    names = {by_id[e]["eventName"] for s in incident["steps"] for e in s["event_ids"]}
    assert {"GetCallerIdentity", "ListUsers", "CreateAccessKey", "AttachUserPolicy", "StopLogging",
            "PutEventSelectors", "CreateUser", "CreateLoginProfile", "GetObject",
            "ModifySnapshotAttribute"} <= names
    assert all("errorCode" in by_id[e] for e in steps["access-denied-burst"]["event_ids"])
    assert len(steps["collection-s3"]["event_ids"]) >= 100
    shift = truth["metric_shift"]
    change = by_id[shift["change_event_id"]]
    assert change["eventName"] == "ModifyInstanceAttribute"
    assert change["requestParameters"]["instanceId"] == shift["resource_id"]
    assert shift["shift_start"] > shift["change_time"]


def test_background_does_not_look_like_the_incident(truth, sample_records):
    incident_ids = {e for s in truth["incident"]["steps"] for e in s["event_ids"]}
    attacker_ip = truth["incident"]["attacker_ip"]
    for _, rec in sample_records:
        if rec["eventID"] in incident_ids:
            continue
        assert rec["sourceIPAddress"] != attacker_ip
        assert rec["eventName"] not in ("ModifySnapshotAttribute", "StopLogging", "CreateLoginProfile",
                                        "CreateUser", "PutEventSelectors")
        params = rec.get("requestParameters") or {}
        assert not str(params.get("policyArn", "")).endswith("/AdministratorAccess")
        if rec["eventName"] == "CreateAccessKey":
            assert not params.get("userName")


def test_every_temporary_key_has_an_issuing_event(sample_records):
    issued = {rec["responseElements"]["credentials"]["accessKeyId"] for _, rec in sample_records
              if isinstance(rec.get("responseElements"), dict) and "credentials" in rec["responseElements"]}
    used = collections.Counter()
    for _, rec in sample_records:
        ident = rec["userIdentity"]
        issuer = ident.get("sessionContext", {}).get("sessionIssuer", {}).get("userName", "")
        if ident.get("type") == "AssumedRole" and not issuer.startswith("AWSServiceRole"):
            used[ident["accessKeyId"]] += 1
            assert ident["accessKeyId"].startswith("ASIA")
    assert used and set(used) <= issued
    chained = [rec for _, rec in sample_records if rec["eventName"] == "AssumeRole"
               and rec["userIdentity"].get("type") == "AssumedRole"]
    assert chained, "no role chaining"
    assert any("sourceIdentity" in (rec["requestParameters"] or {}) for _, rec in sample_records
               if rec["eventName"] == "AssumeRole")


def test_realistic_shapes_are_present(sample_records):
    recs = [rec for _, rec in sample_records]
    assert {r["eventVersion"] for r in recs} >= {"1.08", "1.09", "1.10", "1.11"}
    for field in ("tlsDetails", "sessionCredentialFromConsole", "sharedEventID", "vpcEndpointId",
                  "resources", "additionalEventData"):
        assert any(field in r for r in recs), field
    codes = {r.get("errorCode") for r in recs}
    assert {"AccessDenied", "Client.UnauthorizedOperation", "ThrottlingException"} <= codes
    types = {r["userIdentity"]["type"] for r in recs}
    assert {"IAMUser", "AssumedRole", "AWSService", "Root", "SAMLUser", "AWSAccount"} <= types
    logins = [r for r in recs if r["eventName"] == "ConsoleLogin"]
    assert {r["additionalEventData"]["MFAUsed"] for r in logins} == {"Yes", "No"}
    assert {r["responseElements"]["ConsoleLogin"] for r in logins} == {"Success", "Failure"}
    data = [r for r in recs if r["eventCategory"] == "Data"]
    assert data and all(r["resources"] and r["managementEvent"] is False for r in data)
    assert any(r["eventSource"] == "kms.amazonaws.com" and r["eventName"] == "Decrypt" for r in recs)
    assert any(r["userIdentity"].get("invokedBy") for r in recs)
    assert len({r["awsRegion"] for r in recs}) >= 4
    reads = sum(1 for r in recs if r.get("readOnly"))
    assert reads / len(recs) > 0.6
    assert len({r["eventSource"] for r in recs}) >= 15


def test_cloudwatch_files_match_trail_resources(sample, truth, sample_records):
    root = Path(sample["out"]) / "cloudwatch"
    files = sorted(root.glob("*/*/metrics-*.json"))
    assert files
    trail_text = "\n".join(json.dumps(r) for _, r in sample_records)
    namespaces = set()
    for path in files:
        doc = json.loads(path.read_text())
        assert doc["AccountId"] == path.parts[-3] and doc["Region"] == path.parts[-2]
        for res in doc["MetricDataResults"]:
            namespaces.add((res["Namespace"], res["MetricName"]))
            assert res["Period"] in (60, 300) and len(res["Timestamps"]) == len(res["Values"])
            assert res["Timestamps"] == sorted(res["Timestamps"])
            assert res["Timestamps"][0][:10] == path.stem[-10:]
            for dim in res["Dimensions"]:
                if dim["Name"] in ("InstanceId", "DBInstanceIdentifier", "FunctionName"):
                    assert dim["Value"] in trail_text, dim
    assert {("AWS/EC2", "CPUUtilization"), ("CWAgent", "mem_used_percent"), ("AWS/RDS", "DatabaseConnections"),
            ("AWS/Lambda", "Duration"), ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count")} <= namespaces
    launched = {r["responseElements"]["instancesSet"]["items"][0]["instanceId"]:
                r["requestParameters"]["instanceType"] for _, r in sample_records if r["eventName"] == "RunInstances"}
    idle = truth["rightsizing"]
    assert idle and any(i["instance_id"] in launched and launched[i["instance_id"]] == i["instance_type"] for i in idle)


def test_metric_shift_follows_the_change(sample, truth):
    shift = truth["metric_shift"]
    path = Path(sample["out"]) / "cloudwatch" / shift["account_id"] / shift["region"] / \
        f"metrics-{shift['shift_start'][:10]}.json"
    doc = json.loads(path.read_text())
    series = next(r for r in doc["MetricDataResults"] if r["MetricName"] == shift["metric_name"]
                  and r["Dimensions"] == shift["dimensions"])
    before = [v for t, v in zip(series["Timestamps"], series["Values"], strict=False) if t < shift["change_time"]][-12:]
    after = [v for t, v in zip(series["Timestamps"], series["Values"], strict=False) if t >= shift["shift_start"]][:12]
    assert sum(after) / len(after) > 1.6 * sum(before) / len(before)


def test_org_layout_and_cli(tmp_path, capsys):
    code = main(["sample", "--out", str(tmp_path / "o"), "--days", "1", "--events-per-day", "300",
                 "--accounts", "2", "--org", "--seed", "2"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert re.fullmatch(r"o-[a-z0-9]{10}", summary["org_id"]) and len(summary["accounts"]) == 2
    raw = Path(summary["raw"])
    for account in summary["accounts"]:
        assert list(raw.glob(f"AWSLogs/{summary['org_id']}/{account}/CloudTrail/*/2025/03/0*/*.json.gz"))
    assert main(["sample", "--out", str(tmp_path / "x"), "--start", "2025-13-01"]) == 2


def test_real_fixture_files_load_with_the_same_reader(real_cloudtrail_dir, reader):
    files = sorted(p for p in real_cloudtrail_dir.rglob("*.json.gz")  # delivery files only:
                   if "public" not in p.relative_to(real_cloudtrail_dir).parts)  # public/ holds record arrays
    assert len(files) >= 3
    for path in files:
        assert reader(path)
        if "AWSLogs" in path.as_posix():
            # the public sample's org id is shortened ("o-1234abcde"); real ids have 10-32 chars
            assert LOG_KEY.search(path.as_posix().replace("o-1234abcde", "o-1234abcdef")), path


def test_gzip_headers_carry_no_timestamp(sample):
    path = next(Path(sample["raw"]).glob("AWSLogs/**/*.json.gz"))
    assert path.read_bytes()[4:8] == b"\x00\x00\x00\x00"   # MTIME field
    assert gzip.decompress(path.read_bytes())
