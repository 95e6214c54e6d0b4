"""Rows out of the CLI: ``--format table|csv|json|parquet`` to stdout or ``--out FILE``.

One writer for every verb that prints rows. JSON prints numbers as numbers: DuckDB's
``sum()`` comes back as ``Decimal``, which becomes an int (or a float when it has a fraction).
Files named by ``--out`` are written aside and renamed, so a failed run leaves no partial file.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import sys
from collections.abc import Callable
from typing import Any

from toolkit.errors import UsageError


def json_default(value: Any) -> Any:
    """``json.dumps`` fallback: Decimal -> int/float, dates -> ISO text, other -> str."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value.as_tuple().exponent >= 0 else float(value)  # scale 0: an int
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return str(value)


def to_json(rows: list[dict]) -> str:
    """A JSON array of row objects, numbers as numbers."""
    return json.dumps(rows, default=json_default, ensure_ascii=False)


def emit_rows(rows, fmt: str, out: str | None = None,
              table: Callable[[list[dict]], str] | None = None) -> None:
    """Write ``rows`` (a polars frame or a list of dicts) as ``fmt`` to ``out`` or stdout.

    ``table`` renders the human format for list rows (default: polars' table).
    """
    import polars as pl

    frame = rows if isinstance(rows, pl.DataFrame) else None
    dicts = rows if frame is None else None
    if fmt == "table":
        text = table(dicts if dicts is not None else frame.to_dicts()) if table else \
            _table(frame if frame is not None else _frame(dicts))
        return _write(text.encode(), out)
    if fmt == "json":
        return _write((to_json(dicts if dicts is not None else frame.to_dicts()) + "\n").encode(), out)
    frame = frame if frame is not None else _frame(dicts)
    if fmt == "csv":
        return _write(_flat(frame).write_csv().encode(), out)
    if fmt == "parquet":
        if out is None and sys.stdout.isatty():
            raise UsageError("--format parquet writes binary: give --out FILE or redirect stdout")
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return _write(buffer.getvalue(), out, binary=True)
    raise UsageError(f"unknown format {fmt!r}")


def write_text(text: str, out: str | None = None) -> None:
    """``text`` to ``out`` (written aside, then renamed) or to stdout."""
    _write(text.encode(), out)


def _frame(dicts: list[dict]):
    import polars as pl

    return pl.DataFrame(dicts, infer_schema_length=None) if dicts else pl.DataFrame()


def _flat(frame):
    """Nested columns as JSON text (CSV holds scalars only)."""
    import polars as pl

    nested = [c for c, t in frame.schema.items() if isinstance(t, (pl.List, pl.Struct, pl.Array))]
    return frame.with_columns(
        pl.col(c).map_elements(_cell_json, return_dtype=pl.String) for c in nested)


def _cell_json(value) -> str:
    return json.dumps(value.to_list() if hasattr(value, "to_list") else value, default=json_default)


def _table(frame) -> str:
    import polars as pl

    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
        return f"{frame}\n"


def _write(data: bytes, out: str | None, binary: bool = False) -> None:
    if out is None:
        if not binary:
            sys.stdout.write(data.decode())
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from toolkit.lake import filesystem, normalize, write_bytes_atomic

    url = normalize(out)
    write_bytes_atomic(filesystem(url), url, data)

