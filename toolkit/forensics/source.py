"""Query access for forensics: the project's engine when it is there, else DuckDB on the lake.

All forensic SQL is Athena dialect with ``:name`` parameters, so it runs unchanged through
``toolkit.engines.connect(settings)`` (DuckDB or Athena). ``LocalDuckDB`` is the minimal
fallback (views over the lake's Parquet, sqlglot transpile, bound parameters) used when the
engines package offers no ``connect`` yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.lake import Lake

if TYPE_CHECKING:
    import polars as pl

    from toolkit.config import Settings

# Tables forensics reads through SQL, with their lake locations.
SQL_TABLES = {"events": "events", "findings": "findings",
              "cur_resource_changes": "curated/cur_resource_changes"}


class Source:
    """The lake plus something that runs Athena-dialect SQL with bound parameters."""

    def __init__(self, lake: Lake, runner):
        self.lake = lake
        self._runner = runner

    def has(self, table: str) -> bool:
        """Whether the table has data files (absent upstream tables read as empty)."""
        return bool(self.lake.files(SQL_TABLES.get(table, table)))

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
        return self._runner.query(sql, params or {})


def open_source(lake_url: str, settings: Settings | None = None) -> Source:
    """A Source over ``lake_url`` using the configured engine (``settings.engine``)."""
    from toolkit.config import Settings

    settings = (settings or Settings.from_env()).with_overrides(lake=lake_url)
    lake = Lake.at(settings.lake, settings.endpoint_url)
    if not lake.exists(lake.root):
        raise FileNotFoundError(f"lake not found at {lake.root}")
    try:
        from toolkit.engines import connect
    except ImportError:
        connect = None
    if connect is not None:
        engine = connect(settings)
        if settings.engine != "duckdb" or _knows_events(engine):
            return Source(lake, engine)
    if settings.engine != "duckdb":
        raise ValueError(f"engine {settings.engine!r} is not available yet; use --engine duckdb")
    return Source(lake, LocalDuckDB(lake))


def _knows_events(engine) -> bool:
    """Whether the DuckDB engine already maps the events table (its DDL may be younger)."""
    try:
        engine.query("select event_id from events where false")
    except Exception:  # noqa: BLE001 - any failure means: use the local fallback
        return False
    return True


class LocalDuckDB:
    """DuckDB views named like the Athena tables over the lake's Hive-partitioned Parquet."""

    def __init__(self, lake: Lake):
        import duckdb

        self.con = duckdb.connect()
        self.con.execute("SET TimeZone='UTC'")
        if lake.is_s3:
            self.con.register_filesystem(lake.fs)
        for view, table in SQL_TABLES.items():
            if lake.files(table):
                glob = lake.table(table).replace("'", "''") + "/*/*.parquet"
                self.con.execute(
                    f"create view {view} as select * from read_parquet('{glob}', "
                    "hive_partitioning = true, union_by_name = true)")

    def query(self, sql: str, params: dict[str, Any]) -> pl.DataFrame:
        import polars as pl
        import sqlglot

        from toolkit.sqlfiles import bind

        positional, values = bind(sql, params)
        duck_sql = sqlglot.transpile(positional, read="athena", write="duckdb")[0]
        return pl.from_arrow(self.con.sql(duck_sql, params=values or None).to_arrow_table())


def in_list(prefix: str, values: list[str]) -> tuple[str, dict[str, str]]:
    """``(:p0, :p1, ...)`` placeholders and their bindings, for ``x in (...)`` filters.

    Placeholder names come from code; the values (ids found in the data) are bound.
    An empty list yields ``(null)`` so the filter matches nothing.
    """
    if not values:
        return "(null)", {}
    names = {f"{prefix}{i}": v for i, v in enumerate(values)}
    return "(" + ", ".join(f":{n}" for n in names) + ")", names
