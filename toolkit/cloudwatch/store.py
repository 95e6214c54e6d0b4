"""Read and write the CloudWatch tables in the lake (polars in, polars out).

Reads are lazy: ``scan_days`` plans the data files of each day through ``Lake.files`` (a
directory listing on the Hive lake, the table's current snapshot on Iceberg) and returns a
``pl.LazyFrame``, so the filters and column choices a caller adds are pushed into the Parquet
scan. Several writers share the ``metrics`` table (the export per account/region/namespace, CSV
imports per series), so a write replaces only the rows its writer owns and keeps the others,
then swaps the whole partition atomically through ``toolkit.lake``. Re-running a writer gives
the same partition.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from toolkit.aws import s3fs_options
from toolkit.lake import Lake, day_range, parse_day

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa


def _scan_options(lake: Lake) -> dict | None:
    """polars (object_store) options for an S3 lake: the session in use and its endpoint."""
    if not lake.is_s3:
        return None

    s3 = s3fs_options(lake.endpoint_url)
    client = s3.get("client_kwargs", {})
    options = {"aws_access_key_id": s3.get("key"), "aws_secret_access_key": s3.get("secret"),
               "aws_session_token": s3.get("token"), "aws_region": client.get("region_name"),
               "aws_endpoint_url": client.get("endpoint_url")}
    if (client.get("endpoint_url") or "").startswith("http://"):
        options["aws_allow_http"] = "true"
    return {k: v for k, v in options.items() if v}


def scan_partition(lake: Lake, name: str, day: str | dt.date, schema: pa.Schema) -> pl.LazyFrame:
    """One partition as a lazy frame with ``schema``'s columns (empty when there is none)."""
    import polars as pl

    dtypes = pl.from_arrow(schema.empty_table()).schema
    files = lake.files(name, day)
    if not files:
        return pl.LazyFrame(schema=dtypes)
    scan = pl.scan_parquet(files, storage_options=_scan_options(lake))
    return scan.select([pl.col(column).cast(dtype) for column, dtype in dtypes.items()])


def read_partition(lake: Lake, name: str, day: str | dt.date, schema: pa.Schema) -> pl.DataFrame:
    """All rows of one partition (empty frame with ``schema`` when there is none)."""
    return scan_partition(lake, name, day, schema).collect()


def scan_days(lake: Lake, name: str, start: str | dt.date, end: str | dt.date,
              schema: pa.Schema) -> pl.LazyFrame:
    """Rows of every partition from ``start`` to ``end`` inclusive, with a ``dt`` column, lazily."""
    import polars as pl

    frames = [scan_partition(lake, name, day, schema).with_columns(pl.lit(day.isoformat()).alias("dt"))
              for day in day_range(start, end)]
    return pl.concat(frames, how="vertical")


def read_days(lake: Lake, name: str, start: str | dt.date, end: str | dt.date,
              schema: pa.Schema, where: pl.Expr | None = None) -> pl.DataFrame:
    """Rows of the days from ``start`` to ``end`` (with ``dt``), filtered by ``where`` in the scan."""
    scan = scan_days(lake, name, start, end, schema)
    return (scan if where is None else scan.filter(where)).collect()


def merge_partition(lake: Lake, name: str, day: str | dt.date, new: pl.DataFrame,
                    schema: pa.Schema, owned: pl.Expr | None, sort_by: list[str]) -> int:
    """Replace the rows ``owned`` selects in one partition with ``new``; keep the rest.

    ``owned=None`` replaces the whole partition. Returns the partition's row count.
    """
    import polars as pl

    scan = scan_partition(lake, name, day, schema)
    kept = scan.clear() if owned is None else scan.filter(~owned)
    new = new.select(schema.names).cast(dict(scan.collect_schema()))
    merged = pl.concat([kept.collect(), new], how="vertical").sort(sort_by, nulls_last=True)
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
