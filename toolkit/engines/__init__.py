"""SQL engines behind one small interface (``toolkit.engines.base.Engine``).

``connect(settings)`` returns the DuckDB engine (local default) or the Athena engine; the heavy
imports (duckdb, pyathena, sqlglot) happen inside it, never when ``toolkit`` is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.engines.base import Engine, ScanLimitExceeded

if TYPE_CHECKING:
    from toolkit.config import Settings

__all__ = ["Engine", "ScanLimitExceeded", "connect", "check_model"]


def connect(settings: Settings | None = None, **overrides) -> Engine:
    """An engine for ``settings.engine`` (``duckdb`` or ``athena``) over ``settings.lake``."""
    from toolkit.config import Settings

    settings = (settings or Settings.from_env()).with_overrides(**overrides)
    if settings.engine == "duckdb":
        from toolkit.engines.duck import DuckDBEngine

        return DuckDBEngine(settings)
    if settings.engine == "athena":
        from toolkit.engines.athena import AthenaEngine

        return AthenaEngine(settings)
    raise ValueError(f"unknown engine {settings.engine!r}; use duckdb or athena")


def check_model(engine: Engine, model: str, day):
    """Run a curated model's contract checks on one partition (see ``engines.contracts``)."""
    from toolkit.engines.contracts import check_model as run_checks

    return run_checks(engine, model, day)
