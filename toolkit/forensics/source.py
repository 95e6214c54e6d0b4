"""Query access for forensics: the project's engine (DuckDB or Athena) over the lake.

All forensic SQL is Athena dialect with ``:name`` parameters, run through
``toolkit.engines.connect(settings)``; tables without data read as empty (the engine maps
them to empty typed views), so a young lake gives empty sections, not errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.config import Settings
from toolkit.engines import connect
from toolkit.lake import Lake

if TYPE_CHECKING:
    import polars as pl

    from toolkit.config import Settings


class Source:
    """The lake plus the engine that runs Athena-dialect SQL over it with bound parameters."""

    def __init__(self, lake: Lake, engine):
        self.lake = lake
        self.engine = engine

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
        return self.engine.query(sql, params or {})


def open_source(lake_url: str, settings: Settings | None = None) -> Source:
    """A Source over ``lake_url`` using the configured engine (``settings.engine``)."""
    settings = (settings or Settings.from_env()).with_overrides(lake=lake_url)
    lake = Lake.at(settings.lake, settings.endpoint_url)
    if not lake.exists(lake.root):
        raise FileNotFoundError(f"lake not found at {lake.root}")
    return Source(lake, connect(settings))

