"""Athena engine WIRING against moto's server over HTTP. moto executes no SQL: these tests
check what is sent (SQL with ?, execution parameters, workgroup, output location, polling,
UNLOAD staging, the cost guard) and that canned results come back as polars."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from engine_data import DAYS, write_days

from toolkit.config import Settings
from toolkit.engines import ScanLimitExceeded
from toolkit.engines.athena import AthenaEngine
from toolkit.sql.ddl import ddl_files
from toolkit.sql.models import load_model

LAKE = "s3://wiring-lake/lake"
OUTPUT = "s3://wiring-results/athena/"


@pytest.fixture
def athena(moto_reset, monkeypatch):
    endpoint = moto_reset
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # pyathena reads results through boto3 S3
    s3 = boto3.client("s3", endpoint_url=endpoint)
    for bucket in ("wiring-lake", "wiring-results"):
        s3.create_bucket(Bucket=bucket)
    write_days(LAKE, endpoint)
    settings = Settings(lake=LAKE, engine="athena", endpoint_url=endpoint, athena_output=OUTPUT,
                        athena_workgroup="primary", athena_database="trailwatch")
    engine = AthenaEngine(settings, poll_interval=0.01)
    client = boto3.client("athena", endpoint_url=endpoint)
    yield engine, client, endpoint
    engine.close()


def _executions(client) -> list[dict]:
    ids = client.list_query_executions()["QueryExecutionIds"]
    return [client.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]


def _canned(endpoint: str, header: list[str], rows: list[list[str]]) -> None:
    data = [{"Data": [{"VarCharValue": v} for v in header]}]
    data += [{"Data": [{"VarCharValue": v} for v in row]} for row in rows]
    info = [{"Name": h, "Label": h, "Type": "varchar", "Nullable": "UNKNOWN",
             "Precision": 0, "Scale": 0, "CaseSensitive": True} for h in header]
    body = json.dumps({"results": [{"rows": data, "column_info": info}]}).encode()
    req = urllib.request.Request(endpoint + "/moto-api/static/athena/query-results", data=body,
                                 method="POST", headers={"Content-Type": "application/json"})
    assert urllib.request.urlopen(req, timeout=5).status == 201


def test_query_wiring_sends_execution_parameters(athena):
    engine, client, endpoint = athena
    _canned(endpoint, ["principal", "calls"], [["arn:aws:iam::123456789012:user/alice", "3"]])
    attack = "x' OR '1'='1"
    frame = engine.query("select principal, calls from cur_principal_activity_daily "
                         "where dt = :day and principal = :who", {"day": DAYS[0], "who": attack})
    assert frame.to_dicts() == [{"principal": "arn:aws:iam::123456789012:user/alice", "calls": "3"}]
    sent = client.get_query_execution(QueryExecutionId=engine.last_query_id)["QueryExecution"]
    assert sent["Query"].count("?") == 2 and attack not in sent["Query"]
    assert sent["ExecutionParameters"] == [f"'{DAYS[0]}'", "'x'' OR ''1''=''1'"]
    assert sent["WorkGroup"] == "primary"
    assert sent["ResultConfiguration"]["OutputLocation"].startswith(OUTPUT)
    assert sent["QueryExecutionContext"]["Database"] == "trailwatch"
    assert sent["Status"]["State"] == "SUCCEEDED"  # reached by polling QUEUED -> RUNNING -> SUCCEEDED
    assert engine.last_scan_bytes == 0  # moto's DataScannedInBytes, reported after the query


def test_guard_wiring_refuses_before_sending(athena):
    engine, client, endpoint = athena
    _canned(endpoint, ["n"], [["60"]])
    sql = "select count(*) as n from events where dt between :a and :b"
    params = {"a": DAYS[0], "b": DAYS[2]}
    estimate = engine.estimate_scan_bytes(sql, params)
    assert estimate > 0  # file sizes listed from the S3 lake
    engine.settings = engine.settings.with_overrides(scan_limit_bytes=estimate - 1)
    with pytest.raises(ScanLimitExceeded):
        engine.query(sql, params)
    assert _executions(client) == []
    assert engine.query(sql, params, allow_scan=True).item() == "60"
    assert len(_executions(client)) == 1


def test_create_tables_wiring(athena):
    engine, client, _ = athena
    engine.create_tables()
    queries = [e["Query"] for e in _executions(client)]
    expected = [t for t in ddl_files() if t != "cloudtrail_raw"]
    assert any(q.startswith("create database if not exists trailwatch") for q in queries)
    # Lake tables are Iceberg tables in Glue (created through pyiceberg, where the DDL's columns
    # become the Iceberg schema); no Hive DDL may point at their locations any more.
    glue = boto3.client("glue", endpoint_url=engine.settings.endpoint_url)
    for table in expected:
        found = glue.get_table(DatabaseName="trailwatch", Name=table)["Table"]
        assert found["Parameters"]["table_type"] == "ICEBERG", table
        assert found["StorageDescriptor"]["Location"].startswith(f"{LAKE}/"), table
        assert not any(f"trailwatch.{table} (" in q for q in queries), table
    assert not any("{{" in q for q in queries)


def test_run_model_wiring_unloads_to_staging_then_swaps(athena):
    engine, client, _ = athena
    url = engine.run_model("cur_console_logins", DAYS[1])
    (sent,) = _executions(client)
    query = sent["Query"]
    assert query.startswith("unload (") and "with (format = 'PARQUET', compression = 'ZSTD')" in query
    assert f"to '{LAKE}/curated/cur_console_logins/dt={DAYS[1]}/run-" in query
    assert "cast(event_time as timestamp) as event_time" in query
    assert sent["ExecutionParameters"] == [f"'{DAYS[1]}'"]
    # moto wrote no rows: the partition holds one empty file with the contract schema
    import pyarrow.parquet as pq

    files = engine.lake.files("curated/cur_console_logins", DAYS[1])
    assert url.endswith(f"curated/cur_console_logins/dt={DAYS[1]}") and len(files) == 1
    with engine.lake.fs.open(files[0], "rb") as fh:
        table = pq.read_table(fh)
    assert table.num_rows == 0
    assert table.schema.remove_metadata() == load_model("cur_console_logins").arrow_schema()
    assert not engine.lake.fs.exists(f"{LAKE}/curated/cur_console_logins/_staging")
    # one Iceberg commit in Glue made the unloaded file the day (Athena reads it from there)
    glue = boto3.client("glue", endpoint_url=engine.settings.endpoint_url)
    params = glue.get_table(DatabaseName="trailwatch", Name="cur_console_logins")["Table"]["Parameters"]
    assert params["table_type"] == "ICEBERG" and params["metadata_location"].startswith(LAKE)


def test_events_from_raw_wiring_targets_the_events_table(athena):
    engine, client, _ = athena
    engine.settings = engine.settings.with_overrides(raw="s3://wiring-lake/raw")
    engine.run_model("events_from_raw", DAYS[0])
    (sent,) = _executions(client)
    assert f"to '{LAKE}/cloudtrail/events/dt={DAYS[0]}/run-" in sent["Query"]
    assert "from cloudtrail_raw" in sent["Query"] and "?" in sent["Query"]
    assert set(sent["ExecutionParameters"]) == {f"'{DAYS[0]}'"}


def test_as_of_wiring_pins_each_lake_table_to_a_snapshot(athena):
    """query --as-of on Athena: FOR VERSION AS OF <snapshot id> after each lake table (engine v3)."""
    engine, client, endpoint = athena
    _canned(endpoint, ["n"], [["10"]])
    first = engine.lake.snapshot_id("events")
    from engine_data import day_events

    engine.lake.write_parquet("events", DAYS[0], day_events(DAYS[0], 3))  # a newer snapshot
    pinned = engine.read_as_of(str(first))
    assert pinned["events"] == first and pinned["cur_console_logins"] is None
    frame = engine.query("select count(*) as n from events e where dt = :day", {"day": DAYS[0]})
    assert frame["n"].to_list() == ["10"]
    (sent,) = _executions(client)
    assert f"FROM events FOR VERSION AS OF {first} AS e" in sent["Query"]
    assert sent["ExecutionParameters"] == [f"'{DAYS[0]}'"]
    with pytest.raises(ValueError, match="cur_console_logins held no data"):
        engine.query("select * from cur_console_logins")
