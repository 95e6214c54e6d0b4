"""Read and write the CloudWatch tables in the lake (polars in, polars out).

Several writers share the ``metrics`` table (the export per account/region/namespace, CSV
imports per series), so a write replaces only the rows its writer owns and keeps the others,
then swaps the whole partition atomically through ``toolkit.lake``. Re-running a writer gives
the same partition.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from toolkit.lake import Lake, day_range, parse_day

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa


def read_partition(lake: Lake, name: str, day: str | dt.date, schema: pa.Schema) -> pl.DataFrame:
    """All rows of one partition (empty frame with ``schema`` when there is none)."""
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for path in lake.files(name, day):
        with lake.fs.open(path, "rb") as fh:
            tables.append(pq.read_table(fh).cast(schema))
    table = pa.concat_tables(tables) if tables else schema.empty_table()
    return pl.from_arrow(table)


def read_days(lake: Lake, name: str, start: str | dt.date, end: str | dt.date,
              schema: pa.Schema) -> pl.DataFrame:
    """Rows of every partition from ``start`` to ``end`` inclusive, with a ``dt`` column."""
    import polars as pl

    frames = [read_partition(lake, name, day, schema).with_columns(pl.lit(day.isoformat()).alias("dt"))
              for day in day_range(start, end)]
    return pl.concat(frames, how="vertical")


def merge_partition(lake: Lake, name: str, day: str | dt.date, new: pl.DataFrame,
                    schema: pa.Schema, owned: pl.Expr | None, sort_by: list[str]) -> int:
    """Replace the rows ``owned`` selects in one partition with ``new``; keep the rest.

    ``owned=None`` replaces the whole partition. Returns the partition's row count.
    """
    import polars as pl

    existing = read_partition(lake, name, day, schema)
    kept = existing.clear() if owned is None else existing.filter(~owned)
    new = new.select(schema.names).cast(dict(existing.schema))
    merged = pl.concat([kept, new], how="vertical").sort(sort_by, nulls_last=True)
    lake.write_parquet(name, parse_day(day), merged.to_arrow().cast(schema))
    return merged.height


def write_by_day(lake: Lake, name: str, frame: pl.DataFrame, schema: pa.Schema,
                 owned_for, sort_by: list[str]) -> dict[str, int]:
    """Split ``frame`` by the UTC day of ``timestamp`` and merge each day's rows.

    ``owned_for(day_frame)`` returns the polars expression selecting the rows being replaced.
    """
    import polars as pl

    written = {}
    days = frame.select(pl.col("timestamp").dt.date().unique().sort()).to_series().to_list()
    for day in days:
        part = frame.filter(pl.col("timestamp").dt.date() == day)
        merge_partition(lake, name, day, part, schema, owned_for(part), sort_by)
        written[day.isoformat()] = part.height
    return written
