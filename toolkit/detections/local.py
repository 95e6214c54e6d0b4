"""Run compiled rule SQL on DuckDB over an in-memory ``events`` table (rule tests, notebooks).

Rule SQL is Athena dialect; the DuckDB engine's ``to_duckdb`` transpiles it (``:name``
parameters become DuckDB's ``$name``), and values are always bound, never pasted.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from toolkit.engines.duckdb_connection import duckdb_connection
from toolkit.sql.dialect import to_duckdb

if TYPE_CHECKING:
    import duckdb
    import polars as pl
    import pyarrow as pa


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB in UTC (like Athena), from the engines' one connection factory."""
    # inline test tables are tiny: threads cost more than they save
    return duckdb_connection(threads=1)


def load_events(con: duckdb.DuckDBPyConnection, events: pa.Table) -> None:
    """Make ``events`` = exactly these rows plus their ``dt`` (UTC day of eventTime)."""
    # A view over the registered Arrow table: no copy per load (rule tests load ~600 tables).
    from toolkit.engines import staging

    con.register("events_rows", events)
    con.execute("create or replace view events as "
                "select *, strftime(event_time, '%Y-%m-%d') as dt from events_rows")
    # The staging views rules read (stg_events' outcome, ...; sequence rules inline curated
    # models that read the others). A DuckDB view binds `events` by name when queried, so they
    # are created once per connection (the events schema is fixed).
    if not con.execute("select 1 from duckdb_views() where view_name = 'stg_events'").fetchall():
        staging.create_views(con.execute)


def query(con: duckdb.DuckDBPyConnection, athena_sql: str, params: dict[str, Any]) -> pl.DataFrame:
    """Run Athena SQL with named parameters on a DuckDB connection; a polars frame back."""
    import polars as pl

    sql = _to_duckdb(athena_sql)
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    return pl.from_arrow(con.sql(sql, params=used).to_arrow_table())


@lru_cache(maxsize=1024)
def _to_duckdb(athena_sql: str) -> str:
    """The engine's transpilation, kept per text: rule tests run each rule's SQL several times."""
    return to_duckdb(athena_sql)
