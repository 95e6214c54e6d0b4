"""Data for the daily security digest: the day's findings, which are new, trends, ingest health.

A finding is *new* when its rule has not fired for the same principal (or, without one, the
same source IP) in the lookback days before the digest day.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from toolkit.lake import Lake, day_range, parse_day
from toolkit.sql.queries import bound_query

if TYPE_CHECKING:
    import polars as pl

    from toolkit.engines.base import Engine

SEVERITIES = ("critical", "high", "medium", "low", "informational")


def digest_window(day: str, lookback_days: int) -> tuple[str, str]:
    """(first lookback day, digest day) as ISO strings."""
    if lookback_days < 0:
        raise ValueError(f"lookback_days must be zero or more, got {lookback_days}")
    last = parse_day(day)
    return (last - dt.timedelta(days=lookback_days)).isoformat(), last.isoformat()


def findings(engine: Engine, day: str, lookback_days: int) -> pl.DataFrame:
    """Findings of the digest day and the lookback days before it."""
    start, end = digest_window(day, lookback_days)
    return engine.query(*bound_query("findings_in_window", start=start, end=end))


def _who():
    import polars as pl

    return pl.coalesce("principal_arn", "source_ip_address", pl.lit("-")).alias("who")


def new_findings(found: pl.DataFrame, day: str) -> pl.DataFrame:
    """The day's findings whose (rule, principal or IP) did not fire in the days before."""
    import polars as pl

    day = parse_day(day).isoformat()
    seen = found.filter(pl.col("dt") < day).select("rule_id", _who()).unique()
    today = found.filter(pl.col("dt") == day).with_columns(_who())
    order = pl.col("severity").replace_strict({s: i for i, s in enumerate(SEVERITIES)},
                                              default=len(SEVERITIES))
    return (today.join(seen, on=["rule_id", "who"], how="anti").sort(order, "first_seen")
            .select("severity", "rule_id", "title", "tactic", "technique", "who", "first_seen",
                    "event_count", "region", "finding_id"))


def daily_by_severity(found: pl.DataFrame) -> pl.DataFrame:
    """Findings per day and severity (for the trend chart)."""
    import polars as pl

    return (found.group_by(pl.col("dt").str.to_date().alias("day"), "severity")
            .agg(pl.len().alias("findings")).sort("day", "severity"))


def top_subjects(found: pl.DataFrame, day: str, top: int = 10) -> pl.DataFrame:
    """Principals (or IPs) with the most findings on the day, with their rules."""
    import polars as pl

    today = found.filter(pl.col("dt") == parse_day(day).isoformat()).with_columns(_who())
    return (today.group_by("who").agg(pl.len().alias("findings"),
                                      pl.col("severity").unique().sort().alias("severities"),
                                      pl.col("rule_id").unique().sort().alias("rules"))
            .sort(["findings", "who"], descending=[True, False]).head(top))


def ingest_health(lake_url: str, day: str, lookback_days: int) -> pl.DataFrame:
    """Per day: the ingest manifest's counts (files, records, quarantined); missing days say so."""
    import polars as pl

    lake, rows = Lake.at(lake_url), []
    start, end = digest_window(day, lookback_days)
    for d in day_range(start, end):
        url = lake.partition("ingest_runs", d) + ".json"
        manifest = json.loads(lake.fs.cat_file(url)) if lake.fs.exists(url) else {}
        rows.append({"day": d, "ingested": bool(manifest),
                     **{k: manifest.get(k) for k in ("files_read", "files_quarantined", "records_written",
                                                     "duplicates_dropped", "records_quarantined")}})
    return pl.DataFrame(rows, schema={"day": pl.Date, "ingested": pl.Boolean, "files_read": pl.Int64,
                                      "files_quarantined": pl.Int64, "records_written": pl.Int64,
                                      "duplicates_dropped": pl.Int64, "records_quarantined": pl.Int64})
