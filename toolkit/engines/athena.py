"""Athena engine (pyathena): the repo's SQL as written, values as execution parameters.

* Queries: ``:name`` placeholders become ``?`` and the values go in ``ExecutionParameters``
  (Athena binds them server-side; strings are sent as quoted literals, quotes doubled), in the
  workgroup and with the S3 output location from ``Settings``; results come back as polars.
  ``DataScannedInBytes`` of every query is kept in ``last_scan_bytes`` and logged.
* Cost guard: before each query the bytes of the partitions it touches are estimated from the
  lake's file sizes; above ``Settings.scan_limit_bytes`` it refuses unless ``allow_scan``.
* Tables: lake tables are Iceberg tables in the Glue catalog (``toolkit.lake.iceberg``), created
  through pyiceberg from the columns of their ``sql/ddl`` file (one schema source), because
  Athena's own Iceberg DDL cannot declare ``timestamptz`` while every timestamp the lake writes
  is UTC-adjusted ("Only Iceberg timestamp (without time zone) is supported for Athena Iceberg
  DDL statements like CREATE TABLE, but all timestamp types can be queried through Athena",
  https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-supported-data-types.html, seen
  2026-11-29). ``cloudtrail_raw`` stays a Hive table with partition projection (its DDL file).
* Models: ``UNLOAD (model SELECT) TO <new run folder under dt=D/>`` (Parquet, ZSTD), then one
  Iceberg commit replaces the day with the unloaded files (``Lake.replacing_partition``). Why
  not ``INSERT INTO``: inserting twice duplicates rows. Unloading to a fresh prefix then
  committing makes a rerun idempotent; a failed run leaves the old day whole.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from toolkit.engines import staging, tables
from toolkit.engines.guard import enforce, estimate_scan_bytes, human_bytes
from toolkit.lake import join, parse_day, snapshots_as_of
from toolkit.sql.bind import to_positional
from toolkit.sql.ddl import render_ddl
from toolkit.sql.models import Model, load_model
from toolkit.sql.render import render_deployment

if TYPE_CHECKING:
    import polars as pl

    from toolkit.config import Settings

log = logging.getLogger(__name__)


def athena_literal(value: Any) -> str:
    """One execution parameter: Athena wants each value as SQL literal text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"cannot bind a {type(value).__name__} as an Athena parameter")


class AthenaEngine:
    """Runs on Amazon Athena (or moto's server for wiring tests) through pyathena."""

    name = "athena"

    def __init__(self, settings: Settings, poll_interval: float = 1.0):
        if not settings.athena_output:
            raise ValueError("the Athena engine needs an S3 output location: set "
                             "TRAILWATCH_ATHENA_OUTPUT=s3://bucket/prefix/")
        self.settings = settings
        self.lake = settings.lake_handle()
        self.poll_interval = poll_interval
        self.last_scan_bytes: int | None = None
        self.last_query_id: str | None = None
        self._pinned: dict[str, int | None] | None = None
        self._conn = None

    def _cursor(self, rows: bool):
        """A polars cursor for queries with rows; a plain cursor for DDL and UNLOAD."""
        if self._conn is None:
            from pyathena import connect
            from pyathena.polars.cursor import PolarsCursor

            _register_s3fs()

            from toolkit.aws import pyathena_options

            options = pyathena_options(self.settings.endpoint_url)  # the one AWS session
            options["region_name"] = self.settings.region or options.get("region_name")
            self._conn = connect(
                s3_staging_dir=self.settings.athena_output,
                work_group=self.settings.athena_workgroup,
                schema_name=self.settings.athena_database,
                poll_interval=self.poll_interval,
                cursor_class=PolarsCursor,
                **options,
            )
        if rows:
            return self._conn.cursor()
        from pyathena.cursor import Cursor

        return self._conn.cursor(Cursor)

    def _execute(self, sql: str, params: dict[str, Any] | None = None, fetch: bool = True):
        """Send one statement with its values as execution parameters; its rows if ``fetch``."""
        positional, names = to_positional(sql)
        params = params or {}
        missing = sorted(set(names) - set(params))
        if missing:
            raise ValueError(f"missing value for parameter(s): {', '.join(missing)}")
        values = [athena_literal(params[n]) for n in names] or None
        cursor = self._cursor(rows=fetch)
        with _pyathena_s3():
            cursor.execute(positional, values, paramstyle="qmark")
            frame = cursor.as_polars() if fetch else None
        self.last_query_id = cursor.query_id
        self.last_scan_bytes = int(cursor.data_scanned_in_bytes or 0)
        log.info("athena query %s scanned %s", cursor.query_id, human_bytes(self.last_scan_bytes))
        return frame

    def estimate_scan_bytes(self, sql: str, params: dict[str, Any] | None = None) -> int:
        return estimate_scan_bytes(self.lake, sql, params, self.settings.raw)

    def explain(self, sql: str) -> str:
        return to_positional(self.versioned(sql))[0]

    def query(self, sql: str, params: dict[str, Any] | None = None, *,
              allow_scan: bool = False) -> pl.DataFrame:
        """Run Athena SQL after the cost guard; results as polars."""
        enforce(self.estimate_scan_bytes(sql, params), self.settings.scan_limit_bytes, allow_scan)
        return self._execute(self.versioned(sql), params)

    def read_as_of(self, as_of: str) -> dict[str, int | None]:
        """Read every lake table as of a snapshot id or a time (``FOR VERSION AS OF`` in queries)."""
        names = tables.lake_tables()
        pinned = snapshots_as_of(self.lake, [tables.lake_name(n) for n in names], as_of)
        self._pinned = dict(zip(names, pinned.values(), strict=True))
        return dict(self._pinned)

    def versioned(self, sql: str) -> str:
        """``sql`` with ``FOR VERSION AS OF <snapshot>`` after each pinned lake table (Athena
        engine v3 syntax: https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-time-travel-and-version-travel-queries.html,
        seen 2026-11-29)."""
        if self._pinned is None:
            return sql
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(sql, read="athena")
        for table in tree.find_all(exp.Table):
            if table.name not in self._pinned or table.args.get("version"):
                continue
            snapshot = self._pinned[table.name]
            if snapshot is None:
                raise ValueError(f"table {table.name} held no data at that point in time")
            table.set("version", exp.Version(this="VERSION", kind="AS OF",
                                             expression=exp.Literal.number(snapshot)))
        return tree.sql("athena")

    # --- tables and models ---------------------------------------------------------------------

    def create_tables(self) -> None:
        """Create the database and every table (``if not exists``: safe to rerun)."""
        self._require_glue()
        database = self.settings.athena_database
        render_deployment("{{ database }}", {"database": database})  # validates the name
        self._execute(f"create database if not exists {database}", fetch=False)
        if self.settings.raw:
            ddl = render_ddl(tables.RAW_TABLE, database=database, lake=self.lake.root,
                                      raw=self.settings.raw)
            self._execute(ddl, fetch=False)
        else:
            log.warning("skipping %s: no raw location (TRAILWATCH_RAW)", tables.RAW_TABLE)
        for table in tables.lake_tables():
            tables.ensure_iceberg_table(self.lake, table)
        for view in staging.VIEWS:  # the stg_* views over `events`
            self._execute(staging.athena_view_ddl(view, database), fetch=False)

    def run_model(self, model: str, day: str | dt.date, *, allow_scan: bool = False) -> str:
        """UNLOAD one day of ``model`` to a staging prefix, then swap it in as the partition."""
        spec = load_model(model)
        day = parse_day(day)
        params = {"day": day.isoformat()}
        enforce(self.estimate_scan_bytes(spec.sql, params), self.settings.scan_limit_bytes, allow_scan)
        self._require_glue()
        name, _ = tables.model_target(spec)
        fs = self.lake.fs
        with self.lake.replacing_partition(name, day) as folder:
            unload_dir = join(folder, f"_unload-{uuid.uuid4().hex[:8]}")
            self._execute(unload_sql(spec, unload_dir + "/"), params, fetch=False)
            files = sorted(p for p in fs.find(unload_dir) if not p.endswith("/"))
            for i, path in enumerate(files):  # UNLOAD names files without .parquet
                fs.mv(path, join(folder, f"part-{i:05d}.parquet"))
            if not files:  # no rows: an empty file still marks the day as computed
                import pyarrow.parquet as pq

                with fs.open(join(folder, "part-00000.parquet"), "wb") as fh:
                    pq.write_table(spec.arrow_schema().empty_table(), fh, compression="zstd")
        return self.lake.partition(name, day)

    def _require_glue(self) -> None:
        """Athena sees only tables in Glue: a SQLite-catalogued lake cannot be written from here."""
        if self.lake.catalog != "glue":
            raise ValueError("the Athena engine reads the lake's Iceberg tables from AWS Glue: use an "
                             "s3:// lake or set TRAILWATCH_CATALOG=glue")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def _register_s3fs() -> None:
    """Make fsspec's "s3" protocol s3fs again (what the lake and every other reader use)."""
    import fsspec
    import s3fs

    for protocol in ("s3", "s3a"):
        fsspec.register_implementation(protocol, s3fs.S3FileSystem, clobber=True)


@contextmanager
def _pyathena_s3():
    """pyathena.polars registers its own fsspec "s3" filesystem on import and reads results
    through it; the rest of the process needs s3fs. Lend pyathena the protocol per query."""
    from pyathena.filesystem import register_s3_filesystem

    register_s3_filesystem()
    try:
        yield
    finally:
        _register_s3fs()


def unload_sql(spec: Model, location: str) -> str:
    """``UNLOAD`` of a model, scalar columns cast to their contract type (the Parquet = the DDL);
    nested columns (structs, arrays) are built by the model with their exact type already."""
    casts = ",\n    ".join(col if kind.endswith(">") else f"cast({col} as {_athena_type(kind)}) as {col}"
                            for col, kind in spec.columns)
    target = "'" + location.replace("'", "''") + "'"
    return (f"unload (\nselect\n    {casts}\nfrom (\n{spec.sql}\n) as model\n)\n"
            f"to {target}\nwith (format = 'PARQUET', compression = 'ZSTD')")


def _athena_type(hive_type: str) -> str:
    """Scalar Hive DDL type -> Athena (Trino) SQL type for CAST."""
    return "varchar" if hive_type == "string" else hive_type
