"""Athena (Trino) SQL -> DuckDB SQL: the one transpile step the local engine and views share."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=512)
def to_duckdb(sql: str) -> str:
    """Athena SQL in DuckDB's dialect; ``:name`` parameters become ``$name``.

    Binding by name (not by position) matters here: sqlglot may reorder a function's
    arguments when it rewrites them (``date_add`` becomes ``x + INTERVAL n DAY``).
    """
    import sqlglot

    statements = sqlglot.transpile(sql, read="athena", write="duckdb")
    if len(statements) != 1:
        raise ValueError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]
