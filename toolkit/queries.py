"""Named analyst queries (``sql/queries/``) from Python: one call, values bound, polars back.

    import toolkit.queries as q
    q.names()                                  # every named query
    q.events_for_access_key?                   # its description and typed parameters
    q.run("events_for_access_key", lake="demo/lake", access_key="AKIA...",
          start="2025-03-01", end="2025-03-07")
    q.events_for_access_key(lake="demo/lake", access_key="AKIA...", start=..., end=...)

Each query is also an attribute of this module (built on first use, so importing reads no
file) whose docstring lists its parameters with their types and defaults. Values are checked
by type (an ARN must look like one, a date must parse) and bound, never pasted into SQL.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any

from toolkit.config import Settings
from toolkit.engines import connect
from toolkit.sql.queries import load_query, query_names

if TYPE_CHECKING:
    import polars as pl

    from toolkit.engines.base import Engine

__all__ = ["names", "describe", "run"]


def names() -> list[str]:
    """Every named query."""
    return query_names()


def describe(name: str) -> str:
    """A query's description and parameters, as its docstring shows them."""
    query = load_query(name)
    lines = [query.description or name, "", "Parameters:"]
    for param in query.params.values():
        default = "" if param.default is None else f", default {param.default!r}"
        lines.append(f"    {param.name} ({param.type}{default}): {param.description}")
    lines += ["", "Common keywords: lake, engine ('duckdb'|'athena'), settings, allow_scan."]
    return "\n".join(lines)


def run(name: str, *, lake: str | None = None, engine: str | Engine | None = None,
        settings: Settings | None = None, allow_scan: bool = False, **params: Any) -> pl.DataFrame:
    """Run the named query ``name`` with ``params``; a polars frame back.

    ``lake``/``engine`` override the environment's settings (``TRAILWATCH_LAKE``,
    ``TRAILWATCH_ENGINE``); pass an engine object to reuse its connection. ``describe(name)``
    (or ``toolkit.queries.<name>?`` in Jupyter) lists the parameters.
    """
    query = load_query(name)
    values = query.coerce_params(params)
    if engine is not None and not isinstance(engine, str):
        return engine.query(query.sql, values, allow_scan=allow_scan)
    settings = (settings or Settings.from_env()).with_overrides(lake=lake, engine=engine)
    db = connect(settings)
    try:
        return db.query(query.sql, values, allow_scan=allow_scan)
    finally:
        if hasattr(db, "close"):
            db.close()


@functools.cache
def _query_function(name: str):
    query = load_query(name)

    def call(**kwargs: Any) -> pl.DataFrame:
        return run(name, **kwargs)

    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter(p.name, keyword, default=inspect.Parameter.empty
                                if p.default is None else p.default, annotation=p.type)
              for p in query.params.values()]
    params += [inspect.Parameter(k, keyword, default=d) for k, d in
               (("lake", None), ("engine", None), ("settings", None), ("allow_scan", False))]
    call.__name__ = call.__qualname__ = name
    call.__doc__ = describe(name)
    call.__signature__ = inspect.Signature(params)
    return call


def __getattr__(attr: str):
    if attr.startswith("_"):
        raise AttributeError(attr)
    if attr in names():
        return _query_function(attr)
    raise AttributeError(f"module toolkit.queries has no query {attr!r}; see names()")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(names()))
