"""``trailwatch detect``: run every rule over the lake's events and write the findings table.

Each rule is one Athena-dialect query through the engine interface (DuckDB locally, Athena in
production) covering the whole day range; its groups become findings keyed to the day of their
events. A day with findings gets its ``findings/dt=D`` partition replaced atomically; a day
without any writes nothing (a 600-day backfill of a quiet account leaves no 600 empty
partitions), except that stale findings of an earlier run on that day are removed - so re-runs
are idempotent either way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from toolkit.config import Settings
from toolkit.detections.rules import load_rules
from toolkit.detections.sql import compile_rule, rule_params
from toolkit.engines import ScanLimitExceeded
from toolkit.lake import Lake, day_range

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

    import polars as pl

    from toolkit.config import Settings
    from toolkit.detections.rules import Rule
    from toolkit.engines.base import Engine

log = logging.getLogger(__name__)


def run_detections(lake: str, start: str | dt.date, end: str | dt.date,
                   rules_dir: str | Path | None = None, settings: Settings | None = None,
                   *, engine: Engine | None = None, write: bool = True,
                   allow_scan: bool = False, sources: tuple[str, ...] | None = None,
                   hunting: bool = False) -> pl.DataFrame:
    """Run the rule library over ``[start, end]``; write and return the findings (+ ``dt``).

    ``allow_scan`` lets Athena queries run above the configured scan limit (the cost guard);
    ``sources`` limits the run to rules of those origins (native, sequence, sigma; default all);
    rules marked ``hunting`` (broad queries, not alerts) run only with ``hunting=True``.
    """
    days = day_range(start, end)
    rules = [r for r in load_rules(rules_dir)
             if (sources is None or r.source in sources) and (hunting or not r.hunting)]
    settings = (settings or Settings.from_env()).with_overrides(lake=lake)
    own_engine = engine is None
    if own_engine:
        from toolkit.engines import connect

        engine = connect(settings)
    try:
        rows = [row for rule in rules
                for row in rule_findings(engine, rule, days[0], days[-1], allow_scan)]
    finally:
        if own_engine and hasattr(engine, "close"):
            engine.close()
    if write:
        write_findings(lake, days, rows, settings.endpoint_url, sources)
    return findings_frame(rows)


def rule_findings(engine: Engine, rule: Rule, start: dt.date, end: dt.date,
                  allow_scan: bool = False) -> list[dict]:
    """The findings one rule raises over the range (errors name the rule)."""
    from toolkit.detections.findings import finding_rows

    params = rule_params(rule, start, end)

    sql = compile_rule(rule)
    try:
        groups = engine.query(sql, params, allow_scan=True) if allow_scan else engine.query(sql, params)
    except ScanLimitExceeded:
        raise
    except Exception as exc:
        raise RuntimeError(f"rule {rule.id} ({rule.path}) failed: {exc}") from exc
    rows = finding_rows(rule, groups)
    log.info("rule %s: %d finding(s)", rule.id, len(rows))
    return rows


def write_findings(lake: str, days: list[dt.date], rows: list[dict],
                   endpoint_url: str | None = None, sources: tuple[str, ...] | None = None) -> list[str]:
    """Replace the ``findings`` partition of each day in the range that has findings, empty the
    days that held findings before and have none now; return the URLs of written partitions.

    A run limited to some rule ``sources`` replaces only those sources' findings: the day's
    findings of other origins are carried into the new partition."""
    from toolkit.detections.findings import findings_table

    store = Lake.at(lake, endpoint_url)
    held_before = set(store.days("findings"))
    urls = []
    for day in days:
        day_rows = [r for r in rows if r["dt"] == day.isoformat()]
        if sources is not None and day in held_before:
            day_rows = _other_sources(store, day, sources) + day_rows
        if day_rows:
            urls.append(store.write_parquet("findings", day, findings_table(day_rows)))
        elif day in held_before:
            store.drop_day("findings", day)  # one commit: the day's stale findings are gone
            log.info("findings of %s removed: no rule fires on that day any more", day)
    return urls


def _other_sources(store, day: dt.date, sources: tuple[str, ...]) -> list[dict]:
    """The day's stored findings whose rule origin is not among ``sources`` (kept on rewrite)."""
    import polars as pl

    frames = [pl.read_parquet(store.fs.open(url, "rb").read()) for url in store.files("findings", day)]
    if not frames:
        return []
    old = pl.concat(frames, how="diagonal_relaxed")
    if "rule_source" not in old.columns:  # written before findings named their rule's origin
        old = old.with_columns(pl.lit("native").alias("rule_source"))
    kept = old.filter(~pl.col("rule_source").is_in(list(sources)))
    return kept.with_columns(pl.lit(day.isoformat()).alias("dt")).to_dicts()


def findings_frame(rows: list[dict]) -> pl.DataFrame:
    """The findings as polars, in schema order plus the ``dt`` partition column."""
    import polars as pl

    from toolkit.detections.findings import findings_table

    frame = pl.from_arrow(findings_table(rows))
    days = {r["finding_id"]: r["dt"] for r in rows}
    return frame.with_columns(pl.col("finding_id").replace_strict(days, default=None,
                                                                  return_dtype=pl.String).alias("dt"))
