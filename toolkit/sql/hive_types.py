"""The one mapping between Athena DDL (Hive) types and Arrow types, as the lake writes them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

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
    import pyarrow as pa  # heavy: imported on use, so importing toolkit.sql stays light

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
    import pyarrow as pa  # heavy: imported on use

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
