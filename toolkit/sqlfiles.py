"""The repo's SQL files: DDL templates, curated models with contracts, named queries.

Everything here is text handling (no engine, no I/O beyond reading files under ``sql/``):

* ``render_template`` fills DDL with *deployment* values only (``{{ database }}``, ``{{ lake }}``,
  ``{{ raw }}``); analyst-typed values never go through it.
* ``to_positional`` turns ``:name`` placeholders into ``?`` and returns the names in order, so
  engines bind values positionally (DuckDB prepared statements, Athena execution parameters).
* ``load_model`` / ``load_query`` read ``sql/models/<name>.sql`` + ``.yml`` and
  ``sql/queries/<name>.sql`` (a YAML header in ``--`` comments declares typed parameters).
* ``hive_to_arrow`` / ``arrow_to_hive``: the one mapping between Athena DDL types and Parquet.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


def sql_dir() -> Path:
    """The ``sql/`` folder shipped with the package (``TRAILWATCH_SQL_DIR`` overrides it)."""
    override = os.environ.get("TRAILWATCH_SQL_DIR")
    if not override:
        from toolkit.resources import folder

        return folder("sql")
    path = Path(override)
    if not path.is_dir():
        raise FileNotFoundError(f"TRAILWATCH_SQL_DIR={path} is not a folder")
    return path


# --- placeholders --------------------------------------------------------------------------

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


# --- deployment templating (DDL) -------------------------------------------------------------

_TEMPLATE_VAR = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_DATABASE = re.compile(r"^[a-z_][a-z0-9_]{0,254}$")
_LOCATION = re.compile(r"^[^'\"\s\\]+$")


def render_template(text: str, values: dict[str, str]) -> str:
    """Fill ``{{ name }}`` with deployment values; unknown names and unsafe values are errors."""
    for key, value in values.items():
        pattern = _DATABASE if key == "database" else _LOCATION
        if value is not None and not pattern.match(str(value)):
            raise ValueError(f"unsafe {key} value for SQL templates: {value!r}")

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if values.get(key) is None:
            raise ValueError(f"template needs a value for {{{{ {key} }}}}")
        return str(values[key]).rstrip("/")

    return _TEMPLATE_VAR.sub(fill, text)


def ddl_files() -> dict[str, Path]:
    """Table name -> DDL file (``sql/ddl/<table>.sql``)."""
    return {p.stem: p for p in sorted((sql_dir() / "ddl").glob("*.sql"))}


def render_ddl(table: str, *, database: str, lake: str, raw: str | None = None) -> str:
    """The DDL of one table, rendered for a deployment."""
    files = ddl_files()
    if table not in files:
        raise ValueError(f"no DDL for table {table!r}; known: {', '.join(files)}")
    return render_template(files[table].read_text(), {"database": database, "lake": lake, "raw": raw})


def ddl_columns(ddl: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(data columns, partition columns) of a CREATE EXTERNAL TABLE, as (name, hive type)."""
    body = _strip_comments(ddl)
    start = body.index("(", body.lower().index("table"))
    columns, end = _column_list(body, start)
    partitions: list[tuple[str, str]] = []
    match = re.search(r"partitioned\s+by\s*\(", body[end:], re.I)
    if match:
        partitions, _ = _column_list(body, end + match.end() - 1)
    return columns, partitions


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


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


# --- types: Athena (Hive DDL) <-> Arrow ------------------------------------------------------

_SCALARS = {
    "string": "string", "varchar": "string", "bigint": "int64", "int": "int32",
    "integer": "int32", "smallint": "int16", "tinyint": "int8", "double": "float64",
    "float": "float32", "boolean": "bool_", "date": "date32",
}


def normalize_hive_type(text: str) -> str:
    """Canonical spelling of a Hive type: lowercase, no spaces."""
    return re.sub(r"\s+", "", text).lower()


def hive_to_arrow(text: str) -> pa.DataType:
    """Arrow type of an Athena DDL type (``timestamp`` -> microseconds UTC, as the lake writes)."""
    import pyarrow as pa

    t = normalize_hive_type(text)
    if t in _SCALARS:
        return getattr(pa, _SCALARS[t])()
    if t == "timestamp":
        return pa.timestamp("us", tz="UTC")
    if t.startswith("array<") and t.endswith(">"):
        return pa.list_(hive_to_arrow(t[6:-1]))
    if t.startswith("struct<") and t.endswith(">"):
        fields = [f.split(":", 1) for f in _split_top(t[7:-1])]
        return pa.struct([(name, hive_to_arrow(kind)) for name, kind in fields])
    if t.startswith("map<") and t.endswith(">"):
        key, value = _split_top(t[4:-1])
        return pa.map_(hive_to_arrow(key), hive_to_arrow(value))
    raise ValueError(f"unsupported Athena type {text!r}")


def arrow_to_hive(dtype: pa.DataType) -> str:
    """Athena DDL type of an Arrow type (the inverse of ``hive_to_arrow``)."""
    import pyarrow as pa

    if pa.types.is_timestamp(dtype):
        return "timestamp"
    if pa.types.is_large_string(dtype) or pa.types.is_string(dtype):
        return "string"
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        return f"array<{arrow_to_hive(dtype.value_type)}>"
    if pa.types.is_struct(dtype):
        inner = ",".join(f"{f.name}:{arrow_to_hive(f.type)}" for f in dtype)
        return f"struct<{inner}>"
    if pa.types.is_map(dtype):
        return f"map<{arrow_to_hive(dtype.key_type)},{arrow_to_hive(dtype.item_type)}>"
    for hive, arrow_name in _SCALARS.items():
        if hive in ("varchar", "integer"):
            continue
        if dtype == getattr(pa, arrow_name)():
            return hive
    raise ValueError(f"no Athena type for Arrow type {dtype}")


def _split_top(text: str) -> list[str]:
    """Split on commas that are not nested inside ``<...>``."""
    parts, depth, current = [], 0, []
    for ch in text:
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


# --- curated models and their contracts ------------------------------------------------------

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
        import pyarrow as pa

        return pa.schema([(name, hive_to_arrow(kind)) for name, kind in self.columns])


def model_names() -> list[str]:
    """Every curated model (``sql/models/cur_*.sql``), sorted."""
    return sorted(p.stem for p in (sql_dir() / "models").glob("cur_*.sql"))


def load_model(name: str) -> Model:
    """Read a model's SQL and contract; the contract must name its grain, keys and columns.

    Any ``sql/models/<name>.sql`` with a contract loads (``events_from_raw`` too); only the
    ``cur_*`` models are built daily (``model_names``).
    """
    import yaml

    base = sql_dir() / "models" / name
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or not base.with_suffix(".sql").is_file():
        raise ValueError(f"unknown model {name!r}; known: {', '.join(model_names())}")
    contract = yaml.safe_load(base.with_suffix(".yml").read_text())
    for key in ("grain", "keys", "columns"):
        if not contract.get(key):
            raise ValueError(f"{base}.yml: contract needs '{key}'")
    unknown_keys = set(contract["keys"]) - {c["name"] for c in contract["columns"]}
    if unknown_keys:
        raise ValueError(f"{base}.yml: keys not among columns: {sorted(unknown_keys)}")
    sql = base.with_suffix(".sql").read_text()
    if placeholder_names(sql) != ["day"]:
        raise ValueError(f"{base}.sql must use exactly one parameter, :day (the dt it computes)")
    return Model(name, sql, contract)


# --- named queries with typed parameters -----------------------------------------------------

_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12}|aws)?:\S+$")
_ACCESS_KEY = re.compile(r"^[A-Z0-9]{16,128}$")
_ACCOUNT = re.compile(r"^\d{12}$")


def _as_ip(value: str) -> str:
    return str(ipaddress.ip_address(value.strip()))


def _as_timestamp(value: str) -> str:
    parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    # Milliseconds: what Athena's from_iso8601_timestamp and timestamps carry.
    return parsed.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _matching(pattern: re.Pattern, what: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"not a valid {what}")
        return value
    return check


def _as_bool(value: str) -> bool:
    lowered = str(value).strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError("expected true or false")


# Parameter type -> converter from the analyst's text to the value that gets bound.
# Dates stay 'YYYY-MM-DD' strings because ``dt`` partitions are varchar; timestamps become
# ISO-8601 UTC strings that the SQL reads with from_iso8601_timestamp(:name).
PARAM_TYPES = {
    "string": str,
    "int": int,
    "float": float,
    "bool": _as_bool,
    "date": lambda v: _parse_date(v).isoformat(),
    "timestamp": _as_timestamp,
    "arn": _matching(_ARN, "ARN (arn:aws:<service>:<region>:<account>:<resource>)"),
    "access_key_id": _matching(_ACCESS_KEY, "access key id (16-128 uppercase letters/digits)"),
    "account_id": _matching(_ACCOUNT, "AWS account id (12 digits)"),
    "ip": _as_ip,
}


def _parse_date(value) -> dt.date:
    from toolkit.lake import parse_day

    return parse_day(value)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str = ""
    default: Any = None

    def coerce(self, value: Any) -> Any:
        """Convert and validate one value; a bad value is a ValueError naming the parameter."""
        try:
            return PARAM_TYPES[self.type](value if not isinstance(value, str) else value.strip())
        except (ValueError, TypeError) as exc:
            raise ValueError(f"parameter {self.name} ({self.type}): {value!r}: {exc}") from None


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


def query_names() -> list[str]:
    return sorted(p.stem for p in (sql_dir() / "queries").glob("*.sql"))


def load_query(name: str) -> NamedQuery:
    """Parse a named query file: a YAML header in leading ``--`` comments, then the SQL."""
    import yaml

    if name not in query_names():
        raise ValueError(f"unknown query {name!r}; known: {', '.join(query_names())}")
    path = sql_dir() / "queries" / f"{name}.sql"
    header, body = [], []
    for line in path.read_text().splitlines():
        if not body and line.startswith("--"):
            header.append(line[3:] if line.startswith("-- ") else line[2:])
        else:
            body.append(line)
    meta = yaml.safe_load("\n".join(header)) or {}
    params = {}
    for pname, spec in (meta.get("params") or {}).items():
        if spec.get("type") not in PARAM_TYPES:
            raise ValueError(f"{path}: parameter {pname} has unknown type {spec.get('type')!r}")
        params[pname] = Param(pname, spec["type"], spec.get("description", ""), spec.get("default"))
    sql = "\n".join(body).strip()
    used = set(placeholder_names(sql))
    if used != set(params):
        raise ValueError(f"{path}: declared params {sorted(params)} != used {sorted(used)}")
    return NamedQuery(name, meta.get("description", "").strip(), sql, params)


def ensure_read_only(sql: str) -> None:
    """Accept one SELECT (or WITH/UNION) statement in Athena SQL; refuse anything else."""
    import sqlglot
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise ValueError(f"SQL does not parse as Athena SQL: {exc}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ValueError("only one read-only query (SELECT / WITH ... SELECT) can be run here")
