"""DuckDB engine: views named like the Athena tables, empty typed views for missing tables,
an S3 lake through moto's server, and the build/query verbs end to end."""

from __future__ import annotations

import json

import boto3
import pyarrow.parquet as pq
import pytest
from engine_data import DAYS, write_days

from toolkit.cli import main
from toolkit.config import Settings
from toolkit.engines import connect, tables
from toolkit.lake import Lake
from toolkit.sql.files import sql_dir
from toolkit.sql.models import model_names
from toolkit.sql.queries import query_names


def test_every_table_is_a_view_even_before_it_has_data(tmp_path):
    engine = connect(Settings(lake=str(tmp_path / "empty")))
    for table in tables.lake_tables():
        frame = engine.query(f"select * from {table}")  # noqa: S608
        assert frame.height == 0
        assert frame.columns == [*tables.ddl_schema(table).names, "dt"], table
    # Athena-dialect functions run on DuckDB through sqlglot
    assert engine.query("select count(*) as n, approx_distinct(event_name) as d "
                        "from events").row(0) == (0, 0)


def test_views_read_hive_partitions_with_dt_as_text(days_lake):
    engine = connect(Settings(lake=days_lake))
    frame = engine.query("select dt, count(*) as n from events group by dt order by dt")
    assert frame.to_dicts() == [{"dt": d, "n": 10 * (i + 1)} for i, d in enumerate(DAYS)]
    # timestamps are UTC, like Athena
    assert engine.query("select hour(min(event_time)) as h from events where dt = :d",
                        {"d": DAYS[0]}).item() == 10


def test_unknown_table_is_a_clear_error(days_lake):
    import duckdb

    engine = connect(Settings(lake=days_lake))
    with pytest.raises(duckdb.CatalogException, match="nope"):
        engine.query("select * from nope")


def test_missing_parameter_is_a_clear_error(days_lake):
    engine = connect(Settings(lake=days_lake))
    with pytest.raises(ValueError, match="missing value for parameter.*day"):
        engine.query("select * from events where dt = :day")


def test_s3_lake_through_moto(moto_reset, tmp_path):
    endpoint = moto_reset
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="duck-lake")
    lake_url = "s3://duck-lake/lake"
    write_days(lake_url, endpoint)
    engine = connect(Settings(lake=lake_url, endpoint_url=endpoint))
    assert engine.query("select count(*) from events where dt = :d", {"d": DAYS[2]}).item() == 30
    url = engine.run_model("cur_principal_activity_daily", DAYS[2])
    assert url == f"{lake_url}/curated/cur_principal_activity_daily/dt={DAYS[2]}"
    assert engine.query("select calls from cur_principal_activity_daily where dt = :d",
                        {"d": DAYS[2]}).item() == 30
    assert len(Lake.at(lake_url, endpoint).files("curated/cur_principal_activity_daily")) == 1


def test_cli_build_then_query(days_lake, capsys):
    assert main(["build", "--lake", days_lake, "--date", DAYS[0], "--until", DAYS[1]]) == 0
    out = capsys.readouterr().out
    for model in model_names():
        assert f"{DAYS[0]}  {model}" in out and f"{DAYS[1]}  {model}" in out
        assert Lake.at(days_lake).exists(f"{days_lake}/curated/{model}/dt={DAYS[1]}")
    assert "FAILED" not in out
    assert main(["query", "--lake", days_lake, "--name", "top_talkers", "-p", f"start={DAYS[0]}",
                 "-p", f"end={DAYS[1]}", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["principal"] == "arn:aws:iam::123456789012:user/alice" and row["calls"] == 30


def test_cli_query_errors_are_one_line(days_lake, capsys):
    code = main(["query", "--lake", days_lake, "--name", "events_for_ip", "-p", "ip=not-an-ip",
                 "-p", f"start={DAYS[0]}", "-p", f"end={DAYS[0]}"])
    assert code == 2 and "parameter ip (ip)" in capsys.readouterr().err
    assert main(["query", "--lake", days_lake, "--sql", "drop table events"]) == 2
    assert main(["query", "--lake", days_lake, "--name", "nope"]) == 2


def test_cli_query_list_and_csv(days_lake, capsys):
    assert main(["query", "--list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in query_names())
    assert main(["query", "--lake", days_lake, "--sql",
                 "select event_id, resources from events where dt = :d order by event_id limit 2",
                 "-p", f"d={DAYS[0]}", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "event_id,resources" and len(lines) == 3


def test_build_reports_failed_checks_with_exit_1(days_lake, tmp_path, monkeypatch, capsys):
    """Point the SQL folder at a copy whose contract cannot hold: build writes, then fails."""
    import shutil

    sql = tmp_path / "sql"
    shutil.copytree(sql_dir(), sql)
    contract = sql / "models" / "cur_logging_volume_daily.yml"
    contract.write_text(contract.read_text().replace("events >= 1 and", "events > 1000 and"))
    monkeypatch.setenv("TRAILWATCH_SQL_DIR", str(sql))
    code = main(["build", "--lake", days_lake, "--date", DAYS[2], "--models",
                 "cur_logging_volume_daily"])
    assert code == 1 and "FAILED expression(events > 1000" in capsys.readouterr().out
    (path,) = Lake.at(days_lake).files("curated/cur_logging_volume_daily", DAYS[2])
    assert pq.read_table(path).num_rows == 1


def test_events_from_raw_writes_the_events_table(tmp_path, real_cloudtrail_dir):
    """The Athena-ingest model runs through the same engine API and lands in `events`."""
    from toolkit.cloudtrail import ingest_day
    from toolkit.engines import check_model

    raw = str(real_cloudtrail_dir / "cloud-snitch")
    python_lake, sql_lake = str(tmp_path / "py"), str(tmp_path / "sql")
    ingest_day(raw, python_lake, "2025-03-06", threads=1)
    engine = connect(Settings(lake=sql_lake, raw=raw))
    url = engine.run_model("events_from_raw", "2025-03-06")
    assert url == f"{sql_lake}/cloudtrail/events/dt=2025-03-06"
    assert all(r.passed for r in check_model(engine, "events_from_raw", "2025-03-06"))
    expected = connect(Settings(lake=python_lake)).query(
        "select event_id from events order by event_id")
    assert engine.query("select event_id from events order by event_id").equals(expected)


def test_cli_athena_dry_run_shows_execution_parameters(days_lake, monkeypatch, capsys):
    """A dry run on Athena renders the ?-SQL and the positional values; it calls no AWS API."""
    monkeypatch.setenv("TRAILWATCH_ATHENA_OUTPUT", "s3://nowhere/results/")
    assert main(["query", "--lake", days_lake, "--engine", "athena", "--name", "events_for_ip",
                 "-p", "ip=203.0.113.10", "-p", f"start={DAYS[0]}", "-p", f"end={DAYS[1]}",
                 "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "-- engine: athena" in out and "where dt between ? and ?" in out.lower()
    assert f"--   ?1 = '{DAYS[0]}'  (:start)" in out and "--   ?3 = '203.0.113.10'  (:ip)" in out
    assert "estimated scan:" in out
