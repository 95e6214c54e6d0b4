"""The staging views on both engines: DuckDB views over `events`, Athena `create or replace
view` DDL, the cost guard counting a view's reads as its events partitions."""

from __future__ import annotations

import pytest
import sqlglot
from engine_data import DAYS

from toolkit.config import Settings
from toolkit.engines import connect, staging
from toolkit.engines.guard import estimate_scan_bytes
from toolkit.lake import Lake


@pytest.mark.parametrize("view", staging.VIEWS)
def test_athena_view_ddl_parses_as_athena_sql(view):
    ddl = staging.athena_view_ddl(view, "trailwatch")
    tree = sqlglot.parse_one(ddl, read="athena")
    assert isinstance(tree, sqlglot.exp.Create) and tree.args["kind"] == "VIEW"
    assert ddl.startswith(f"create or replace view trailwatch.{view} as")
    with pytest.raises(ValueError, match="unsafe"):
        staging.athena_view_ddl(view, "x; drop table events")


@pytest.mark.parametrize("view", staging.VIEWS)
def test_duckdb_exposes_every_view_and_its_contract_columns(days_lake, view):
    engine = connect(Settings(lake=days_lake))
    columns = engine.query(f"select * from {view} where dt = :day limit 0", {"day": DAYS[0]}).columns  # noqa: S608
    declared = [c["name"] for c in staging.contract(view).contract["columns"]]
    assert set(declared) <= set(columns)


def test_a_view_costs_what_its_events_partitions_cost(days_lake):
    lake = Lake.at(days_lake)
    params = {"day": DAYS[1]}
    on_events = estimate_scan_bytes(lake, "select * from events where dt = :day", params)
    assert on_events > 0
    for view in staging.VIEWS:
        assert estimate_scan_bytes(lake, f"select * from {view} where dt = :day", params) == on_events  # noqa: S608


def test_staging_contract_checks_pass_on_a_day(days_lake):
    from toolkit.engines.contracts import run_checks

    engine = connect(Settings(lake=days_lake))
    for view in staging.VIEWS:
        failed = [r.describe() for r in run_checks(engine, staging.contract(view), DAYS[0]) if not r.passed]
        assert failed == [], view


def test_source_columns_follow_a_concept_to_the_events_columns():
    assert staging.source_columns("outcome") == {"error_code", "response_elements"}
    assert {"principal_arn", "invoked_by", "access_key_id"} <= staging.source_columns("session_key")
    assert staging.source_columns("event_time") == {"event_time"}
