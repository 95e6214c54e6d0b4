"""Named analyst queries (``sql/queries/``): SQL with ``:name`` placeholders + typed parameters.

Each query is a ``<name>.yml`` (description, typed ``params``) beside its ``<name>.sql``, or,
when several queries share one shape, a ``<name>.yml`` that names a base query
(``base: <base>`` = ``sql/queries/base/<base>.sql`` + ``.yml``) and ``fill``s its ``{{ holes }}``
with SQL fragments (the way msticpy's query macros work; values still go through ``:name``
placeholders and are bound). A base's ``params`` and ``fill`` defaults are shared by its queries.

A base's hole may also be filled with a named fragment (``{fragment: subject_ip}``) of
``sql/fragments.yml`` (``toolkit.sql.fragments``): SQL text from the repository plus the typed
params it binds, shared with the other SQL files that use it.

A package's own queries live in a folder (``sql/queries/forensics/<name>``, loaded as
``"forensics/<name>"``) and are not listed for analysts. Such a query may leave ``holes`` (its
``.yml`` names them) for its caller to fill with fragments, *by name*. A ``list: true`` param
takes a list of values, bound one placeholder each (``x in (:keys)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.sql import meta as shared_meta
from toolkit.sql.bind import expand_lists, placeholder_names
from toolkit.sql.files import read_sidecar, sql_dir
from toolkit.sql.fragments import add_param, fragment
from toolkit.sql.params import Param
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

    def bound(self, **raw: Any) -> tuple[str, dict[str, Any]]:
        """The SQL and its checked values, list values spread one placeholder each."""
        return expand_lists(self.sql, self.coerce_params(raw))


def bound_query(name: str, /, *, fill: dict[str, str] | None = None,
                **params: Any) -> tuple[str, dict[str, Any]]:
    """A named query's SQL and its checked, typed values: ``engine.query(*bound_query(...))``."""
    return load_query(name, fill=fill).bound(**params)


def _queries_dir() -> Path:
    return sql_dir() / "queries"


def query_names() -> list[str]:
    """Every named query (``sql/queries/<name>.yml``), sorted."""
    return sorted(p.stem for p in _queries_dir().glob("*.yml"))


def load_query(name: str, *, fill: dict[str, str] | None = None) -> NamedQuery:
    """A named query: its metadata, its SQL (own file or filled base) and typed parameters.

    ``fill`` maps each of the query's ``holes`` to the name of a fragment (folder queries only).
    """
    path = _query_path(name)
    meta = shared_meta.check(read_sidecar(path), path.with_suffix(".yml"), require_name=False)
    specs = dict(meta.get("params") or {})  # the query's own parameters, its fragments', its base's
    sql, shared = _query_sql(path, meta, specs)
    sql = _fill_holes(path, meta, sql, fill or {}, specs)
    for pname, spec in (shared.get("params") or {}).items():
        add_param(specs, pname, spec, f"base {meta.get('base')}")
    try:
        params = shared_meta.parse_params(specs)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    used = set(placeholder_names(sql))
    if used != set(params):
        raise ValueError(f"{path}: declared params {sorted(params)} != used {sorted(used)}")
    return NamedQuery(name, str(meta.get("description", "")).strip(), sql, params)


def _query_path(name: str) -> Path:
    """``sql/queries/<name>.sql`` of a listed query, or ``<folder>/<name>.sql`` of a package's."""
    folder, _, stem = name.rpartition("/")
    known = query_names() if not folder else sorted(
        p.stem for p in (_queries_dir() / folder).glob("*.yml"))
    if (not re.fullmatch(r"([a-z][a-z0-9_]*/)?[a-z][a-z0-9_]*", name) or folder == "base"
            or stem not in known):
        raise ValueError(f"unknown query {name!r}; known: {', '.join(known)}")
    return _queries_dir() / f"{name}.sql"


def _fragment_text(name: str, specs: dict) -> str:
    """Fragment ``name``'s SQL; its parameters are added to ``specs``."""
    found = fragment(name)
    for pname, spec in found.params.items():
        add_param(specs, pname, spec, f"fragment {name}")
    return found.sql


def _fill_holes(path: Path, meta: dict, sql: str, fill: dict[str, str], specs: dict) -> str:
    """Fill the query's ``holes`` with fragments named in ``fill``; add their params to specs."""
    holes = dict(meta.get("holes") or {})
    if set(fill) != set(holes):
        raise ValueError(f"{path.with_suffix('.yml')}: holes {sorted(holes)} need a fragment "
                         f"each; given {sorted(fill)}")
    if not holes:
        return sql
    return render(sql, {hole: _fragment_text(name, specs) for hole, name in fill.items()})


def _query_sql(path: Path, meta: dict, specs: dict) -> tuple[str, dict]:
    """The query's SQL and its base's metadata (empty without a base).

    A base's hole is filled with SQL text or, written ``{fragment: <name>}``, with a fragment
    of ``sql/fragments.yml`` (whose params are added to ``specs``).
    """
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
    texts = {hole: _fragment_text(value["fragment"], specs)
             if isinstance(value, dict) else value for hole, value in fill.items()}
    try:
        return render(base_path.read_text(), texts).strip(), shared
    except ValueError as exc:
        raise ValueError(f"{path.with_suffix('.yml')}: base {base}: {exc}") from None
