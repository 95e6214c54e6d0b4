"""The subject's events in the window, and its IPs / user agents marked new against a baseline."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from toolkit.forensics.source import Source
from toolkit.forensics.subjects import Subject

if TYPE_CHECKING:
    import polars as pl

# Columns of a timeline row: enough to read what happened without the raw record. Principal,
# session, outcome, service, read/write and the resources touched (canonical resource_id) are
# the staging views' definitions (sql/models/stg_events.sql, stg_event_resources.sql);
# ``access_denied`` is outcome 'denied'.
TIMELINE_SQL = """
with subject_events as (
    select event_time, event_id, event_source, event_name, aws_region, source_ip_address,
           user_agent, error_code, outcome, outcome = 'denied' as access_denied,
           read_only, read_write, mutating, service, principal, session_key,
           identity_type, principal_arn, access_key_id,
           session_issuer_arn, source_identity, invoked_by, account_id, request_parameters,
           response_elements, transform(resources, r -> r.arn) as resource_arns, dt
    from stg_events
    where dt between :start and :end and {predicate}
),
touched as (
    select r.event_id, array_agg(r.resource_id order by r.resource_id) as resource_ids
    from stg_event_resources as r
    join subject_events as e on r.event_id = e.event_id and r.dt = e.dt
    where r.dt between :start and :end
    group by r.event_id
)
select e.*, t.resource_ids
from subject_events as e
left join touched as t on t.event_id = e.event_id
order by e.event_time, e.event_id
"""

# Who used the subject's IPs and user agents during the baseline (the days before start).
BASELINE_SQL = """
with subject as (
    select distinct source_ip_address, user_agent
    from events
    where dt between :start and :end and {predicate}
)
select principal_arn, source_ip_address, user_agent, count(*) as events,
       min(event_time) as first_seen, max(event_time) as last_seen
from events
where dt between :baseline_start and :baseline_end
  and (source_ip_address in (select source_ip_address from subject)
       or user_agent in (select user_agent from subject))
group by principal_arn, source_ip_address, user_agent
"""


# What the subject itself did in the baseline days: APIs and sources per hour (for
# first-seen APIs/IPs/agents and for bursts measured against the subject's own rate).
BASELINE_ACTIVITY_SQL = """
select date_trunc('hour', event_time) as hour, event_name, source_ip_address, user_agent,
       count(*) as events
from events
where dt between :baseline_start and :baseline_end and {predicate}
group by date_trunc('hour', event_time), event_name, source_ip_address, user_agent
"""


def window_params(subject: Subject, start: dt.date, end: dt.date) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat(), **subject.params()}


def subject_events(source: Source, subject: Subject, start: dt.date, end: dt.date) -> pl.DataFrame:
    """Every event of the subject between start and end (inclusive days), oldest first."""
    sql = TIMELINE_SQL.format(predicate=subject.predicate())
    return source.query(sql, window_params(subject, start, end))


def baseline_usage(source: Source, subject: Subject, start: dt.date, end: dt.date,
                   baseline_days: int) -> pl.DataFrame:
    """Baseline rows (principal, IP, user agent, counts) for the subject's IPs and agents."""
    params = window_params(subject, start, end)
    params["baseline_start"] = (start - dt.timedelta(days=baseline_days)).isoformat()
    params["baseline_end"] = (start - dt.timedelta(days=1)).isoformat()
    return source.query(BASELINE_SQL.format(predicate=subject.predicate()), params)


def baseline_activity(source: Source, subject: Subject, start: dt.date,
                      baseline_days: int) -> pl.DataFrame:
    """The subject's own events in the baseline days, per hour, API, IP and user agent."""
    params = {**subject.params(),
              "baseline_start": (start - dt.timedelta(days=baseline_days)).isoformat(),
              "baseline_end": (start - dt.timedelta(days=1)).isoformat()}
    return source.query(BASELINE_ACTIVITY_SQL.format(predicate=subject.predicate()), params)


def is_ip(value: str | None) -> bool:
    """True for an IPv4/IPv6 address; False for service principals and ``AWS Internal``."""
    import ipaddress

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
