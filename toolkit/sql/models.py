"""Curated models (``sql/models/<name>.sql``): one SELECT computing one ``dt`` partition, and
its contract in the ``<name>.yml`` sidecar (grain, keys, typed columns, checks)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.sql.bind import placeholder_names
from toolkit.sql.files import read_sidecar, sql_dir
from toolkit.sql.hive_types import hive_to_arrow, normalize_hive_type
from toolkit.sql.meta import check

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Model:
    """One curated model: a SELECT computing one ``dt`` partition, and its YAML contract."""

    name: str
    sql: str
    contract: dict

    @property
    def columns(self) -> list[tuple[str, str]]:
        return [(c["name"], normalize_hive_type(c["type"])) for c in self.contract["columns"]]

    @property
    def keys(self) -> list[str]:
        return list(self.contract.get("keys") or [])

    @property
    def output_table(self) -> str | None:
        """A base table the model writes instead of ``curated/<name>`` (``events_from_raw``)."""
        return self.contract.get("output_table")

    def arrow_schema(self) -> pa.Schema:
        import pyarrow as pa  # heavy: imported on use

        return pa.schema([(name, hive_to_arrow(kind)) for name, kind in self.columns])


def model_names() -> list[str]:
    """Every curated model (``sql/models/cur_*.sql``), sorted."""
    return sorted(p.stem for p in (sql_dir() / "models").glob("cur_*.sql"))


def load_model(name: str) -> Model:
    """Read a model's SQL and contract; the contract must name its grain, keys and columns.

    Any ``sql/models/<name>.sql`` with a contract loads (``events_from_raw`` too); only the
    ``cur_*`` models are built daily (``model_names``).
    """
    path = sql_dir() / "models" / f"{name}.sql"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or not path.is_file():
        raise ValueError(f"unknown model {name!r}; known: {', '.join(model_names())}")
    contract = check(read_sidecar(path), path.with_suffix(".yml"), require_name=False)
    for key in ("grain", "keys", "columns"):
        if not contract.get(key):
            raise ValueError(f"{path.with_suffix('.yml')}: contract needs '{key}'")
    for column in contract["columns"]:  # an unquoted comma in a flow mapping splits a text
        stray = set(column) - {"name", "type", "checks", "description"}
        if stray:
            raise ValueError(f"{path.with_suffix('.yml')}: column {column.get('name')}: unknown "
                             f"key(s) {sorted(map(str, stray))} (quote text holding commas)")
    unknown_keys = set(contract["keys"]) - {c["name"] for c in contract["columns"]}
    if unknown_keys:
        raise ValueError(f"{path.with_suffix('.yml')}: keys not among columns: {sorted(unknown_keys)}")
    sql = path.read_text()
    if placeholder_names(sql) != ["day"]:
        raise ValueError(f"{path} must use exactly one parameter, :day (the dt it computes)")
    return Model(name, sql, contract)
