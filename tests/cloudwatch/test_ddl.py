"""The CloudWatch tables' Athena DDL matches the Parquet schemas the code writes."""

from __future__ import annotations

import pytest
import sqlglot

from toolkit.cloudwatch.schema import ALARM_STATES_SCHEMA, ANOMALIES_SCHEMA, METRICS_SCHEMA
from toolkit.sql.ddl import ddl_columns, render_ddl
from toolkit.sql.hive_types import arrow_to_hive, normalize_hive_type


@pytest.mark.parametrize(("table", "schema"), [("metrics", METRICS_SCHEMA),
                                               ("alarm_states", ALARM_STATES_SCHEMA),
                                               ("anomalies", ANOMALIES_SCHEMA)])
def test_ddl_columns_equal_parquet_schema(table, schema):
    ddl = render_ddl(table, database="trailwatch", lake="s3://bucket/lake")
    columns, partitions = ddl_columns(ddl)
    assert [(n.strip("`"), normalize_hive_type(t)) for n, t in columns] == [
        (f.name, arrow_to_hive(f.type)) for f in schema]
    assert [n for n, _ in partitions] == ["dt"]
    assert f"s3://bucket/lake/cloudwatch/{table}/" in ddl
    sqlglot.parse_one(ddl, read="athena")
