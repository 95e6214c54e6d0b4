"""Export original CloudTrail records from the ``events`` table (the analyst's evidence export).

Each record is written as the exact text AWS delivered (the ``record`` column), inside a
``{"Records":[...]}`` envelope or one per line (NDJSON). ``with_source`` adds where each came
from: the delivered file's key, the record's index in it, the file's SHA-256 (of its
uncompressed content, as digests hash it) and the digest that lists it — in a parallel
``"Sources"`` array (CloudTrail format, ``Records`` untouched) or as ``{"source":..,"record":..}``
lines (NDJSON). NDJSON holds one record per line, so a record delivered indented over several
lines (never the case for AWS's compact files) loses the whitespace between its tokens there;
the CloudTrail format keeps it. Output is written aside and renamed: never a partial file.

Filters are ``field=value`` on a few safe columns; values are bound as query parameters, never
pasted into SQL. Several values of one field are OR-ed, different fields AND-ed.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import uuid
from collections.abc import Iterable, Iterator

from toolkit import lake as lakes
from toolkit.cloudtrail import flatten, logfiles
from toolkit.cloudtrail.fileindex import load_index

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


def export_records(lake: str | lakes.Lake, start, end, filters=None,
                   with_source: bool = False) -> Iterator:
    """Original records of the days ``start..end`` matching ``filters``, in time order.

    Yields each record's delivered JSON text (str); with ``with_source``, ``(text, source)``
    pairs where ``source`` is the provenance dict. ``filters``: ``["field=value", ...]`` or
    ``[(field, value), ...]`` (see ``FILTERS``).
    """
    lake = lake if isinstance(lake, lakes.Lake) else lakes.Lake.at(lake)
    where, params = _where(filters)
    con = flatten.connect()
    if lake.is_s3:
        con.register_filesystem(lake.fs)
    files_index: dict = {}
    held = set(lake.days("events"))  # one manifest read, not one plan per day of a long range
    for day in (d for d in lakes.day_range(start, end) if d in held):
        files = lake.files("events", day)
        if not files:
            continue
        query = (f"SELECT record, source_file, record_index, source_listed "
                 f"FROM read_parquet(?) WHERE {where} ORDER BY event_time, event_id")
        for batch in con.sql(query, params=[files, *params]).to_arrow_reader(10_000):
            rows = zip(*(batch.column(i).to_pylist() for i in range(4)), strict=True)
            for text, key, index, listed in rows:
                if with_source:
                    yield text, _source(lake, files_index, key, index, listed)
                else:
                    yield text


def _source(lake: lakes.Lake, files_index: dict, key: str, index: int, listed) -> dict:
    """Provenance of one record, from the ingest's file index (loaded once per folder)."""
    folder = logfiles.folder_day(key)
    if folder not in files_index:
        files_index[folder] = load_index(lake, [folder]) if folder else {}
    entry = files_index[folder].get(key, {})
    return {"source_file": key, "record_index": index, "file_sha256": entry.get("sha256"),
            "digest": entry.get("digest"), "listed_in_digest": listed}


def write_export(records: Iterable, out: str, fmt: str) -> int:
    """Write records as CloudTrail ``{"Records": [...]}`` or NDJSON (gzip if out ends .gz).

    Items are record texts (written byte for byte), ``(text, source)`` pairs from
    ``export_records(with_source=True)``, or dicts (serialized compactly). The file is
    written aside and renamed into place, so a failure never leaves a partial ``out``.
    """
    if fmt not in ("cloudtrail", "ndjson"):
        raise ValueError(f"format must be cloudtrail or ndjson, got {fmt!r}")
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"output folder {folder} does not exist; create it or pick another --out")
    tmp = os.path.join(folder, f".{os.path.basename(out)}.{uuid.uuid4().hex[:8]}.part")
    try:
        count = _write(records, tmp, fmt, gzip.open if out.endswith(".gz") else open)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return count


def _write(records: Iterable, path: str, fmt: str, opener) -> int:
    count, sources = 0, []
    with opener(path, "wb") as fh:
        if fmt == "cloudtrail":
            fh.write(b'{"Records":[')
        for item in records:
            text, source = item if isinstance(item, tuple) else (item, None)
            data = text.encode() if isinstance(text, str) else _dumps(text)
            if fmt == "cloudtrail":
                fh.write((b"," if count else b"") + data)
                if source is not None:
                    sources.append(source)
                count += 1
                continue
            if b"\n" in data or b"\r" in data:  # an indented delivery: NDJSON needs one line
                data = one_line(data)
            if source is not None:
                fh.write(b'{"source":' + _dumps(source) + b',"record":' + data + b"}\n")
            else:
                fh.write(data + b"\n")
            count += 1
        if fmt == "cloudtrail":
            fh.write(b"]" + ((b',"Sources":' + _dumps(sources)) if sources else b"") + b"}\n")
    return count


_TOKENS = re.compile(rb'("(?:[^"\\]|\\.)*")|[ \t\r\n]+')


def one_line(data: bytes) -> bytes:
    """The record with the whitespace between its tokens removed (strings untouched): what
    NDJSON can hold of an indented record. AWS delivers compact records, which pass as is."""
    return _TOKENS.sub(lambda m: m.group(1) or b"", data)


def _dumps(value) -> bytes:
    """Compact JSON; orjson for speed, json for what orjson refuses (integers beyond 64 bits)."""
    import orjson

    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
