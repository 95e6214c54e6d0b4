"""Deprecated: the old single module for repository SQL; it now lives in ``toolkit.sql``.

Kept only so that code written against the old name keeps importing while it moves
(``toolkit.engines.contracts``); new code imports from the ``toolkit.sql`` module that owns
each job (see ``toolkit/sql/__init__.py``). Nothing here but re-exports.
"""

from toolkit.sql.bind import bind, placeholder_names, to_positional
from toolkit.sql.ddl import ddl_columns, ddl_files, render_ddl
from toolkit.sql.files import sql_dir
from toolkit.sql.hive_types import arrow_to_hive, hive_to_arrow, normalize_hive_type
from toolkit.sql.models import Model, load_model, model_names
from toolkit.sql.params import PARAM_TYPES, Param
from toolkit.sql.queries import NamedQuery, load_query, query_names
from toolkit.sql.readonly import ensure_read_only
from toolkit.sql.render import render_deployment as render_template

__all__ = [
    "PARAM_TYPES", "Model", "NamedQuery", "Param", "arrow_to_hive", "bind", "ddl_columns",
    "ddl_files", "ensure_read_only", "hive_to_arrow", "load_model", "load_query", "model_names",
    "normalize_hive_type", "placeholder_names", "query_names", "render_ddl", "render_template",
    "sql_dir", "to_positional",
]
