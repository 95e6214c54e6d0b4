"""Export original CloudTrail records from the ``events`` table (the analyst's evidence export).

Filters are ``field=value`` on a few safe columns; values are bound as query parameters, never
pasted into SQL. Several values of one field are OR-ed, different fields AND-ed.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator

from toolkit import lake as lakes
from toolkit.cloudtrail import flatten
from toolkit.cloudtrail.records import record_from_row

# filter name -> SQL predicate with one ``?`` parameter (names come only from this table)
FILTERS = {
    "event_id": "event_id = ?",
    "principal_arn": "principal_arn = ?",
    "access_key_id": "access_key_id = ?",
    "source_ip_address": "source_ip_address = ?",
    "event_name": "event_name = ?",
    "event_source": "event_source = ?",
    "account_id": "account_id = ?",
    "aws_region": "aws_region = ?",
    "resource": "list_contains(list_transform(resources, lambda x: x.arn), ?)",
}


def parse_filters(items: Iterable[str]) -> list[tuple[str, str]]:
    """``["field=value", ...]`` -> pairs; a clear ValueError for unknown fields or bad syntax."""
    pairs = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not value:
            raise ValueError(f"filter {item!r} is not field=value")
        if name not in FILTERS:
            raise ValueError(f"unknown filter field {name!r}; use one of {', '.join(FILTERS)}")
        pairs.append((name, value))
    return pairs


def _where(filters) -> tuple[str, list[str]]:
    pairs = parse_filters(filters) if filters and isinstance(next(iter(filters)), str) else list(filters or [])
    groups: dict[str, list[str]] = {}
    for name, value in pairs:
        if name not in FILTERS:
            raise ValueError(f"unknown filter field {name!r}")
        groups.setdefault(name, []).append(value)
    clauses, params = [], []
    for name, values in groups.items():
        clauses.append("(" + " OR ".join([FILTERS[name]] * len(values)) + ")")
        params += values
    return (" AND ".join(clauses) or "true"), params


def export_records(lake: str | lakes.Lake, start, end, filters=None) -> Iterator[dict]:
    """Original records of the days ``start..end`` matching ``filters``, in time order.

    ``filters``: ``["field=value", ...]`` or ``[(field, value), ...]`` (see ``FILTERS``).
    """
    lake = lake if isinstance(lake, lakes.Lake) else lakes.Lake.at(lake)
    where, params = _where(filters)
    con = flatten.connect()
    if lake.is_s3:
        con.register_filesystem(lake.fs)
    for day in lakes.day_range(start, end):
        files = lake.files("events", day)
        if not files:
            continue
        file_list = "[" + ", ".join(flatten.sql_literal(f) for f in files) + "]"
        query = f"SELECT * FROM read_parquet({file_list}) WHERE {where} ORDER BY event_time, event_id"
        reader = con.sql(query, params=params).to_arrow_reader(10_000)
        for batch in reader:
            for row in batch.to_pylist():
                yield record_from_row(row)


def write_export(records: Iterable[dict], out: str, fmt: str) -> int:
    """Write records as CloudTrail ``{"Records": [...]}`` or NDJSON (gzip if out ends .gz)."""
    if fmt not in ("cloudtrail", "ndjson"):
        raise ValueError(f"format must be cloudtrail or ndjson, got {fmt!r}")
    opener = gzip.open if out.endswith(".gz") else open
    count = 0
    with opener(out, "wb") as fh:
        if fmt == "cloudtrail":
            fh.write(b'{"Records":[')
        for record in records:
            if fmt == "cloudtrail":
                fh.write((b"," if count else b"") + _dumps(record))
            else:
                fh.write(_dumps(record) + b"\n")
            count += 1
        if fmt == "cloudtrail":
            fh.write(b"]}\n")
    return count


def _dumps(record: dict) -> bytes:
    """Compact JSON; orjson for speed, json for what orjson refuses (integers beyond 64 bits)."""
    import orjson

    try:
        return orjson.dumps(record)
    except orjson.JSONEncodeError:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
