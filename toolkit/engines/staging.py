"""The staging views: ``stg_events`` and ``stg_event_resources`` (``sql/models/stg_*.sql``).

Each concept the curated models, detections, forensic pivots and reports share (principal,
session, outcome, service, read/write, resources touched and their canonical ``resource_id``)
is defined once, in these views' SQL (and credential issuance in ``stg_credential_issuance``). They are views over ``events`` (see ``stg_events.sql``
for why), so every engine exposes them: DuckDB creates them next to its table views
(``create_views``), Athena runs ``athena_view_ddl`` in ``create_tables``. Their YAML contracts
(``stg_*.yml``) are checked per day like a model's (``contract``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.sql.dialect import to_duckdb
from toolkit.sql.files import sql_dir
from toolkit.sql.fragments import fill_view
from toolkit.sql.models import Model
from toolkit.sql.render import render_deployment

if TYPE_CHECKING:
    from collections.abc import Callable

#: the views in dependency order (the others read stg_events)
VIEWS = ("stg_events", "stg_event_resources", "stg_credential_issuance")
#: the lake table each view reads (the cost guard and coverage map a view to it)
BASE_TABLE = "events"


def view_sql(name: str) -> str:
    """The SELECT (Athena dialect) that defines staging view ``name`` (its ``{{ fragments }}``
    of ``sql/fragments.yml`` filled in)."""
    if name not in VIEWS:
        raise ValueError(f"unknown staging view {name!r}; known: {', '.join(VIEWS)}")
    return fill_view((sql_dir() / "models" / f"{name}.sql").read_text(), name)


def base_table(name: str) -> str:
    """The lake table an SQL table name reads: ``events`` for a staging view, else itself."""
    return BASE_TABLE if name in VIEWS else name


def contract(name: str) -> Model:
    """The view's YAML contract as a ``Model`` (its checks run per ``dt`` like a model's)."""
    import yaml

    spec = yaml.safe_load((sql_dir() / "models" / f"{name}.yml").read_text())
    return Model(name, view_sql(name), spec)


def create_views(execute: Callable[[str], object]) -> None:
    """Create (or replace) every staging view with ``execute`` on a DuckDB connection that has
    an ``events`` table or view (the engine, ``detections.local``, tests)."""
    for name in VIEWS:
        execute(f"create or replace view {name} as {to_duckdb(view_sql(name))}")


def athena_view_ddl(name: str, database: str) -> str:
    """``create or replace view`` DDL of a staging view for Athena (database validated)."""
    render_deployment("{{ database }}", {"database": database})  # validates the name
    return f"create or replace view {database}.{name} as\n{view_sql(name)}"


def source_columns(column: str, view: str = "stg_events") -> set[str]:
    """The ``events`` columns a staging column is computed from (itself if it is one), read
    from the view's SQL: what Athena scans for it (the cost report's column bytes)."""
    import sqlglot
    from sqlglot import exp

    defined = {}
    for alias in sqlglot.parse_one(view_sql(view), read="athena").find_all(exp.Alias):
        defined.setdefault(alias.alias, alias.this)
    seen, todo, found = set(), [column], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name not in defined:
            found.add(name)
            continue
        todo += [c.name for c in defined[name].find_all(exp.Column)]
    return found
