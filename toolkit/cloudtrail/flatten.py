"""Flatten CloudTrail records into ``events`` rows with DuckDB — the one SQL for every path.

Each record is parsed once (``from_json`` with an explicit structure from ``schema``): typed
query columns, free-form objects (``requestParameters``, ...) as compact JSON text, and the
record's original text kept untouched in ``record``. The typed columns serve queries; the
``record`` column is the evidence (the export writes it byte for byte), so a value of an odd
type or a field AWS adds later never needs a lossless typed home. A filter on ``bad_reason``
above this SELECT is pushed down by DuckDB as a copy of the parse (every record parsed twice):
a caller that filters turns the ``filter_pushdown`` optimizer off for that query (the ingest
does; materializing the parse instead costs a copy of every row, ~25% of a batch's time).

Input relation: ``recs(source_file VARCHAR, record_index BIGINT, source_listed BOOLEAN, r VARCHAR)``.
Output: every ``EVENTS_SCHEMA`` column plus ``bad_reason`` (NULL for a good record; otherwise
why the record cannot be an event: it goes to quarantine).
"""

from __future__ import annotations

import json

import pyarrow as pa

from toolkit.cloudtrail import schema
from toolkit.engines.duckdb_connection import duckdb_connection


def sql_literal(text: str) -> str:
    """A SQL string literal, quotes doubled (for repo constants and listed file URLs only)."""
    return "'" + text.replace("'", "''") + "'"


_q = sql_literal
EVENT_COLUMNS = schema.EVENT_COLUMNS


def _parse_structure(typ: pa.DataType, path: str):
    """from_json structure (JSON keys) for a column type: strings stay text, structs recurse."""
    if pa.types.is_struct(typ):
        return {schema.json_key(f"{path}.{f.name}"): _parse_structure(f.type, f"{path}.{f.name}")
                for f in typ}
    if pa.types.is_list(typ):
        return [_parse_structure(typ.value_type, path)]
    if pa.types.is_boolean(typ):
        return "BOOLEAN"
    return "VARCHAR"


def _snake(expr: str, typ: pa.DataType, path: str) -> str:
    """Rename a parsed struct's JSON keys to the schema's snake_case fields (NULL stays NULL)."""
    if pa.types.is_struct(typ):
        fields = ", ".join(
            f"{f.name} := {_snake(f'{expr}.{_ident(schema.json_key(path + chr(46) + f.name))}', f.type, path + '.' + f.name)}"
            for f in typ)
        return f"(CASE WHEN {expr} IS NULL THEN NULL ELSE struct_pack({fields}) END)"
    if pa.types.is_list(typ):
        return f"list_transform({expr}, lambda x: {_snake('x', typ.value_type, path)})"
    return expr


def _ident(name: str) -> str:
    return '"' + name + '"'


def record_structure() -> str:
    """The from_json structure of a record: every column that is a top-level record key."""
    struct = {k: _parse_structure(schema.EVENTS_SCHEMA.field(c).type, c)
              for k, c in schema.RECORD_KEYS.items()}
    return json.dumps(struct, separators=(",", ":"))


def _column(name: str) -> str:
    typ = schema.EVENTS_SCHEMA.field(name).type
    if name == "event_time":
        return "ts"
    if name in schema.FLAT_IDENTITY_COLUMNS:
        return "user_identity." + ".".join(schema.FLAT_IDENTITY_COLUMNS[name])
    if name == "record":
        return "r"
    if name in schema.BOOKKEEPING_COLUMNS or name == "user_identity":
        return name
    return _snake(f"s.{_ident(schema.json_key(name))}", typ, name)


def flatten_sql(source: str = "recs") -> str:
    """The SELECT turning ``source`` (a recs-shaped relation) into events rows (DuckDB; TimeZone UTC)."""
    cols = ", ".join(f"{_column(name)} AS {name}" for name in schema.EVENT_COLUMNS)
    user_identity = _snake('s."userIdentity"', schema.USER_IDENTITY, "user_identity")
    return f"""
WITH parsed AS (
    SELECT source_file, record_index, source_listed, r,
           CASE WHEN starts_with(r, '{{') THEN from_json(r, {_q(record_structure())}) END AS s
    FROM {source}
), timed AS (
    SELECT *, try_cast(s.eventTime AS TIMESTAMPTZ) AS ts, {user_identity} AS user_identity
    FROM parsed
)
SELECT {cols},
    CASE WHEN s IS NULL THEN 'record is not a JSON object'
         WHEN s.eventID IS NULL THEN 'record has no eventID string'
         WHEN ts IS NULL THEN 'record has no valid eventTime'
    END AS bad_reason
FROM timed"""


def connect(threads: int | None = None, memory_limit: str | None = None,
            temp_dir: str | None = None, database: str = ":memory:"):
    """A DuckDB connection set up for CloudTrail work (UTC, bounded memory, spill dir, insertion
    order not kept: the ingest orders what it writes itself; no I/O thread pool: it reads local
    scratch files and Arrow batches, and idle pool threads cost the other threads page faults)."""
    return duckdb_connection(database, threads=threads, memory_limit=memory_limit,
                             temp_dir=temp_dir, preserve_insertion_order=False, async_threads=0)


def events_from_records(records: list[dict], source_file: str = "inline") -> pa.Table:
    """Flatten record dicts into an ``EVENTS_SCHEMA`` table with the ingest's own SQL.

    For rule tests and small fixtures. Raises ValueError naming the first record that is not
    an event (no eventID / eventTime), since a test that crafts one wants to know.
    """
    import orjson

    texts = pa.table({
        "source_file": pa.array([source_file] * len(records), pa.string()),
        "record_index": pa.array(range(len(records)), pa.int64()),
        "source_listed": pa.nulls(len(records), pa.bool_()),
        "r": pa.array([orjson.dumps(rec).decode() for rec in records], pa.string()),
    })
    con = connect()
    con.register("recs", texts)
    out = con.sql(flatten_sql() + " ORDER BY record_index").to_arrow_table()
    bad = [(i, why) for i, why in zip(out["record_index"].to_pylist(), out["bad_reason"].to_pylist(), strict=True) if why]
    if bad:
        raise ValueError(f"record {bad[0][0]} of {source_file}: {bad[0][1]}")
    return to_events_schema(out)


def to_events_schema(table: pa.Table) -> pa.Table:
    """Select and cast the events columns in schema order."""
    return table.select(list(schema.EVENT_COLUMNS)).cast(schema.EVENTS_SCHEMA)
