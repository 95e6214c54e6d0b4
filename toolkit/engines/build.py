"""Build curated models for a day: run each model, then its contract checks (CLI and DAGs)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from toolkit.engines.contracts import check_model
from toolkit.sql.models import model_names

if TYPE_CHECKING:
    from toolkit.engines.base import Engine

log = logging.getLogger(__name__)


def build_day(engine: Engine, day: str | dt.date, models: list[str] | None = None, *,
              allow_scan: bool = False, check: bool = True) -> dict[str, dict]:
    """Replace ``day``'s partition of each model (all by default); return per-model results.

    Each result: ``url`` of the partition, ``scan_bytes`` (Athena's DataScannedInBytes, or None
    on DuckDB), ``failed_checks`` (names of ``error`` checks with violating rows; empty =
    passed), ``warnings`` (one line per violated ``warn`` check, with sample event ids: the day
    is kept) and ``check_details`` (the same line for every violated check).
    """
    results = {}
    for model in models or model_names():
        url = engine.run_model(model, day, allow_scan=allow_scan)
        scanned = engine.last_scan_bytes if engine.name == "athena" else None
        violated = [r for r in check_model(engine, model, day) if not r.passed] if check else []
        for r in violated:
            log.warning("%s dt=%s: %s", model, day, r.describe())
        results[model] = {"url": url, "scan_bytes": scanned,
                          "failed_checks": [r.check for r in violated if r.fails_model],
                          "warnings": [r.describe() for r in violated if not r.fails_model],
                          "check_details": [r.describe() for r in violated]}
    return results
