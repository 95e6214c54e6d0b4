"""events_from_raw.sql (Athena) == the Python ingest, run on DuckDB over the raw fixtures."""

from __future__ import annotations

import gzip
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot

from toolkit.cloudtrail import ingest_day
from toolkit.cloudtrail.flatten import connect
from toolkit.cloudtrail.raw_sql import events_from_raw_sql
from toolkit.cloudtrail.schema import EVENTS_SCHEMA, FREE_FORM_COLUMNS
from toolkit.engines.duck import duckdb_raw_view_sql
from toolkit.lake import Lake
from toolkit.sql.ddl import render_ddl


def test_model_file_is_generated_from_the_schema(repo_root):
    assert (repo_root / "sql/models/events_from_raw.sql").read_text() == events_from_raw_sql()
    sqlglot.parse_one(events_from_raw_sql(), read="athena")


def test_ddl_columns_equal_the_parquet_schema():
    from toolkit.engines.tables import ddl_schema

    assert ddl_schema("events") == EVENTS_SCHEMA
    rendered = render_ddl("cloudtrail_raw", database="tw", lake="s3://lake", raw="s3://raw/ct")
    assert "'s3://raw/ct/AWSLogs/${account}/CloudTrail/${region}/${day}/'" in rendered
    assert "'projection.day.range' = '2013/11/01,NOW'" in rendered
    sqlglot.parse_one(rendered, read="athena")


def _normalized(table: pa.Table) -> list[dict]:
    rows = table.select(list(EVENTS_SCHEMA.names)).cast(EVENTS_SCHEMA).to_pylist()
    for row in rows:
        # the same JSON values: Athena re-serializes the record, the Python ingest keeps its bytes
        for col in (*FREE_FORM_COLUMNS, "record"):
            row[col] = json.loads(row[col]) if row[col] not in (None, "null") else None
        row["source_listed"] = None  # digests are checked by the Python ingest only
    return sorted(rows, key=lambda r: r["event_id"])


def test_events_from_raw_rows_equal_the_ingest_rows(tmp_path, real_cloudtrail_dir):
    from tests.cloudtrail.conftest import event, write_delivery

    raw = tmp_path / "raw"
    shutil.copytree(real_cloudtrail_dir / "cloud-snitch" / "AWSLogs", raw / "AWSLogs")
    write_delivery(raw, [event("a1", "2025-03-06T23:58:00Z", addendum={"reason": "late"}),
                         event("a2", "2025-03-05T23:59:00Z")], name="f1.json.gz")
    write_delivery(raw, [event("a1", "2025-03-06T23:58:00Z", addendum={"reason": "late"}),
                         event("b1", "2025-03-07T00:01:00Z")], folder="2025/03/07", name="f2.json.gz",
                   org="o-abc123", account="111122223333")
    write_delivery(raw, [event("old", "2025-03-05T10:00:00Z", readOnly=True)], folder="2025/03/05",
                   name="f0.json.gz", region="eu-west-1")
    lake = tmp_path / "lake"
    manifest = ingest_day(str(raw), str(lake), "2025-03-06")
    assert manifest["duplicates_dropped"] == 1
    ingested = pa.concat_tables([pq.read_table(f) for f in Lake.at(str(lake)).files("events", "2025-03-06")])

    from toolkit.engines.duck import to_duckdb

    con = connect()
    con.execute(duckdb_raw_view_sql(str(raw)))
    model = con.sql(to_duckdb(events_from_raw_sql()), params={"day": "2025-03-06"}).to_arrow_table()
    assert ingested.num_rows == model.num_rows == 22
    assert _normalized(model) == _normalized(ingested)


def test_raw_view_reads_gzip_deliveries(real_cloudtrail_dir):
    con = connect()
    con.execute(duckdb_raw_view_sql(str(real_cloudtrail_dir / "cloud-snitch")))
    rows = con.sql('select account, region, day, line from cloudtrail_raw order by account').fetchall()
    assert [r[:3] for r in rows] == [("222222222222", "us-east-1", "2025/03/06"),
                                     ("333333333333", "us-east-1", "2025/03/06")]
    assert all(json.loads(r[3])["Records"] for r in rows)
    assert gzip  # deliveries are gzip on disk; DuckDB decompresses by extension
