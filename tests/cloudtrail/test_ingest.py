"""ingest_day end to end on local paths: counts, dedupe, quarantine, idempotence, export."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from toolkit.cloudtrail import check_manifest, export_records, ingest_day
from toolkit.cloudtrail.manifest import ManifestError
from toolkit.cloudtrail.schema import EVENTS_SCHEMA
from toolkit.lake import Lake


def read_events(lake, day):
    files = Lake.at(str(lake)).files("events", day)
    return pa.concat_tables([pq.read_table(f) for f in files]) if files else None


def test_messy_day_counts_add_up_and_bad_input_is_quarantined(messy_raw, tmp_path):
    lake = tmp_path / "lake"
    m = ingest_day(str(messy_raw), str(lake), "2025-03-06")
    assert m["files_seen"] == 11 and m["digest_files_skipped"] == 1 and m["insight_files"] == 1
    assert m["files_quarantined"] == 4  # zero-byte, corrupt gzip, truncated JSON, no Records
    reasons = {q["source_file"].rsplit("/", 1)[-1]: q["reason"] for q in m["quarantined_files"]}
    assert reasons["zero.json.gz"] == "zero-byte file"
    assert reasons["corrupt.json.gz"].startswith("corrupt gzip")
    assert reasons["truncated.json.gz"].startswith("invalid or truncated JSON")
    assert reasons["norecords.json.gz"] == "JSON without a Records array"
    assert m["records_in"] == 21 + 2 + 2 + 3
    assert m["records_written"] == 21 + 2  # real + a1 + c1
    assert m["duplicates_dropped"] == 1 and m["records_quarantined"] == 2
    assert m["records_other_days"] == 2  # a2 (day before), b1 (day after)
    assert m["insight_records_written"] == 1
    check_manifest(m)
    assert json.loads((lake / "cloudtrail/_runs/dt=2025-03-06.json").read_text())["records_in"] == m["records_in"]

    table = read_events(lake, "2025-03-06")
    # types and names exactly; DuckDB marks columns without nulls as required, which readers accept
    assert [(f.name, f.type) for f in table.schema] == [(f.name, f.type) for f in EVENTS_SCHEMA]
    ids = table["event_id"].to_pylist()
    assert len(ids) == len(set(ids)) == 23
    times = table["event_time"].to_pylist()
    assert times == sorted(times)
    a1 = dict(zip(ids, table["source_file"].to_pylist(), strict=True))["a1"]
    assert a1.endswith("eu-west-1/2025/03/07/f2.json.gz")  # the copy with the smallest key wins

    qdir = lake / "cloudtrail/_quarantine/dt=2025-03-06"
    lines = [json.loads(x) for x in (qdir / "quarantine.ndjson").read_text().splitlines()]
    assert {x["kind"] for x in lines} == {"file", "record"}
    assert any(x.get("reason") == "record has no eventID string" for x in lines)
    kept = qdir / "files" / next(x["source_file"] for x in lines if x["source_file"].endswith("corrupt.json.gz"))
    assert kept.read_bytes() == b"\x1f\x8b\x08\x00garbage"  # the bad raw bytes are kept


def test_rerun_is_idempotent_and_export_is_lossless(messy_raw, tmp_path, real_records):
    lake = tmp_path / "lake"
    first = ingest_day(str(messy_raw), str(lake), "2025-03-06")
    before = read_events(lake, "2025-03-06")
    second = ingest_day(str(messy_raw), str(lake), "2025-03-06")
    assert read_events(lake, "2025-03-06").equals(before)
    run_specific = ("seconds", "started_at", "snapshot_id")  # each run commits a new snapshot
    assert {k: v for k, v in first.items() if k not in run_specific} == \
           {k: v for k, v in second.items() if k not in run_specific}
    assert second["snapshot_id"] == Lake.at(str(lake)).snapshot_id("events") != first["snapshot_id"]
    exported = {r["eventID"]: r for r in export_records(str(lake), "2025-03-06", "2025-03-06")}
    real = [r for r in real_records if r["eventTime"].startswith("2025-03-06")]
    assert all(exported[r["eventID"]] == r for r in real)
    only = list(export_records(str(lake), "2025-03-06", "2025-03-06", ["event_id=a1", "event_id=c1"]))
    assert sorted(r["eventID"] for r in only) == ["a1", "c1"]
    assert list(export_records(str(lake), "2025-03-06", "2025-03-06", ["event_id=' OR 1=1 --"])) == []


def test_manifest_check_fails_on_a_tampered_manifest(messy_raw, tmp_path):
    m = ingest_day(str(messy_raw), str(tmp_path / "lake"), "2025-03-06")
    tampered = dict(m, records_written=m["records_written"] - 1)
    with pytest.raises(ManifestError, match="records_in"):
        check_manifest(tampered)
    with pytest.raises(ManifestError, match="files_seen"):
        check_manifest(dict(m, files_read=m["files_read"] + 1))


def test_missing_raw_location_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="AWSLogs"):
        ingest_day(str(tmp_path / "nope"), str(tmp_path / "lake"), "2025-03-06")


def test_organization_layout_and_trailscraper_v105(tmp_path, real_cloudtrail_dir):
    from tests.cloudtrail.conftest import write_delivery

    raw = tmp_path / "raw"
    src = next((real_cloudtrail_dir / "trailscraper").glob("*.json.gz"))
    records = json.loads(gzip.decompress(src.read_bytes()))["Records"]
    write_delivery(raw, records, org="o-abc123", account="111111111111", region="eu-central-1",
                   folder="2017/12/11", raw_bytes=src.read_bytes(), name=src.name)
    m = ingest_day(str(raw), str(tmp_path / "lake"), "2017-12-11")
    assert m["records_written"] == 2
    assert list(export_records(str(tmp_path / "lake"), "2017-12-11", "2017-12-11")) == \
        sorted(records, key=lambda r: r["eventTime"])
