"""The engine interface: the same SQL (Athena/Trino dialect) on DuckDB locally or on Athena.

SQL in this repo is written in Athena's dialect. Values an analyst types are never pasted into
SQL text: they are bound as named parameters written ``:name`` in the SQL. Athena gets them as
positional ``?`` execution parameters; DuckDB gets the sqlglot-transpiled ``$name`` parameters.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import polars as pl


class Engine(Protocol):
    """What every engine offers; see ``toolkit.engines.connect`` to get one."""

    name: str
    #: bytes estimated (DuckDB) or reported by Athena (``DataScannedInBytes``) for the last query
    last_scan_bytes: int | None

    def create_tables(self) -> None:
        """Create (or refresh) the lake's tables/views so queries can name them."""

    def query(self, sql: str, params: dict[str, Any] | None = None, *,
              allow_scan: bool = False) -> pl.DataFrame:
        """Run Athena-dialect SQL with bound ``:name`` parameters; return a polars frame.

        Athena refuses a query whose estimate exceeds ``Settings.scan_limit_bytes`` unless
        ``allow_scan`` (raises ``ScanLimitExceeded``).
        """

    def run_model(self, model: str, day: dt.date, *, allow_scan: bool = False) -> str:
        """Compute one ``dt`` partition of a curated model, replacing it; return its URL."""

    def estimate_scan_bytes(self, sql: str, params: dict[str, Any] | None = None) -> int:
        """Bytes of lake partitions the query would read (the cost guard's input)."""

    def explain(self, sql: str) -> str:
        """The SQL text this engine would send for ``sql`` (dry runs)."""


class ScanLimitExceeded(RuntimeError):
    """A query would scan more than the configured limit; rerun with ``--allow-scan``."""
