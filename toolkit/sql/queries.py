"""Named analyst queries (``sql/queries/``): SQL with ``:name`` placeholders + typed parameters.

Each query is a ``<name>.yml`` (description, typed ``params``) beside its ``<name>.sql``, or,
when several queries share one shape, a ``<name>.yml`` that names a base query
(``base: <base>`` = ``sql/queries/base/<base>.sql`` + ``.yml``) and ``fill``s its ``{{ holes }}``
with SQL fragments (the way msticpy's query macros work; values still go through ``:name``
placeholders and are bound). A base's ``params`` and ``fill`` defaults are shared by its queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.sql.bind import placeholder_names
from toolkit.sql.files import read_sidecar, sql_dir
from toolkit.sql.params import PARAM_TYPES, Param
from toolkit.sql.render import render


@dataclass(frozen=True)
class NamedQuery:
    """An analyst query from ``sql/queries/``: SQL with ``:name`` placeholders + typed params."""

    name: str
    description: str
    sql: str
    params: dict[str, Param] = field(default_factory=dict)

    def coerce_params(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Typed, validated values for every declared parameter (defaults filled in)."""
        unknown = sorted(set(raw) - set(self.params))
        if unknown:
            raise ValueError(f"query {self.name}: unknown parameter(s) {', '.join(unknown)}; "
                             f"it takes {', '.join(self.params)}")
        values = {}
        for name, param in self.params.items():
            if name in raw:
                values[name] = param.coerce(raw[name])
            elif param.default is not None:
                values[name] = param.coerce(param.default)
            else:
                raise ValueError(f"query {self.name}: missing parameter {name} ({param.type})")
        return values


def bound_query(name: str, **params: Any) -> tuple[str, dict[str, Any]]:
    """A named query's SQL and its checked, typed values: ``engine.query(*bound_query(...))``."""
    query = load_query(name)
    return query.sql, query.coerce_params(params)


def _queries_dir() -> Path:
    return sql_dir() / "queries"


def query_names() -> list[str]:
    """Every named query (``sql/queries/<name>.yml``), sorted."""
    return sorted(p.stem for p in _queries_dir().glob("*.yml"))


def load_query(name: str) -> NamedQuery:
    """A named query: its metadata, its SQL (own file or filled base) and typed parameters."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name not in query_names():
        raise ValueError(f"unknown query {name!r}; known: {', '.join(query_names())}")
    path = _queries_dir() / f"{name}.sql"
    meta = read_sidecar(path)
    sql, shared = _query_sql(path, meta)
    specs = dict(meta.get("params") or {})  # the query's own parameters first, then the base's
    for pname, spec in (shared.get("params") or {}).items():
        specs.setdefault(pname, spec)
    params = _params(path, specs)
    used = set(placeholder_names(sql))
    if used != set(params):
        raise ValueError(f"{path}: declared params {sorted(params)} != used {sorted(used)}")
    return NamedQuery(name, str(meta.get("description", "")).strip(), sql, params)


def _query_sql(path: Path, meta: dict) -> tuple[str, dict]:
    """The query's SQL and its base's metadata (empty without a base)."""
    base = meta.get("base")
    if base is None:
        return path.read_text().strip(), {}
    base_path = _queries_dir() / "base" / f"{base}.sql"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", str(base)) or not base_path.is_file():
        raise ValueError(f"{path.with_suffix('.yml')}: unknown base query {base!r}")
    if path.is_file():
        raise ValueError(f"{path}: a query with a base has no SQL file of its own")
    shared = read_sidecar(base_path)
    fill = {**(shared.get("fill") or {}), **(meta.get("fill") or {})}
    try:
        return render(base_path.read_text(), fill).strip(), shared
    except ValueError as exc:
        raise ValueError(f"{path.with_suffix('.yml')}: base {base}: {exc}") from None


def _params(path: Path, specs: dict) -> dict[str, Param]:
    params = {}
    for pname, spec in specs.items():
        if spec.get("type") not in PARAM_TYPES:
            raise ValueError(f"{path}: parameter {pname} has unknown type {spec.get('type')!r}")
        params[pname] = Param(pname, spec["type"], spec.get("description", ""), spec.get("default"))
    return params
