"""SQL over the raw ``cloudtrail_raw`` table: the Athena model and the DuckDB view behind it.

``sql/models/events_from_raw.sql`` (Athena dialect) is generated from ``schema.EVENTS_SCHEMA``
by ``events_from_raw_sql()`` so it cannot drift from the events columns; a test checks that the
file equals the generator's output and that, transpiled to DuckDB over the view from
``toolkit.engines.duck.duckdb_raw_view_sql``, it yields the same rows as the ingest on the raw fixtures.

``cloudtrail_raw`` has one row per delivery file: ``line`` (the file's JSON text), the
partition columns ``account``, ``region``, ``day`` (``yyyy/MM/dd``) and Athena's ``"$path"``.
"""

from __future__ import annotations

import pyarrow as pa

from toolkit.cloudtrail import schema

HEADER = """\
-- events_from_raw: the curated `events` rows of day :day computed inside Athena from the raw
-- delivery files (table cloudtrail_raw), for organizations whose daily volume outgrows one
-- worker (`trailwatch ingest --engine athena`). Same rows as `trailwatch ingest` (tested on
-- DuckDB over the raw fixtures): the day's records from the delivery folders day-1..day+1, one
-- row per eventID (the copy with the smallest source key, then the first in its file).
-- GENERATED from toolkit/cloudtrail/schema.py by toolkit.cloudtrail.raw_sql.events_from_raw_sql;
-- edit the generator, not this file. Differences from the Python ingest: `record` holds the
-- record as Athena re-serializes it (same JSON value, not the delivered bytes: use the Python
-- ingest for byte-exact evidence exports), `source_listed` is NULL (no digest check), and
-- records without eventID or eventTime are dropped here (the Python ingest quarantines them).
"""


def _scalar(path: str, typ: pa.DataType, var: str = "rec") -> str:
    if pa.types.is_boolean(typ):
        return f"cast(json_extract({var}, '{path}') as boolean)"
    return f"json_extract_scalar({var}, '{path}')"


def _hive(typ: pa.DataType) -> str:
    if pa.types.is_struct(typ):
        return "row(" + ", ".join(f"{f.name} {_hive(f.type)}" for f in typ) + ")"
    if pa.types.is_list(typ):
        return f"array({_hive(typ.value_type)})"
    return "boolean" if pa.types.is_boolean(typ) else "varchar"


def _struct(json_path: str, typ: pa.DataType, col_path: str, var: str = "rec") -> str:
    """A row built field by field from JSON (NULL when the object is absent)."""
    parts = []
    for f in typ:
        sub = f"{col_path}.{f.name}"
        path = f"{json_path}.{schema.json_key(sub)}"
        if sub in schema.JSON_TEXT_FIELDS:
            parts.append(f"json_format(json_extract({var}, '{path}'))")
        elif pa.types.is_struct(f.type):
            parts.append(_struct(path, f.type, sub, var))
        else:
            parts.append(_scalar(path, f.type, var))
    return (f"case when json_extract({var}, '{json_path}') is null then null else "
            f"cast(row({', '.join(parts)}) as {_hive(typ)}) end")


def _column(name: str) -> str:
    typ = schema.EVENTS_SCHEMA.field(name).type
    key = f"$.{schema.json_key(name)}"
    if name == "event_time":
        return "event_time"
    if name in schema.FREE_FORM_COLUMNS:
        return f"json_format(json_extract(rec, '{key}'))"
    if name == "resources":
        item = _struct("$", typ.value_type, "resources", var="x")
        return f"transform(cast(json_extract(rec, '{key}') as array(json)), x -> {item})"
    if pa.types.is_struct(typ):
        return _struct(key, typ, name)
    return _scalar(key, typ)


def events_from_raw_sql() -> str:
    """The Athena SQL of the events_from_raw model (one ``:day`` parameter)."""
    direct = schema.record_columns()
    typed = ",\n    ".join(f"{_column(c)} as {c}" for c in direct if c != "event_time")
    flat = schema.FLAT_IDENTITY_COLUMNS
    final_cols = ",\n    ".join(
        f"user_identity.{'.'.join(flat[name])} as {name}" if name in flat else name
        for name in schema.EVENT_COLUMNS)
    return HEADER + f"""with files as (
  -- delivery folders are dated by delivery: events of :day sit in day-1 .. day+1
  select "$path" as path, line
  from cloudtrail_raw
  where day between date_format(date(:day) - interval '1' day, '%Y/%m/%d')
                and date_format(date(:day) + interval '1' day, '%Y/%m/%d')
),

records as (
  select
    substr(path, strpos(path, 'AWSLogs/')) as source_file,
    r.rec,
    r.n - 1 as record_index
  from files
  cross join unnest(cast(json_extract(line, '$.Records') as array(json))) with ordinality as r (rec, n)
),

timed as (
  select
    *,
    cast(from_iso8601_timestamp(json_extract_scalar(rec, '$.eventTime')) as timestamp) as event_time
  from records
),

typed as (
  select
    {typed},
    event_time,
    source_file,
    record_index,
    cast(null as boolean) as source_listed,
    json_format(rec) as record
  from timed
  where json_extract_scalar(rec, '$.eventID') is not null
    and date(event_time) = date(:day)
),

deduped as (
  -- CloudTrail delivers at least once and org/account trails overlap: keep one copy, chosen
  -- deterministically
  select *, row_number() over (partition by event_id order by source_file, record_index) as copy_n
  from typed
),

final as (
  select
    {final_cols}
  from deduped
  where copy_n = 1
)

select * from final
"""
