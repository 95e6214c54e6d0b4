"""Bound parameters: ``:name`` placeholders become positional ``?`` with their values.

Engines bind values positionally (DuckDB prepared statements, Athena execution parameters);
analyst-typed values never become SQL text.
"""

from __future__ import annotations

import re
from typing import Any

# Strings, quoted identifiers and comments are copied through untouched; only a bare
# ``:name`` outside them is a placeholder (``a::b`` casts are not Athena SQL anyway).
_SQL_TOKENS = re.compile(
    r"""'(?:[^']|'')*'          # string literal
      | "(?:[^"]|"")*"          # quoted identifier
      | --[^\n]*                # line comment
      | /\*.*?\*/               # block comment
      | (?<![:\w]):([A-Za-z_]\w*)  # :name placeholder
      | (\?)                    # a raw positional marker (not allowed in repo SQL)
    """,
    re.S | re.X,
)


def to_positional(sql: str) -> tuple[str, list[str]]:
    """Replace ``:name`` with ``?``; return the new SQL and the names in order of appearance."""
    names: list[str] = []

    def swap(match: re.Match) -> str:
        if match.group(2):
            raise ValueError("write parameters as :name, not '?', so they can be checked by name")
        if match.group(1):
            names.append(match.group(1))
            return "?"
        return match.group(0)

    return _SQL_TOKENS.sub(swap, sql), names


def placeholder_names(sql: str) -> list[str]:
    """Distinct ``:name`` placeholders of a statement, in order of first appearance."""
    return list(dict.fromkeys(to_positional(sql)[1]))


def expand_lists(sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Spread each list value over placeholders of its own: ``x in (:keys)`` with
    ``keys=[a, b]`` becomes ``x in (:keys__0, :keys__1)`` (``null`` for an empty list, which
    matches nothing), so each element is bound as a scalar (Athena binds scalars only)."""
    values: dict[str, Any] = {}

    def spread(match: re.Match) -> str:
        name = match.group(1)
        if not name or not isinstance(params.get(name), (list, tuple)):
            return match.group(0)
        items = {f"{name}__{i}": item for i, item in enumerate(params[name])}
        values.update(items)
        return ", ".join(f":{key}" for key in items) or "null"

    expanded = _SQL_TOKENS.sub(spread, sql)
    values.update({k: v for k, v in params.items() if not isinstance(v, (list, tuple))})
    return expanded, values


def bind(sql: str, params: dict[str, Any] | None) -> tuple[str, list[Any]]:
    """Positional SQL and its values; every placeholder needs a value, no value goes unused."""
    params = params or {}
    positional, names = to_positional(sql)
    missing = sorted(set(names) - set(params))
    if missing:
        raise ValueError(f"missing value for parameter(s): {', '.join(missing)}")
    unused = sorted(set(params) - set(names))
    if unused:
        raise ValueError(f"parameter(s) not used by the SQL: {', '.join(unused)}")
    return positional, [params[name] for name in names]
