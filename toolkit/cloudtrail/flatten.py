"""Flatten CloudTrail records (JSON text) into ``events`` rows with DuckDB — losslessly.

One SQL definition, generated from ``schema.EVENTS_SCHEMA``, serves the ingest and
``events_from_records``. Each record is parsed once into a typed struct (``from_json`` with an
explicit structure) and its free-form objects are cut out as exact JSON text. Lossless by
construction: a top-level key whose value the typed columns cannot reproduce exactly (unknown
key, unexpected JSON type, explicit ``null``, a nested field the struct does not know, an
``eventTime`` not in AWS's canonical form) is also kept verbatim in ``extra`` — the export
prefers ``extra`` — so ``export`` rebuilds every record as the same JSON value.

Input relation: ``recs(source_file VARCHAR, record_index BIGINT, r VARCHAR)``.
Output: every ``EVENTS_SCHEMA`` column plus ``record_index`` and ``bad_reason`` (NULL for a
good record; otherwise why the record cannot be an event: it goes to quarantine).
"""

from __future__ import annotations

import json

import pyarrow as pa

from toolkit.cloudtrail import schema

# Shapes the typed structs reproduce exactly (as produced by DuckDB's json_structure), for the
# fields stored as JSON text inside a struct: webIdFederationData.attributes is almost always {}.
_JSON_TEXT_ALLOWED = {
    "user_identity.in_scope_of": {"sourceArn": "VARCHAR", "sourceAccount": "VARCHAR",
                                  "issuerType": "VARCHAR", "credentialsIssuedTo": "VARCHAR"},
    "user_identity.session_context.web_id_federation_data.attributes": {},
}
NESTED = ("user_identity", "tls_details", "resources")


def sql_literal(text: str) -> str:
    """A SQL string literal, quotes doubled (for repo constants and listed file URLs only)."""
    return "'" + text.replace("'", "''") + "'"


_q = sql_literal
EVENT_COLUMNS = schema.EVENT_COLUMNS


def _parse_structure(typ: pa.DataType, path: str):
    """from_json structure (JSON keys) for a column type: strings stay exact, structs recurse."""
    if pa.types.is_struct(typ):
        return {schema.json_key(f"{path}.{f.name}"): _parse_structure(f.type, f"{path}.{f.name}")
                for f in typ}
    if pa.types.is_list(typ):
        return [_parse_structure(typ.value_type, path)]
    if pa.types.is_boolean(typ):
        return "BOOLEAN"
    return "VARCHAR"


def _allowed_structure(typ: pa.DataType, path: str):
    """json_structure of any value the typed struct reproduces exactly."""
    if path in _JSON_TEXT_ALLOWED:
        return _JSON_TEXT_ALLOWED[path]
    if pa.types.is_struct(typ):
        return {schema.json_key(f"{path}.{f.name}"): _allowed_structure(f.type, f"{path}.{f.name}")
                for f in typ}
    if pa.types.is_list(typ):
        return [_allowed_structure(typ.value_type, path)]
    return "BOOLEAN" if pa.types.is_boolean(typ) else "VARCHAR"


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


def _expected_type(typ: pa.DataType) -> str:
    if pa.types.is_struct(typ):
        return "OBJECT"
    if pa.types.is_list(typ):
        return "ARRAY"
    return "BOOLEAN" if pa.types.is_boolean(typ) else "VARCHAR"


def _typed_keys() -> list[tuple[str, str, pa.DataType]]:
    """(json key, column, type) of top-level keys parsed into typed columns."""
    return [(k, c, schema.EVENTS_SCHEMA.field(c).type) for k, c in schema.RECORD_KEYS.items()
            if c not in schema.FREE_FORM_COLUMNS]


def flatten_sql(source: str = "recs") -> str:
    """The SELECT turning ``source`` (a recs-shaped relation) into events rows (DuckDB dialect; TimeZone must be UTC)."""
    typed = _typed_keys()
    struct = {k: _parse_structure(t, c) for k, c, t in typed}
    free = [(k, c) for k, c in schema.RECORD_KEYS.items() if c in schema.FREE_FORM_COLUMNS]
    pos = {c: i + 1 for i, (_, c, _) in enumerate(typed)}
    type_paths = "[" + ", ".join(_q(f"$.{k}") for k, _, _ in typed) + "]"
    free_paths = "[" + ", ".join(_q(f"$.{k}") for k, _ in free) + "]"
    nested_paths = "[" + ", ".join(_q(f"$.{schema.json_key(c)}") for c in NESTED) + "]"

    verbatim = []
    for k, c, t in typed:
        ok = f"coalesce(t[{pos[c]}], 'MISSING') IN ('MISSING', '{_expected_type(t)}')"
        if c in NESTED:
            allowed = json.dumps(_allowed_structure(t, c), separators=(",", ":"))
            raw = f"nested[{NESTED.index(c) + 1}]"
            if c == "resources":  # arrays: json_structure merges elements, so also refuse nulls
                exact = (f"({raw} = '[]' OR (json_contains({_q(allowed)}, json_structure({raw}))"
                         f" AND NOT contains({raw}, ':null')))")
            else:  # an empty object shows as "JSON": the struct rebuilds {} exactly
                exact = f"json_contains({_q(allowed)}, replace(json_structure({raw}), '\"JSON\"', '{{}}'))"
            ok = f"({ok} AND ({raw} IS NULL OR {exact}))"
        if c == "event_time":
            ok = f"({ok} AND (s.eventTime IS NULL OR strftime(ts, '%Y-%m-%dT%H:%M:%SZ') IS NOT DISTINCT FROM s.eventTime))"
        verbatim.append(f"CASE WHEN NOT {ok} THEN {_q(k)} END")
    known = "[" + ", ".join(_q(k) for k in schema.RECORD_KEYS) + "]"

    cols = []
    for name in schema.EVENT_COLUMNS:
        typ = schema.EVENTS_SCHEMA.field(name).type
        if name == "event_time":
            expr = "ts"
        elif name in schema.FREE_FORM_COLUMNS:
            expr = f"CAST(ff[{[c for _, c in free].index(name) + 1}] AS VARCHAR)"
        elif name in schema.FLAT_IDENTITY_COLUMNS:
            expr = "user_identity." + ".".join(schema.FLAT_IDENTITY_COLUMNS[name])
        elif name in ("extra", "source_file", "user_identity"):
            expr = name
        else:
            raw = f"s.{_ident(schema.json_key(name))}"
            expr = _snake(raw, typ, name)
            if pa.types.is_struct(typ) or pa.types.is_list(typ):  # garbage from a wrong type -> NULL
                expr = f"(CASE WHEN t[{pos[name]}] = '{_expected_type(typ)}' THEN {expr} END)"
        cols.append(f"{expr} AS {name}")

    parse = f"""
    SELECT source_file, record_index, r,
           from_json(r, {_q(json.dumps(struct, separators=(',', ':')))}) AS s,
           json_type(r, {type_paths}) AS t,
           json_extract(r, {free_paths}) AS ff,
           json_extract(r, {nested_paths}) AS nested,
           json_keys(r) AS k
    FROM {source}"""
    user_identity = _snake('s."userIdentity"', schema.USER_IDENTITY, "user_identity")
    return f"""
WITH parsed AS ({parse}
), timed AS (
    SELECT *, try_cast(s.eventTime AS TIMESTAMPTZ) AS ts,
           (CASE WHEN t[{pos['user_identity']}] = 'OBJECT' THEN {user_identity} END) AS user_identity
    FROM parsed
), checked AS (
    SELECT *, list_filter([{', '.join(verbatim)}], lambda x: x IS NOT NULL) AS verbatim_keys
    FROM timed
), kept AS (
    SELECT *, list_filter(k, lambda x: NOT list_contains({known}, x) OR list_contains(verbatim_keys, x)) AS extra_keys
    FROM checked
), final AS (
    SELECT *,
        CASE WHEN len(extra_keys) > 0 THEN '{{' || array_to_string(list_transform(extra_keys,
            lambda x: to_json(x) || ':' || json_extract(r, '/' || replace(replace(x, '~', '~0'), '/', '~1'))
        ), ',') || '}}' END AS extra,
        CASE WHEN NOT starts_with(r, '{{') THEN 'record is not a JSON object'
             WHEN t[{pos['event_id']}] IS DISTINCT FROM 'VARCHAR' THEN 'record has no eventID string'
             WHEN ts IS NULL THEN 'record has no valid eventTime'
        END AS bad_reason
    FROM kept
)
SELECT {', '.join(cols)}, record_index, bad_reason,
       CASE WHEN bad_reason IS NOT NULL THEN r END AS bad_record
FROM final"""


def connect(threads: int | None = None, memory_limit: str | None = None,
            temp_dir: str | None = None, database: str = ":memory:"):
    """A DuckDB connection set up for CloudTrail work (UTC, bounded memory, spill dir)."""
    import duckdb

    con = duckdb.connect(database)
    con.execute("SET TimeZone='UTC'")
    if threads:
        con.execute(f"SET threads={int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit={_q(memory_limit)}")
    if temp_dir:
        con.execute(f"SET temp_directory={_q(temp_dir)}")
    con.execute("SET preserve_insertion_order=false")
    # Already off in a Jupyter kernel without ipywidgets, where DuckDB refuses to change it
    # (the report notebooks export evidence through this connection).
    if con.execute("select current_setting('enable_progress_bar')").fetchall()[0][0]:
        con.execute("SET enable_progress_bar=false")
    return con


def events_from_records(records: list[dict], source_file: str = "inline") -> pa.Table:
    """Flatten record dicts into an ``EVENTS_SCHEMA`` table with the ingest's own SQL.

    For rule tests and small fixtures. Raises ValueError naming the first record that is not
    an event (no eventID / eventTime), since a test that crafts one wants to know.
    """
    import orjson

    texts = pa.table({
        "source_file": pa.array([source_file] * len(records), pa.string()),
        "record_index": pa.array(range(len(records)), pa.int64()),
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
