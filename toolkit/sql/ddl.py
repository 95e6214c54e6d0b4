"""Athena DDL (``sql/ddl/<table>.sql``): rendered for a deployment, and its column list parsed."""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.sql.files import sql_dir
from toolkit.sql.hive_types import normalize_hive_type
from toolkit.sql.render import render_deployment


def ddl_files() -> dict[str, Path]:
    """Table name -> DDL file (``sql/ddl/<table>.sql``)."""
    return {p.stem: p for p in sorted((sql_dir() / "ddl").glob("*.sql"))}


def render_ddl(table: str, *, database: str, lake: str, raw: str | None = None) -> str:
    """The DDL of one table, rendered for a deployment."""
    files = ddl_files()
    if table not in files:
        raise ValueError(f"no DDL for table {table!r}; known: {', '.join(files)}")
    return render_deployment(files[table].read_text(),
                             {"database": database, "lake": lake, "raw": raw})


def ddl_columns(ddl: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(data columns, partition columns) of a CREATE EXTERNAL TABLE, as (name, hive type)."""
    body = re.sub(r"--[^\n]*", "", ddl)
    start = body.index("(", body.lower().index("table"))
    columns, end = _column_list(body, start)
    partitions: list[tuple[str, str]] = []
    match = re.search(r"partitioned\s+by\s*\(", body[end:], re.I)
    if match:
        partitions, _ = _column_list(body, end + match.end() - 1)
    return columns, partitions


def _column_list(text: str, open_paren: int) -> tuple[list[tuple[str, str]], int]:
    """Parse ``(name type, ...)`` starting at ``open_paren``; return columns and end index."""
    depth, items, current = 0, [], []
    for i in range(open_paren, len(text)):
        ch = text[i]
        if ch in "(<":
            depth += 1
            if depth == 1:
                continue
        elif ch in ")>":
            depth -= 1
            if depth == 0:
                items.append("".join(current))
                return [_column(item) for item in items if item.strip()], i + 1
        elif ch == "," and depth == 1:
            items.append("".join(current))
            current = []
            continue
        current.append(ch)
    raise ValueError("unbalanced parentheses in DDL column list")


def _column(item: str) -> tuple[str, str]:
    item = re.sub(r"\s+comment\s+'(?:[^']|'')*'\s*$", "", item.strip(), flags=re.I)
    name, hive_type = item.split(None, 1)
    return name.strip("`\"").lower(), normalize_hive_type(hive_type)
