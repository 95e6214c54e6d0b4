"""Hostile raw trees: nothing is lost silently, counts add up, reasons are exact.

Each case checks the manifest counts and quarantine reasons, and compares what landed with an
independent reader of the raw files (``delivered_texts``: plain Python, byte for byte).
"""

from __future__ import annotations

import gzip
import json
import os

import pytest

from tests.cloudtrail.conftest import delivered_texts, event, write_delivery
from toolkit.cli import main
from toolkit.cloudtrail import check_manifest, export_records, ingest_day, split
from toolkit.cloudtrail import ingest as ingest_mod
from toolkit.cloudtrail.export import write_export

DAY = "2025-03-06"
NAME = "111122223333_CloudTrail_us-east-1_20250306T{hhmm}Z_{tail}.json.gz"


def name(hhmm: str, tail: str) -> str:
    return NAME.format(hhmm=hhmm, tail=tail)


def landed(lake) -> dict[str, bytes]:
    return {json.loads(t)["eventID"]: t.encode() for t in export_records(str(lake), "2025-03-01", "2025-03-10")}


def events_in(paths) -> dict[str, bytes]:
    """eventID -> delivered bytes of every record that is an event, by an independent reader."""
    found = {}
    for p in sorted(paths, key=lambda p: str(p)):
        for text in delivered_texts(p.read_bytes()):
            try:
                rec = json.loads(text)
            except ValueError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("eventID"), str) and rec.get("eventTime"):
                found.setdefault(rec["eventID"], text)
    return found


def recs(prefix: str, n: int, hour: int = 12) -> list[dict]:
    return [event(f"{prefix}{i}", f"{DAY}T{hour:02d}:{i % 60:02d}:00Z") for i in range(n)]


def test_pattern_characters_in_keys_are_read_literally(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    good = []
    for i, ch in enumerate("*?[]{}"):
        good.append(write_delivery(raw, recs(f"p{i}-", 3), name=name(f"12{i:02d}", f"x{ch}" + "a" * 14)))
    planted = write_delivery(raw, [], name=name("1159", "*" * 16), raw_bytes=b"")  # an empty "glob"
    good.append(write_delivery(raw, recs("n-", 4), name=name("1210", "b" * 16)))
    m = ingest_day(str(raw), str(lake), DAY)
    check_manifest(m)
    assert m["files_read"] == 7 and m["files_quarantined"] == 1
    assert m["quarantined_files"][0]["source_file"].endswith(planted.name)
    assert m["records_in"] == m["records_written"] == 22
    assert landed(lake) == events_in(good)


def test_scalar_elements_quarantine_only_themselves(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    body = json.dumps({"Records": [event("s1", f"{DAY}T01:00:00Z"), "a string", 5, None,
                                   event("s2", f"{DAY}T01:00:01Z")]}).encode()
    path = write_delivery(raw, [], name=name("0105", "c" * 16), raw_bytes=gzip.compress(body))
    m = ingest_day(str(raw), str(lake), DAY)
    check_manifest(m)
    assert (m["records_in"], m["records_written"], m["records_quarantined"]) == (5, 2, 3)
    assert m["files_quarantined"] == 0
    assert landed(lake) == events_in([path])
    lines = (lake / f"cloudtrail/_quarantine/dt={DAY}/quarantine.ndjson").read_text().splitlines()
    bad = sorted((json.loads(x)["record_index"], json.loads(x)["reason"]) for x in lines)
    assert bad == [(1, "record is not a JSON object"), (2, "record is not a JSON object"),
                   (3, "record is not a JSON object")]


def test_unparseable_records_are_bisected_out(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    good = [json.dumps(r).encode() for r in recs("g", 40)]
    broken = b'{"eventID":"bad1","eventTime":"2025-03-06T02:00:00Z","x":tru}'
    not_utf8 = b'{"eventID":"bad2","eventTime":"2025-03-06T02:00:00Z","x":"\xff\xfe"}'
    body = b'{"Records":[' + b",".join(good[:20] + [broken] + good[20:] + [not_utf8]) + b"]}"
    write_delivery(raw, [], name=name("0205", "d" * 16), raw_bytes=gzip.compress(body))
    m = ingest_day(str(raw), str(lake), DAY)
    check_manifest(m)
    assert (m["records_in"], m["records_written"], m["records_quarantined"]) == (42, 40, 2)
    assert sorted(landed(lake)) == sorted(f"g{i}" for i in range(40))
    lines = [json.loads(x) for x in (lake / f"cloudtrail/_quarantine/dt={DAY}/quarantine.ndjson").read_text().splitlines()]
    assert sorted(x["record_index"] for x in lines) == [20, 41]
    assert all(x["reason"].startswith("record cannot be parsed") for x in lines)


def test_out_of_memory_fails_the_run_and_quarantines_no_good_record(tmp_path, monkeypatch):
    """Memory pressure is the host's problem, not the record's: bisecting down to one record that
    still cannot be loaded fails the run (nothing written, nothing quarantined) instead of
    quarantining good evidence; a rerun with memory free ingests everything."""
    import duckdb

    from toolkit.errors import TrailwatchError

    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write_delivery(raw, recs("m", 6), name=name("0405", "h" * 16))

    def no_memory(*args, **kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")

    with monkeypatch.context() as patch:
        patch.setattr(ingest_mod, "_load", no_memory)
        with pytest.raises(TrailwatchError, match="short of memory"):
            ingest_day(str(raw), str(lake), DAY)
    assert not (lake / f"cloudtrail/_quarantine/dt={DAY}").exists()
    m = ingest_day(str(raw), str(lake), DAY)
    assert (m["records_written"], m["records_quarantined"]) == (6, 0)


def test_vanished_file_is_quarantined_and_the_run_completes(tmp_path, monkeypatch):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    keep = write_delivery(raw, recs("k", 3), name=name("0305", "e" * 16))
    gone = write_delivery(raw, recs("v", 3), name=name("0310", "f" * 16))
    listed = ingest_mod.list_folders

    def list_then_delete(*args):
        files = listed(*args)
        gone.unlink()  # deleted between listing and reading
        return files

    monkeypatch.setattr(ingest_mod, "list_folders", list_then_delete)
    m = ingest_day(str(raw), str(lake), DAY)
    check_manifest(m)
    assert m["files_quarantined"] == 1 and m["files_read"] == 1 and m["records_written"] == 3
    assert m["quarantined_files"] == [{"kind": "file", "source_file": gone.relative_to(raw).as_posix(),
                                       "reason": "vanished between listing and reading"}]
    assert landed(lake) == events_in([keep])


def test_symbolic_links_are_followed_and_broken_ones_quarantined(tmp_path):
    raw, lake, elsewhere = tmp_path / "raw", tmp_path / "lake", tmp_path / "elsewhere"
    real = write_delivery(elsewhere, recs("l", 2), name=name("0405", "g" * 16))
    folder = raw / "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/06"
    folder.mkdir(parents=True)
    os.symlink(real, folder / name("0405", "g" * 16))
    other = write_delivery(elsewhere, recs("r", 2), region="eu-west-1", name="x.json.gz")
    os.symlink(other.parent.parent.parent.parent, raw / "AWSLogs/111122223333/CloudTrail/eu-west-1")
    os.symlink(tmp_path / "nowhere.json.gz", folder / name("0410", "h" * 16))
    os.symlink(folder / name("0415", "i" * 16), folder / name("0415", "i" * 16))  # a loop
    m = ingest_day(str(raw), str(lake), DAY)
    check_manifest(m)
    assert m["files_seen"] == 4 and m["files_read"] == 2 and m["files_quarantined"] == 2
    assert all("symbolic link" in q["reason"] for q in m["quarantined_files"])
    assert landed(lake) == events_in([real, other])


def test_large_file_streams_and_truncation_keeps_what_came_before(tmp_path, monkeypatch):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    big = [event(f"b{i}", f"{DAY}T05:{i % 60:02d}:00Z", requestParameters={"blob": "x" * 100_000})
           for i in range(300)]  # 30 MB of JSON, 0.1 MB gzip: within the limits, it must land
    path = write_delivery(raw, big, name=name("0505", "j" * 16))
    monkeypatch.setattr(split, "CHUNK_BYTES", 1024 * 1024)  # stream it in 1 MB pieces
    m = ingest_day(str(raw), str(lake), DAY, batch_bytes=4 * 1024**2)
    check_manifest(m)
    assert m["records_written"] == 300 and m["files_quarantined"] == 0 and m["bytes_json"] > 30e6
    assert landed(lake) == events_in([path])
    cut = gzip.compress(gzip.decompress(path.read_bytes())[:15_000_000])
    broken = write_delivery(raw, [], name=name("0510", "k" * 16), raw_bytes=cut)
    m2 = ingest_day(str(raw), str(lake), DAY)
    check_manifest(m2)
    (q,) = m2["quarantined_files"]
    assert q["source_file"].endswith(broken.name) and "after" in q["reason"] and "kept" in q["reason"]
    assert m2["records_in"] > 100 and m2["duplicates_dropped"] == m2["records_in"]  # same ids as before


def test_oversized_file_is_refused_with_its_reason(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    write_delivery(raw, recs("o", 5), name=name("0605", "l" * 16))
    m = ingest_day(str(raw), str(lake), DAY, max_file_bytes=100)
    check_manifest(m)
    assert m["files_quarantined"] == 1 and m["quarantined_files"][0]["reason"].startswith("oversized")


def test_deep_nesting_exports_byte_for_byte(tmp_path):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    deep = "{\"a\":" * 1000 + "1" + "}" * 1000
    text = ('{"eventVersion":"1.09","eventID":"deep","eventTime":"2025-03-06T07:00:00Z",'
            '"requestParameters":' + deep + "}").encode()
    write_delivery(raw, [], name=name("0705", "m" * 16), raw_bytes=gzip.compress(b'{"Records":[' + text + b"]}"))
    m = ingest_day(str(raw), str(lake), DAY)
    assert m["records_written"] == 1
    out = tmp_path / "out.json"
    assert write_export(export_records(str(lake), DAY, DAY), str(out), "cloudtrail") == 1
    assert out.read_bytes() == b'{"Records":[' + text + b"]}\n"


def test_export_never_leaves_a_partial_file(tmp_path):
    def failing():
        yield '{"eventID":"x"}'
        raise RuntimeError("disk full")

    out = tmp_path / "out.json"
    with pytest.raises(RuntimeError):
        write_export(failing(), str(out), "cloudtrail")
    assert list(tmp_path.iterdir()) == []


def test_scratch_of_a_killed_run_is_removed(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    stale = tmp_path / "trailwatch-ingest-999999999-abc"
    (stale / "spill").mkdir(parents=True)
    mine = tmp_path / f"trailwatch-ingest-{os.getpid()}-live"
    mine.mkdir()
    recent_old_style = tmp_path / "trailwatch-ingest-axsubk2w"  # an older version's, maybe running
    recent_old_style.mkdir()
    assert ingest_mod.clean_stale_scratch() == [stale.name]
    assert not stale.exists() and mine.exists() and recent_old_style.exists()


def test_cli_exit_code_and_warnings_on_a_hostile_tree(tmp_path, capsys):
    raw = tmp_path / "raw"
    write_delivery(raw, recs("c", 2), name=name("0805", "n" * 16))
    write_delivery(raw, recs("u", 1), name="INJECT.json.gz")
    code = main(["ingest", "--raw", str(raw), "--lake", str(tmp_path / "lake"), "--date", DAY])
    out, err = capsys.readouterr()
    assert code == 0 and "not in a digest 1" in out and "INJECT.json.gz" in out and "problem(s)" in err
