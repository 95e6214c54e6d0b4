"""DuckDB engine: the repo's Athena SQL, transpiled by sqlglot, over the lake's Parquet.

Each table with a DDL file is a view named like the Athena table. Lake tables are Iceberg
tables: the view reads exactly the data files of the table's current snapshot (or of the
snapshot pinned by ``read_as_of``), planned through the catalog by pyiceberg, with
``read_parquet([...], hive_partitioning = true)`` so ``dt`` (varchar, as in Athena) comes from
the ``dt=YYYY-MM-DD/`` folders and filters on it prune files by path. A table without files yet
is an empty view typed from its DDL, so queries over a young lake return no rows instead of
failing. S3 lakes go through a registered s3fs filesystem (httpfs
cannot be installed offline), which honours the endpoint URL (moto's server locally).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from toolkit.engines import staging, tables
from toolkit.engines.contracts import conform
from toolkit.engines.coverage import warn_missing
from toolkit.engines.duckdb_connection import duckdb_connection
from toolkit.engines.guard import estimate_scan_bytes
from toolkit.lake import normalize, parse_day, snapshots_as_of
from toolkit.sql.bind import placeholder_names
from toolkit.sql.dialect import to_duckdb
from toolkit.sql.models import load_model

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

    from toolkit.config import Settings

log = logging.getLogger(__name__)


def _literal(text: str) -> str:
    """A deployment value (a path) as a SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def integers_as_int64(table: pa.Table) -> pa.Table:
    """DuckDB's ``sum``/``count`` over integers give HUGEINT, which Arrow receives as
    decimal(38,0); Athena gives bigint. Cast such columns to int64 (when every value fits) so
    both engines return integers -- JSON-serializable, chartable."""
    import pyarrow as pa

    for i, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type) and field.type.scale == 0:
            try:
                table = table.set_column(i, field.name, table.column(i).cast(pa.int64()))
            except pa.ArrowInvalid:  # beyond int64: keep the exact decimal
                pass
    return table


class DuckDBEngine:
    """In-process engine over a local or S3 lake (the default; also for tests and notebooks)."""

    name = "duckdb"

    def __init__(self, settings: Settings, database: str = ":memory:"):
        self.settings = settings
        self.lake = settings.lake_handle()
        self.last_scan_bytes: int | None = None
        self._warned: set[str] = set()  # missing-data warnings already logged (coverage)
        #: Iceberg snapshot id each lake view reads (None: the table holds no commit yet)
        self.snapshots: dict[str, int | None] = {}
        self._pinned: dict[str, int | None] | None = None
        self.con = duckdb_connection(
            database, s3=self.lake.is_s3 or str(settings.raw or "").startswith("s3://"),
            s3_endpoint_url=self.lake.endpoint_url)
        self.create_tables()

    # --- tables -------------------------------------------------------------------------------

    def create_tables(self) -> None:
        """(Re)create one view per lake table; a raw view when the raw location is known."""
        for name in tables.lake_tables():
            self.refresh_table(name)
        staging.create_views(self.con.execute)  # stg_* views over `events` (bound at query time)
        if self.settings.raw:
            self._create_raw_view(self.settings.raw)

    def _create_raw_view(self, raw: str) -> None:
        """``cloudtrail_raw``: one row per delivery file, like the Athena table (if any files)."""
        import duckdb

        try:
            self.con.execute(duckdb_raw_view_sql(normalize(raw)))
        except duckdb.IOException as exc:  # no delivery files (yet): queries name a missing view
            log.warning("no cloudtrail_raw view over %s: %s", raw, exc)

    def refresh_table(self, name: str) -> None:
        """Point the view ``name`` at its table's current data files (or the pinned snapshot's),
        or at an empty typed table if it has none."""
        lake_name = tables.lake_name(name)
        if self._pinned is not None:
            snapshot = self._pinned.get(name)
            files = self.lake.files(lake_name, snapshot_id=snapshot) if snapshot is not None else []
        else:
            snapshot = self.lake.snapshot_id(lake_name)
            files = self.lake.files(lake_name, snapshot_id=snapshot) if snapshot is not None else []
        self.snapshots[name] = snapshot
        if files:
            listed = ", ".join(_literal(f) for f in files)
            source = (f"read_parquet([{listed}], hive_partitioning = true, "
                      f"hive_types = {{'dt': 'VARCHAR'}}, union_by_name = true)")
        else:
            source = self._empty_source(name)
        self.con.execute(f"create or replace view {name} as select * from {source}")  # noqa: S608

    def read_as_of(self, as_of: str) -> dict[str, int | None]:
        """Pin every lake view to the snapshot it had ``as_of`` (a snapshot id or a time)."""
        names = tables.lake_tables()
        pinned = snapshots_as_of(self.lake, [tables.lake_name(n) for n in names], as_of)
        self._pinned = dict(zip(names, pinned.values(), strict=True))
        for name in names:
            self.refresh_table(name)
        return dict(self._pinned)

    def _empty_source(self, name: str) -> str:
        import pyarrow as pa

        schema = tables.ddl_schema(name).append(pa.field(tables.PARTITION_COLUMN, pa.string()))
        holder = f"_empty_{name}"
        self.con.register(holder, schema.empty_table())
        return holder

    # --- queries ------------------------------------------------------------------------------

    def _relation(self, sql: str, params: dict[str, Any] | None):
        duck_sql = to_duckdb(sql)
        names = placeholder_names(sql)
        params = params or {}
        missing = [n for n in names if n not in params]
        if missing:
            raise ValueError(f"missing value for parameter(s): {', '.join(missing)}")
        values = {n: params[n] for n in names}
        lost = [n for n in names if f"${n}" not in duck_sql]
        if lost:  # a transpile that dropped a placeholder would silently change the query
            raise ValueError(f"parameter(s) {lost} lost in translation to DuckDB: {duck_sql}")
        return self.con.sql(duck_sql, params=values or None)

    def query(self, sql: str, params: dict[str, Any] | None = None, *,
              allow_scan: bool = False) -> pl.DataFrame:
        """Run Athena SQL (``:name`` parameters bound by name); a polars frame back.

        The scan limit is not enforced locally (DuckDB costs nothing per byte); use
        ``estimate_scan_bytes`` to see what the same query would cost on Athena.
        """
        import polars as pl

        warn_missing(self.lake, sql, params, self._warned)  # empty because data is missing: say so
        return pl.from_arrow(self.arrow(sql, params))

    def arrow(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        """Like ``query`` but returns Arrow (keeps nested types exactly as written)."""
        relation = self._relation(sql, params)
        return integers_as_int64(relation.to_arrow_table()) if relation is not None else None

    def estimate_scan_bytes(self, sql: str, params: dict[str, Any] | None = None) -> int:
        self.last_scan_bytes = estimate_scan_bytes(self.lake, sql, params, self.settings.raw)
        return self.last_scan_bytes

    def explain(self, sql: str) -> str:
        """The SQL this engine runs for ``sql`` (for dry runs)."""
        return to_duckdb(sql)

    # --- models -------------------------------------------------------------------------------

    def run_model(self, model: str, day: str | dt.date, *, allow_scan: bool = False) -> str:
        """Compute ``model`` for ``day`` and atomically replace that partition; return its URL."""
        spec = load_model(model)
        day = parse_day(day)
        table = conform(spec, self.arrow(spec.sql, {"day": day.isoformat()}))
        target, view = tables.model_target(spec)
        url = self.lake.write_parquet(target, day, table)
        self.refresh_table(view)
        log.info("built %s dt=%s: %d rows", model, day, table.num_rows)
        return url

    def close(self) -> None:
        self.con.close()


def duckdb_raw_view_sql(raw_root: str) -> str:
    """DuckDB view ``cloudtrail_raw`` over a raw root (local or s3:// via a registered fs).

    It reads every CloudTrail delivery file (both layouts); ``day``/``region``/``account`` come
    from the key like Athena's projected partitions.
    """
    root = raw_root.rstrip("/").replace("'", "''")
    return f"""create or replace view cloudtrail_raw as
select cast(json as varchar) as line, filename as "$path",
       regexp_extract(filename, '/AWSLogs/(?:o-[^/]+/)?([^/]+)/CloudTrail/', 1) as account,
       regexp_extract(filename, '/CloudTrail/([^/]+)/', 1) as region,
       regexp_extract(filename, '/CloudTrail/[^/]+/([0-9]{{4}}/[0-9]{{2}}/[0-9]{{2}})/', 1) as day
from read_json_objects('{root}/AWSLogs/**/CloudTrail/*/*/*/*/*.json.gz', filename = true)"""  # noqa: S608 - a deployment URL, quoted
