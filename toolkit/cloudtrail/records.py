"""Rebuild original CloudTrail records from ``events`` rows (the inverse of ``flatten``)."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from toolkit.cloudtrail import schema


def _value(value: Any, typ: pa.DataType, path: str) -> Any:
    """A column value back in CloudTrail's JSON shape (keys, nesting, JSON text parsed)."""
    if path in schema.JSON_TEXT_FIELDS or path in schema.FREE_FORM_COLUMNS:
        return json.loads(value)
    if pa.types.is_struct(typ):  # a non-NULL struct with every field NULL was {}
        return {schema.json_key(f"{path}.{f.name}"): _value(value[f.name], f.type, f"{path}.{f.name}")
                for f in typ if value.get(f.name) is not None}
    if pa.types.is_list(typ):
        return [_value(v, typ.value_type, path) for v in value]
    if pa.types.is_timestamp(typ):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def record_from_row(row: dict) -> dict:
    """The original record of one events row (as a dict from ``Table.to_pylist()``)."""
    record = {}
    for key, column in schema.RECORD_KEYS.items():
        value = row.get(column)
        if value is not None:
            record[key] = _value(value, schema.EVENTS_SCHEMA.field(column).type, column)
    if row.get("extra"):
        record.update(json.loads(row["extra"]))  # verbatim keys win over typed columns
    return record
