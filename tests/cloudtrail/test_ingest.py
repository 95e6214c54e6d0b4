"""ingest_day end to end on local paths: counts, routing, read-once, dedupe, quarantine, export."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.cloudtrail.conftest import delivered_texts, event, write_delivery
from toolkit.cloudtrail import check_manifest, export_records, ingest_day
from toolkit.cloudtrail.manifest import ManifestError
from toolkit.cloudtrail.schema import EVENTS_SCHEMA
from toolkit.lake import Lake


def read_events(lake, day):
    files = Lake.at(str(lake)).files("events", day)
    return pa.concat_tables([pq.read_table(f).cast(EVENTS_SCHEMA) for f in files]) if files else None


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
    # each record goes to its own day: a2 to 03-05, b1 to 03-07 (read once, never again)
    assert {d: v["added"] for d, v in m["days_written"].items()} == \
        {"2025-03-05": 1, "2025-03-06": 23, "2025-03-07": 1}
    assert m["records_written"] == 25 and m["records_other_days"] == 0
    assert m["duplicates_dropped"] == 1 and m["records_quarantined"] == 2
    assert m["insight_records_written"] == 1
    # f1..f3 are not named as AWS names log files: ingested, but flagged
    assert m["files_not_in_digest"] == 3
    assert {x["source_file"].rsplit("/", 1)[-1] for x in m["files_not_in_digest_list"]} == \
        {"f1.json.gz", "f2.json.gz", "f3.json.gz"}
    check_manifest(m)
    assert json.loads((lake / "cloudtrail/_runs/dt=2025-03-06.json").read_text())["records_in"] == m["records_in"]

    table = read_events(lake, "2025-03-06")
    # types and names exactly; DuckDB marks columns without nulls as required, which readers accept
    for f in Lake.at(str(lake)).files("events", "2025-03-06"):
        schema = pq.read_schema(f)
        assert [(x.name, x.type) for x in schema] == [(x.name, x.type) for x in EVENTS_SCHEMA]
    ids = table["event_id"].to_pylist()
    assert len(ids) == len(set(ids)) == 23
    rows = {r["event_id"]: r for r in table.to_pylist()}
    assert rows["a1"]["source_file"].endswith("eu-west-1/2025/03/07/f2.json.gz")  # smallest key wins
    assert rows["a1"]["source_listed"] is False and rows["c1"]["source_listed"] is False
    real = [r for r in rows.values() if r["source_file"].endswith("QF6qcgyiaVnSueXa.json.gz")]
    assert real and all(r["source_listed"] is None for r in real)  # no digest delivered: unknown

    qdir = lake / "cloudtrail/_quarantine/dt=2025-03-06"
    lines = [json.loads(x) for x in (qdir / "quarantine.ndjson").read_text().splitlines()]
    assert {x["kind"] for x in lines} == {"file", "record"}
    assert sorted(x["reason"] for x in lines if x["kind"] == "record") == \
        ["record has no eventID string", "record has no valid eventTime"]
    kept = qdir / "files" / next(x["source_file"] for x in lines if x["source_file"].endswith("corrupt.json.gz"))
    assert kept.read_bytes() == b"\x1f\x8b\x08\x00garbage"  # the bad raw bytes are kept


def test_rerun_reads_nothing_again_and_export_is_byte_identical(messy_raw, tmp_path):
    lake = tmp_path / "lake"
    first = ingest_day(str(messy_raw), str(lake), "2025-03-06")
    before = read_events(lake, "2025-03-06")
    second = ingest_day(str(messy_raw), str(lake), "2025-03-06")
    assert read_events(lake, "2025-03-06").equals(before)
    assert second["files_already_read"] == 9 and second["records_in"] == 0
    assert second["files_read"] == 1  # the Insights file, re-read every run (tiny)
    check_manifest(second)
    exported = {json.loads(t)["eventID"]: t.encode() for t in export_records(str(lake), "2025-03-06", "2025-03-06")}
    delivered = [t for p in sorted(messy_raw.rglob("*ZgdYr0lP8M9fWEH8.json.gz")) + sorted(messy_raw.rglob("*QF6q*.json.gz"))
                 for t in delivered_texts(p.read_bytes())]
    assert len(delivered) == 21 and all(exported[json.loads(t)["eventID"]] == t for t in delivered)
    assert first["snapshot_id"] == Lake.at(str(lake)).snapshot_id("events")  # the commit holding the day
    only = list(export_records(str(lake), "2025-03-06", "2025-03-06", ["event_id=a1", "event_id=c1"]))
    assert sorted(json.loads(r)["eventID"] for r in only) == ["a1", "c1"]
    assert list(export_records(str(lake), "2025-03-06", "2025-03-06", ["event_id=' OR 1=1 --"])) == []


def test_late_delivery_merges_into_its_day_and_rebuild_gives_the_same_rows(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write_delivery(raw, [event("d1", "2025-03-06T10:00:00Z"), event("d2", "2025-03-06T23:59:00Z")],
                   name="111122223333_CloudTrail_us-east-1_20250306T1005Z_aaaaaaaaaaaaaaaa.json.gz")
    first = ingest_day(str(raw), str(lake), "2025-03-06")
    assert first["days_written"]["2025-03-06"]["added"] == 2
    # delivered after the day's run: a late record of 03-06, a re-delivered d2 and a 03-07 event
    write_delivery(raw, [event("d2", "2025-03-06T23:59:00Z"), event("d3", "2025-03-06T23:59:59Z"),
                         event("e1", "2025-03-07T00:00:10Z")], folder="2025/03/07",
                   name="111122223333_CloudTrail_us-east-1_20250307T0005Z_bbbbbbbbbbbbbbbb.json.gz")
    second = ingest_day(str(raw), str(lake), "2025-03-07")
    assert second["files_already_read"] == 1 and second["files_read"] == 1 and second["records_in"] == 3
    assert second["days_written"]["2025-03-06"] == {"new": 2, "rows_before": 2, "rows": 3, "added": 1,
                                                    "duplicates": 1}
    assert second["records_written"] == 2 and second["duplicates_dropped"] == 1
    check_manifest(second)
    merged = read_events(lake, "2025-03-06")
    assert sorted(merged["event_id"].to_pylist()) == ["d1", "d2", "d3"]
    rebuilt = ingest_day(str(raw), str(lake), "2025-03-06", rebuild=True)
    check_manifest(rebuilt)
    assert rebuilt["files_read"] == 2 and rebuilt["days_written"]["2025-03-06"]["rows"] == 3
    assert sorted(read_events(lake, "2025-03-06")["event_id"].to_pylist()) == ["d1", "d2", "d3"]
    assert read_events(lake, "2025-03-07")["event_id"].to_pylist() == ["e1"]


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


def test_pretty_printed_delivery_exports_byte_for_byte(tmp_path, real_cloudtrail_dir):
    raw = tmp_path / "raw"
    src = next((real_cloudtrail_dir / "trailscraper").glob("*.json.gz"))
    write_delivery(raw, [], org="o-abc123", account="111111111111", region="eu-central-1",
                   folder="2017/12/11", raw_bytes=src.read_bytes(), name=src.name)
    m = ingest_day(str(raw), str(tmp_path / "lake"), "2017-12-11")
    assert m["records_written"] == 2
    texts = delivered_texts(src.read_bytes())  # indented JSON: each record's own bytes
    assert b"\n" in texts[0]
    exported = [t.encode() for t in export_records(str(tmp_path / "lake"), "2017-12-11", "2017-12-11")]
    assert sorted(exported) == sorted(texts)


def test_partition_of_an_older_version_asks_for_a_rebuild(tmp_path):
    import pyarrow as pa

    from toolkit.errors import UsageError

    raw, lake = tmp_path / "raw", tmp_path / "lake"
    Lake.at(str(lake)).write_parquet("events", "2025-03-06", pa.table({"event_id": ["x"], "extra": pa.array([None], pa.string())}))
    write_delivery(raw, [event("n1", "2025-03-06T10:00:00Z")],
                   name="111122223333_CloudTrail_us-east-1_20250306T1005Z_aaaaaaaaaaaaaaaa.json.gz")
    with pytest.raises(UsageError, match="--rebuild"):
        ingest_day(str(raw), str(lake), "2025-03-06")
    m = ingest_day(str(raw), str(lake), "2025-03-06", rebuild=True)
    assert m["days_written"]["2025-03-06"]["rows"] == 1


def test_redelivered_file_is_counted_as_duplicates_without_flattening(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    first = write_delivery(raw, [event("r1", "2025-03-06T10:00:00Z"), event("r2", "2025-03-06T10:01:00Z")],
                           name="111122223333_CloudTrail_us-east-1_20250306T1005Z_aaaaaaaaaaaaaaaa.json.gz")
    again = first.with_name("111122223333_CloudTrail_us-east-1_20250306T1020Z_bbbbbbbbbbbbbbbb.json.gz")
    again.write_bytes(first.read_bytes())  # CloudTrail delivers at least once: same bytes, new name
    m = ingest_day(str(raw), str(lake), "2025-03-06")
    check_manifest(m)
    assert (m["records_in"], m["records_written"], m["duplicates_dropped"]) == (4, 2, 2)
    assert m["duplicate_files"] in (0, 1)  # 1 unless the re-delivery finished reading first
    assert {r["source_file"] for r in read_events(lake, "2025-03-06").to_pylist()} == \
        {first.relative_to(raw).as_posix()}


def test_manifest_records_which_days_each_file_holds(messy_raw, tmp_path):
    m = ingest_day(str(messy_raw), str(tmp_path / "lake"), "2025-03-06")
    days = {k.rsplit("/", 1)[-1]: v for k, v in m["file_days"].items()}
    assert days["f1.json.gz"] == {"2025-03-06": 1, "2025-03-05": 1}
    assert days["f2.json.gz"] == {"2025-03-06": 1, "2025-03-07": 1}
    assert days["corrupt.json.gz"] == {}  # quarantined: indexed, not read again
    index = json.loads((tmp_path / "lake/cloudtrail/_runs/files/2025-03-06.json").read_text())
    assert index[next(k for k in index if k.endswith("f3.json.gz"))]["days"] == {"2025-03-06": 1}


def test_batches_placed_by_their_statistics_equal_batches_split_by_day(messy_raw, tmp_path):
    """One batch per file stretch (most hold one day: moved as written) gives the same rows,
    counts and file index as one batch for the run (it spans days: split by the worker)."""
    runs = {size: ingest_day(str(messy_raw), str(tmp_path / f"lake-{size}"), "2025-03-06", batch_bytes=size)
            for size in (1, 64 * 1024**2)}
    small, large = runs.values()
    for m in runs.values():
        check_manifest(m)
    counted = ("records_in", "records_written", "duplicates_dropped", "records_quarantined")
    assert [small[k] for k in counted] == [large[k] for k in counted]
    assert small["days_written"] == large["days_written"] and small["file_days"] == large["file_days"]
    assert len(large["days_written"]) > 1  # the one large batch did span days
    for day in large["days_written"]:
        rows = [read_events(tmp_path / f"lake-{size}", day).sort_by([("source_file", "ascending"),
                                                                     ("record_index", "ascending")])
                for size in runs]
        assert rows[0].equals(rows[1])
