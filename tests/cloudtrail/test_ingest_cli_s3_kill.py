"""Through the CLI, on S3 (moto's server over HTTP), and under a real SIGKILL mid-write."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3

from toolkit.cli import main
from toolkit.cloudtrail import export_records, ingest_day
from toolkit.lake import Lake


def test_cli_ingest_warns_but_succeeds_on_bad_files(messy_raw, tmp_path, capsys):
    code = main(["ingest", "--raw", str(messy_raw), "--lake", str(tmp_path / "lake"), "--date", "2025-03-06"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "25 new events written (days: 2025-03-05 +1, 2025-03-06 +23, 2025-03-07 +1)" in out
    assert "quarantined 4" in out and "zero-byte file" in out
    assert "problem(s)" in err
    assert "\r" not in err  # no progress bar when stderr is not a terminal


def test_cli_ingest_fails_on_missing_raw(tmp_path, capsys):
    code = main(["ingest", "--raw", str(tmp_path / "missing"), "--lake", str(tmp_path / "lake"),
                 "--date", "2025-03-06"])
    assert code == 2
    assert "AWSLogs" in capsys.readouterr().err


def test_cli_export_formats(messy_raw, tmp_path, capsys):
    lake = str(tmp_path / "lake")
    assert main(["ingest", "--raw", str(messy_raw), "--lake", lake, "--date", "2025-03-06"]) == 0
    ct, nd = tmp_path / "out.json", tmp_path / "out.ndjson"
    assert main(["export", "--lake", lake, "--start", "2025-03-06", "--end", "2025-03-06",
                 "--filter", "event_name=Decrypt", "--format", "cloudtrail", "--out", str(ct)]) == 0
    assert main(["export", "--lake", lake, "--start", "2025-03-06", "--end", "2025-03-06",
                 "--format", "ndjson", "--out", str(nd)]) == 0
    decrypts = json.loads(ct.read_text())["Records"]
    assert decrypts and all(r["eventName"] == "Decrypt" for r in decrypts)
    lines = nd.read_text().splitlines()
    assert len(lines) == 23 and all(json.loads(line)["eventID"] for line in lines)
    assert main(["export", "--lake", lake, "--start", "2025-03-06", "--end", "2025-03-06",
                 "--filter", "eventName;drop=x", "--out", str(nd)]) == 2


def test_ingest_from_s3_raw_to_s3_lake(moto_reset, real_cloudtrail_dir):
    s3 = boto3.client("s3", endpoint_url=moto_reset, region_name="us-east-1")
    s3.create_bucket(Bucket="raw")
    s3.create_bucket(Bucket="lake")
    base = real_cloudtrail_dir / "cloud-snitch"
    for path in base.rglob("*.json.gz"):
        s3.upload_file(str(path), "raw", "trail/" + path.relative_to(base).as_posix())
    m = ingest_day("s3://raw/trail", "s3://lake/tw", "2025-03-06", endpoint_url=moto_reset)
    assert m["files_read"] == 2 and m["records_written"] == 21
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="tw/")["Contents"]]
    assert any(k.startswith("tw/cloudtrail/events/dt=2025-03-06/") and k.endswith(".parquet") for k in keys)
    assert "tw/cloudtrail/_runs/dt=2025-03-06.json" in keys
    assert not any("_staging" in k for k in keys)
    exported = list(export_records(Lake.at("s3://lake/tw", moto_reset), "2025-03-06", "2025-03-06"))
    assert len(exported) == 21 and json.loads(exported[0])["eventID"]


KILLED_RUN = """
import sys, time, pathlib
from toolkit.lake import iceberg
marker = pathlib.Path(sys.argv[3])
def stalled_commit(stage, table, day):   # new files complete; the Iceberg commit has not begun
    if stage == "planned":
        marker.write_text("staged")
        time.sleep(60)
iceberg.HOOKS.append(stalled_commit)
from toolkit.cloudtrail import ingest_day
ingest_day(sys.argv[1], sys.argv[2], "2025-03-06")
"""


def test_sigkill_mid_write_leaves_previous_partition_readable(messy_raw, tmp_path):
    from tests.cloudtrail.conftest import event, write_delivery

    lake = tmp_path / "lake"
    ingest_day(str(messy_raw), str(lake), "2025-03-06")
    before = sorted(json.loads(r)["eventID"] for r in export_records(str(lake), "2025-03-06", "2025-03-06"))
    write_delivery(messy_raw, [event("late", "2025-03-06T05:00:00Z")], name="late.json.gz")
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(messy_raw), str(lake), str(marker)],
                            cwd=Path(__file__).resolve().parents[2], env=dict(os.environ))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "ingest ended before the swap"
        time.sleep(0.05)
    staged = [p for p in (lake / "cloudtrail/events/dt=2025-03-06").rglob("*.parquet")
              if str(p) not in Lake.at(str(lake)).files("events", "2025-03-06")]
    assert staged  # killed with a complete staged copy written aside
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert sorted(json.loads(r)["eventID"] for r in export_records(str(lake), "2025-03-06", "2025-03-06")) == before
    ingest_day(str(messy_raw), str(lake), "2025-03-06")  # the next run picks up the late file
    after = sorted(json.loads(r)["eventID"] for r in export_records(str(lake), "2025-03-06", "2025-03-06"))
    assert after == sorted([*before, "late"])


def test_cli_export_with_source(messy_raw, tmp_path):
    lake = str(tmp_path / "lake")
    assert main(["ingest", "--raw", str(messy_raw), "--lake", lake, "--date", "2025-03-06"]) == 0
    nd, ct = tmp_path / "src.ndjson", tmp_path / "src.json"
    common = ["export", "--lake", lake, "--start", "2025-03-06", "--end", "2025-03-06", "--with-source"]
    assert main([*common, "--format", "ndjson", "--filter", "event_id=c1", "--out", str(nd)]) == 0
    (line,) = [json.loads(x) for x in nd.read_text().splitlines()]
    assert line["record"]["eventID"] == "c1"
    assert line["source"]["source_file"].endswith("f3.json.gz") and line["source"]["record_index"] == 0
    assert len(line["source"]["file_sha256"]) == 64 and line["source"]["listed_in_digest"] is False
    assert main([*common, "--format", "cloudtrail", "--out", str(ct)]) == 0
    doc = json.loads(ct.read_text())
    assert len(doc["Records"]) == len(doc["Sources"]) == 23
