"""The subject's events in the window, and its IPs / user agents marked new against a baseline."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import TYPE_CHECKING

from toolkit.forensics.source import Source
from toolkit.forensics.subjects import Subject
from toolkit.sql.queries import bound_query

if TYPE_CHECKING:
    import polars as pl


def window_params(subject: Subject, start: dt.date, end: dt.date) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat(), **subject.params()}


def _baseline(start: dt.date, baseline_days: int) -> dict[str, str]:
    """The ``baseline_days`` before ``start``."""
    return {"baseline_start": (start - dt.timedelta(days=baseline_days)).isoformat(),
            "baseline_end": (start - dt.timedelta(days=1)).isoformat()}


def _subject_query(name: str, subject: Subject, /, **params) -> tuple[str, dict]:
    """A forensic query (``sql/queries/forensics/<name>``) filled with the subject's condition."""
    return bound_query(f"forensics/{name}", fill={"subject_condition": subject.condition},
                       **params)


def subject_events(source: Source, subject: Subject, start: dt.date, end: dt.date) -> pl.DataFrame:
    """Every event of the subject between start and end (inclusive days), oldest first."""
    return source.query(*_subject_query("subject_events", subject,
                                        **window_params(subject, start, end)))


def baseline_usage(source: Source, subject: Subject, start: dt.date, end: dt.date,
                   baseline_days: int) -> pl.DataFrame:
    """Baseline rows (principal, IP, user agent, counts) for the subject's IPs and agents."""
    return source.query(*_subject_query("baseline_usage", subject, **window_params(subject, start, end),
                                        **_baseline(start, baseline_days)))


def baseline_activity(source: Source, subject: Subject, start: dt.date,
                      baseline_days: int) -> pl.DataFrame:
    """The subject's own events in the baseline days, per hour, API, IP and user agent."""
    days = _baseline(start, baseline_days)
    return source.query(*_subject_query("baseline_activity", subject, **subject.params(),
                                        start=days["baseline_start"], end=days["baseline_end"]))


def is_ip(value: str | None) -> bool:
    """True for an IPv4/IPv6 address; False for service principals and ``AWS Internal``."""
    try:
        ipaddress.ip_address(value or "")
    except ValueError:
        return False
    return True


def indicators(events: pl.DataFrame, baseline: pl.DataFrame) -> pl.DataFrame:
    """One row per source (IP, or service/``AWS Internal``) and user agent, with novelty flags.

    ``kind`` is ``ip`` only for real addresses; a ``sourceIPAddress`` that names a service
    principal (``secretsmanager.amazonaws.com``) or ``AWS Internal`` is kind ``service``.

    ``new_for_principal``: none of the principals that used it in the window used it in the
    baseline. ``new_in_lake``: nobody used it in the baseline at all.
    """
    import polars as pl

    frames = [_indicator(events, baseline, column, kind)
              for column, kind in (("source_ip_address", "ip"), ("user_agent", "user_agent"))]
    frame = pl.concat(frames)
    is_address = frame["value"].map_elements(is_ip, return_dtype=pl.Boolean)
    kind = pl.when((pl.col("kind") == "ip") & ~is_address).then(pl.lit("service")).otherwise("kind")
    return frame.with_columns(kind.alias("kind")).sort(["kind", "first_seen"])


def _indicator(events: pl.DataFrame, baseline: pl.DataFrame, column: str, kind: str) -> pl.DataFrame:
    import polars as pl

    used = (events.filter(pl.col(column).is_not_null())
            .group_by(column)
            .agg(pl.col("event_time").min().alias("first_seen"),
                 pl.col("event_time").max().alias("last_seen"),
                 pl.len().alias("events"),
                 pl.col("principal_arn").drop_nulls().unique().sort().alias("principals")))
    base = baseline.filter(pl.col(column).is_not_null())
    anyone = base.group_by(column).agg(pl.col("events").sum().alias("baseline_events"))
    pairs = events.select(column, "principal_arn").unique()
    same_principal = (pairs.join(base.select(column, "principal_arn").unique(),
                                 on=[column, "principal_arn"], how="inner")
                      .select(column).unique().with_columns(pl.lit(True).alias("_seen_by_principal")))
    return (used.join(anyone, on=column, how="left")
            .join(same_principal, on=column, how="left")
            .select(pl.lit(kind).alias("kind"), pl.col(column).alias("value"),
                    "first_seen", "last_seen", pl.col("events").cast(pl.Int64), "principals",
                    pl.col("baseline_events").fill_null(0).cast(pl.Int64),
                    pl.col("_seen_by_principal").is_null().alias("new_for_principal"),
                    pl.col("baseline_events").is_null().alias("new_in_lake")))
