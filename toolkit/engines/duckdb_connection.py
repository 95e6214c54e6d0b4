"""The one place a DuckDB connection is made and set up the way every caller needs it.

UTC (like Athena, so ``dt`` days and timestamps agree), no progress bar (it would draw into
logs and notebooks), optional thread and memory bounds with a spill folder, and an s3fs
filesystem for ``s3://`` URLs. ``toolkit.engines.duck`` (the engine) and
``toolkit.detections.local`` (rule tests) and ``toolkit.cloudtrail.flatten`` (the ingest) use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def duckdb_connection(database: str = ":memory:", *, threads: int | None = None,
                      memory_limit: str | None = None, temp_dir: str | None = None,
                      s3_endpoint_url: str | None = None, s3: bool = False,
                      preserve_insertion_order: bool = True,
                      async_threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in UTC without a progress bar; ``s3`` registers an s3fs filesystem
    (``s3_endpoint_url``: moto or another S3-compatible endpoint). ``threads`` and
    ``async_threads`` (DuckDB's I/O pool, 8 threads by default) are set when the instance starts:
    each idle DuckDB thread flushes the whole process's allocators (DuckDB's jemalloc and glibc's
    ``malloc_trim``) when it wakes, so the next allocations page-fault again."""
    import duckdb  # heavy: imported on use, so importing the engines package stays light

    config = {"threads": int(threads)} if threads else {}
    if async_threads is not None:
        config["async_threads"] = int(async_threads)
    con = duckdb.connect(database, config=config)
    con.execute("SET TimeZone='UTC'")
    # Already off in a Jupyter kernel without ipywidgets, where DuckDB refuses to change it.
    if con.execute("select current_setting('enable_progress_bar')").fetchall()[0][0]:
        con.execute("SET enable_progress_bar=false")
    if threads:
        con.execute(f"SET threads={int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit={_literal(memory_limit)}")
    if temp_dir:
        con.execute(f"SET temp_directory={_literal(temp_dir)}")
    if not preserve_insertion_order:
        con.execute("SET preserve_insertion_order=false")
    if s3:
        import s3fs

        from toolkit.lake import storage_options

        con.register_filesystem(s3fs.S3FileSystem(**storage_options(s3_endpoint_url)))
    return con
