"""Schema evolution, time travel, maintenance and migration of the Iceberg lake."""

from __future__ import annotations

import datetime as dt
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lake_helpers import DAY, day_events

from toolkit.cli import main
from toolkit.config import Settings
from toolkit.engines.duck import DuckDBEngine
from toolkit.errors import UsageError
from toolkit.lake import Lake, iceberg, snapshot_ids
from toolkit.lake.maintenance import maintain, migrate

COUNT = "select count(*) as n from events where dt = :day"


def test_a_new_column_later_needs_no_rewrite_of_old_days(tmp_path):
    lake = Lake.at(str(tmp_path / "lake"))
    lake.write_parquet("events", "2025-03-05", day_events("2025-03-05", 10))
    (old_file,) = lake.files("events", "2025-03-05")
    before = (os.stat(old_file).st_mtime_ns, open(old_file, "rb").read())
    newer = day_events(DAY, 7)  # CloudTrail added a field; the ingest promotes it to a column
    newer = newer.append_column("session_region", pa.array(["eu-west-1"] * 7))
    lake.write_parquet("events", DAY, newer)
    assert lake.files("events", "2025-03-05") == [old_file]
    assert (os.stat(old_file).st_mtime_ns, open(old_file, "rb").read()) == before
    table = iceberg.load(lake, "events")
    assert "session_region" in table.schema().column_names
    engine = DuckDBEngine(Settings(lake=lake.root))
    found = engine.query("select dt, count(*) as n, count(session_region) as regions from events "
                         "group by dt order by dt")
    assert found.rows() == [("2025-03-05", 10, 0), (DAY, 7, 7)]
    scanned = table.scan().to_arrow()
    assert scanned.num_rows == 17 and scanned["session_region"].null_count == 10


def test_query_as_of_a_snapshot_or_a_time(tmp_path, capsys):
    lake = Lake.at(str(tmp_path / "lake"))
    lake.write_parquet("events", DAY, day_events(DAY, 10))
    first = lake.snapshot_id("events")
    when = iceberg.load(lake, "events").current_snapshot().timestamp_ms
    lake.write_parquet("events", DAY, day_events(DAY, 25))
    assert snapshot_ids(lake, ["events", "findings"]) == {"events": lake.snapshot_id("events"),
                                                         "findings": None}
    args = ["query", "--lake", lake.root, "--sql", COUNT, "-p", f"day={DAY}", "--format", "csv"]
    assert main(args) == 0 and capsys.readouterr().out.splitlines() == ["n", "25"]
    assert main([*args, "--as-of", str(first)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["n", "10"] and f"events@{first}" in err
    moment = dt.datetime.fromtimestamp(when / 1000 + 0.0005, dt.UTC).isoformat()
    assert main([*args, "--as-of", moment]) == 0 and capsys.readouterr().out.splitlines() == ["n", "10"]
    assert main([*args, "--as-of", "2001-01-01T00:00:00Z"]) == 0  # before any commit: empty
    assert capsys.readouterr().out.splitlines() == ["n", "0"]
    assert main([*args, "--as-of", "12345"]) == 2
    assert "no table" in capsys.readouterr().err


def test_maintain_expires_snapshots_and_removes_orphans_only(tmp_path, capsys):
    lake = Lake.at(str(tmp_path / "lake"))
    for n in (10, 20, 30):
        lake.write_parquet("events", DAY, day_events(DAY, n))
    (current,) = lake.files("events", DAY)
    killed = os.path.join(lake.partition("events", DAY), "run-killed")  # a run that died pre-commit
    os.makedirs(killed)
    pq.write_table(day_events(DAY, 3), os.path.join(killed, "part-0.parquet"))
    assert len(iceberg.load(lake, "events").snapshots()) == 3
    # "now" is today: nothing is 7 days old yet, so nothing goes
    assert main(["lake", "maintain", "--lake", lake.root, "--older-than", "7d"]) == 0
    assert len(iceberg.load(lake, "events").snapshots()) == 3
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    result = maintain(lake, dt.timedelta(days=7), now=later)
    assert result["events"] == {"snapshots_expired": 2, "files_removed": result["events"]["files_removed"]}
    on_disk = [os.path.join(r, f) for r, _, fs in os.walk(lake.table("events")) for f in fs
               if f.endswith(".parquet")]
    assert on_disk == [current]  # replaced days and the killed run's file are gone
    assert sum(pq.read_metadata(f).num_rows for f in lake.files("events", DAY)) == 30
    engine = DuckDBEngine(Settings(lake=lake.root))
    assert engine.query(COUNT, {"day": DAY})["n"][0] == 30
    assert len(iceberg.load(lake, "events").snapshots()) == 1
    lake.write_parquet("events", DAY, day_events(DAY, 5))  # the table still takes commits
    assert engine.read_as_of(str(lake.snapshot_id("events")))["events"] == lake.snapshot_id("events")


def test_migrate_a_hive_lake_without_rewriting_it(tmp_path, capsys):
    root = tmp_path / "lake"
    for day, n in (("2025-03-05", 4), (DAY, 6)):
        folder = root / "cloudtrail" / "events" / f"dt={day}"
        folder.mkdir(parents=True)
        pq.write_table(day_events(day, n), folder / "part-0.parquet")
    model = root / "curated" / "cur_api_errors_daily" / f"dt={DAY}"
    model.mkdir(parents=True)
    pq.write_table(pa.table({"n": [1, 2]}), model / "part-0.parquet")
    assert main(["lake", "migrate", "--lake", str(root)]) == 0
    assert "migrated 3 file(s)" in capsys.readouterr().out
    lake = Lake.at(str(root))
    assert lake.files("events", DAY) == [str(root / "cloudtrail/events" / f"dt={DAY}" / "part-0.parquet")]
    assert lake.days("events") == [dt.date(2025, 3, 5), dt.date(2025, 3, 6)]
    assert lake.days("curated/cur_api_errors_daily") == [dt.date(2025, 3, 6)]
    engine = DuckDBEngine(Settings(lake=lake.root))
    assert engine.query("select count(*) as n from events")["n"][0] == 10
    assert main(["lake", "migrate", "--lake", str(root)]) == 0  # idempotent
    assert "nothing to migrate" in capsys.readouterr().out
    assert migrate(lake) == dict.fromkeys(migrate(lake), 0)
    assert engine.query("select count(*) as n from events")["n"][0] == 10


def test_reading_does_not_create_a_lake_and_catalog_choice_is_checked(tmp_path, monkeypatch):
    missing = tmp_path / "typo"
    assert Lake.at(str(missing)).files("events") == [] and Lake.at(str(missing)).days("events") == []
    assert not missing.exists()
    with pytest.raises(UsageError, match="SQLite catalog needs a local lake"):
        Lake.at("s3://bucket/lake", catalog="sqlite").write_parquet("events", DAY, day_events(DAY, 1))
    monkeypatch.setenv("TRAILWATCH_CATALOG", "hive")
    with pytest.raises(ValueError, match="TRAILWATCH_CATALOG"):
        Settings.from_env()


def test_every_lake_table_becomes_an_iceberg_table_athena_can_read(tmp_path):
    """Tables made from the DDL columns (one schema source) use only types Athena reads on
    Iceberg: no tinyint/smallint/char/fixed/time; timestamps as timestamptz ("Only Iceberg
    timestamp (without time zone) is supported for Athena Iceberg DDL statements like CREATE
    TABLE, but all timestamp types can be queried through Athena" —
    https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-supported-data-types.html,
    seen 2026-11-29)."""
    from pyiceberg.types import FixedType, TimestampType, TimestamptzType, TimeType

    from toolkit.engines import tables

    lake = Lake.at(str(tmp_path / "lake"))
    for name in tables.lake_tables():
        table = tables.ensure_iceberg_table(lake, name)
        columns = [f.name for f in table.schema().fields]
        assert columns == [*tables.ddl_schema(name).names, "dt"], name
        assert [f.name for f in table.spec().fields] == ["dt"]
        kinds = [t for f in table.schema().fields for t in _types(f.field_type)]
        assert not any(isinstance(t, (FixedType, TimeType, TimestampType)) for t in kinds), name
        assert str(table.location()).endswith(tables.table_url(lake, name).split("/lake/", 1)[1])
        ddl_timestamps = sum(str(t).startswith("timestamp") for t in tables.ddl_schema(name).types)
        assert sum(isinstance(t, TimestamptzType) for t in kinds) >= ddl_timestamps, name
    assert len(lake.files("events")) == 0 and lake.days("events") == []


def _types(kind):
    yield kind
    for child in getattr(kind, "fields", ()) or ():
        yield from _types(child.field_type)
    for attr in ("element_type", "key_type", "value_type"):
        if hasattr(kind, attr):
            yield from _types(getattr(kind, attr))
