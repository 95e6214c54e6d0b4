"""Build curated models for a day: run each model, then its contract checks (CLI and DAGs)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from toolkit.engines.contracts import check_model
from toolkit.sql.models import model_names

if TYPE_CHECKING:
    from toolkit.engines.base import Engine


def build_day(engine: Engine, day: str | dt.date, models: list[str] | None = None, *,
              allow_scan: bool = False, check: bool = True) -> dict[str, dict]:
    """Replace ``day``'s partition of each model (all by default); return per-model results.

    Each result: ``url`` of the partition, ``scan_bytes`` (Athena's DataScannedInBytes, or None
    on DuckDB), ``failed_checks`` (names of contract checks with failing rows; empty = passed).
    """
    results = {}
    for model in models or model_names():
        url = engine.run_model(model, day, allow_scan=allow_scan)
        scanned = engine.last_scan_bytes if engine.name == "athena" else None
        failed = [r.check for r in check_model(engine, model, day) if not r.passed] if check else []
        results[model] = {"url": url, "scan_bytes": scanned, "failed_checks": failed}
    return results
