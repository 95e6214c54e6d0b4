"""Which tables exist and where they live: DDL files name them, ``toolkit.lake`` places them.

Every table with a DDL file in ``sql/ddl/`` is a table both engines expose under that name;
its data lives at ``table_url(lake, name)`` in ``dt=YYYY-MM-DD`` partitions. Curated models
live under ``curated/<model>``. ``cloudtrail_raw`` is the raw JSON layout, not a lake table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.lake import TABLES, iceberg
from toolkit.sql.ddl import ddl_columns, ddl_files
from toolkit.sql.hive_types import hive_to_arrow
from toolkit.sql.models import Model

if TYPE_CHECKING:
    import pyarrow as pa

    from toolkit.lake import Lake

RAW_TABLE = "cloudtrail_raw"
PARTITION_COLUMN = "dt"


def lake_tables() -> list[str]:
    """Names of the Parquet tables with DDL (everything except the raw JSON table)."""
    return [name for name in ddl_files() if name != RAW_TABLE]


def table_url(lake: Lake, name: str) -> str:
    """Where a table's partitions live: ``TABLES`` for base tables, ``curated/<model>`` else."""
    if name in TABLES:
        return lake.table(name)
    if name.startswith("cur_"):
        return lake.table(f"{TABLES['curated']}/{name}")
    raise ValueError(f"unknown table {name!r}: add it to toolkit.lake.TABLES or name it cur_*")


def lake_name(name: str) -> str:
    """The ``Lake`` table name of a SQL table name: ``events`` or ``curated/cur_x``."""
    if name in TABLES:
        return name
    if name.startswith("cur_"):
        return curated_name(name)
    raise ValueError(f"unknown table {name!r}: add it to toolkit.lake.TABLES or name it cur_*")


def curated_name(model: str) -> str:
    """The lake table name a model's partitions are written under (for ``Lake`` methods)."""
    return f"{TABLES['curated']}/{model}"


def model_target(model: Model) -> tuple[str, str]:
    """(lake table name for ``Lake`` methods, view/table name in SQL) a model writes."""
    if model.output_table:
        return model.output_table, model.output_table
    return curated_name(model.name), model.name


def ddl_schema(name: str) -> pa.Schema:
    """Arrow schema of a table's data columns as its DDL declares them (no ``dt``)."""
    import pyarrow as pa

    columns, _ = ddl_columns(ddl_files()[name].read_text())
    return pa.schema([(col, hive_to_arrow(kind)) for col, kind in columns])


def ensure_iceberg_table(lake: Lake, name: str):
    """Create the Iceberg table ``name`` in the lake's catalog from its DDL columns if missing
    (timestamps as UTC-adjusted ``timestamptz``, like every writer's Parquet)."""
    import pyarrow as pa

    schema = ddl_schema(name)
    fields = [pa.field(f.name, pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(f.type) else f
              for f in schema]
    return iceberg.ensure(lake, lake_name(name), pa.schema(fields))
