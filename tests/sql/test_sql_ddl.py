"""Each table's DDL matches the Parquet its writer produces, and points where the lake puts it.

Generic over ``sql/ddl/*.sql``: a new DDL file is covered as soon as it lands. Base tables
compare with the writer's declared Arrow schema (``WRITER_SCHEMAS``); curated models compare
with the Parquet ``build`` actually wrote on the small lake.
"""

from __future__ import annotations

import importlib

import pyarrow.parquet as pq
import pytest
import sql_records as rec

from toolkit.engines import tables
from toolkit.lake import Lake
from toolkit.sql.ddl import ddl_columns, ddl_files, render_ddl
from toolkit.sql.hive_types import arrow_to_hive, hive_to_arrow
from toolkit.sql.models import load_model, model_names

# Table -> "module:attribute" of the Arrow schema its writer uses.
WRITER_SCHEMAS = {
    "events": "toolkit.cloudtrail.schema:EVENTS_SCHEMA",
    "metrics": "toolkit.cloudwatch.schema:METRICS_SCHEMA",
    "alarm_states": "toolkit.cloudwatch.schema:ALARM_STATES_SCHEMA",
    "anomalies": "toolkit.cloudwatch.schema:ANOMALIES_SCHEMA",
    "findings": "toolkit.detections.schema:FINDINGS_SCHEMA",
    "insights": "toolkit.cloudtrail.insights:INSIGHTS_SCHEMA",
}
TABLES = tables.lake_tables()


def _hive(schema) -> list[tuple[str, str]]:
    return [(f.name, arrow_to_hive(f.type)) for f in schema]


def _writer_schema(table: str, mini_lake: str):
    if table.startswith("cur_"):
        (path,) = Lake.at(mini_lake).files(tables.curated_name(table), rec.DAY)
        return pq.read_schema(path)
    if table not in WRITER_SCHEMAS:
        pytest.fail(f"sql/ddl/{table}.sql has no writer schema: add it to WRITER_SCHEMAS")
    module, attr = WRITER_SCHEMAS[table].split(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        pytest.skip(f"writer of {table} not present yet: {exc}")


@pytest.mark.parametrize("table", TABLES)
def test_ddl_columns_equal_the_written_parquet_schema(table, mini_engine, mini_lake):
    columns, partitions = ddl_columns(ddl_files()[table].read_text())
    assert partitions == [("dt", "string")]
    assert columns == _hive(_writer_schema(table, mini_lake))


@pytest.mark.parametrize("table", TABLES)
def test_ddl_location_is_where_the_lake_writes(table):
    lake = Lake.at("s3://bucket/prefix")
    ddl = render_ddl(table, database="trailwatch", lake=lake.root)
    expected = tables.table_url(lake, table).rstrip("/")
    assert f"location '{expected}/'" in ddl.lower()
    assert f"'storage.location.template' = '{expected}/dt=${{dt}}/'" in ddl
    assert "'projection.enabled' = 'true'" in ddl


def test_every_model_has_a_ddl():
    assert set(model_names()) <= set(TABLES)


def test_curated_ddl_equals_the_contract():
    for model in model_names():
        columns, _ = ddl_columns(ddl_files()[model].read_text())
        assert columns == load_model(model).columns, model


def test_type_mapping_round_trips():
    for text in ["string", "bigint", "int", "double", "boolean", "timestamp", "date",
                 "array<string>", "struct<a:string,b:array<struct<c:bigint>>>", "map<string,double>"]:
        assert arrow_to_hive(hive_to_arrow(text)) == text
