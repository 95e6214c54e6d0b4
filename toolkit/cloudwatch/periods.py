"""CloudWatch retention: which period still exists for data of a given age.

CloudWatch keeps sub-minute datapoints for 3 hours, 1-minute for 15 days, 5-minute for 63 days
and 1-hour for 455 days (15 months); older data is gone. Source:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention
"""

from __future__ import annotations

import datetime as dt

# (finest period in seconds, how long CloudWatch keeps it), finest first.
RETENTION = (
    (1, dt.timedelta(hours=3)),
    (60, dt.timedelta(days=15)),
    (300, dt.timedelta(days=63)),
    (3600, dt.timedelta(days=455)),
)


def finest_period(oldest: dt.datetime, now: dt.datetime, allow_sub_minute: bool = False) -> int:
    """The finest period (seconds) CloudWatch still holds for data as old as ``oldest``.

    Raises ValueError with the retention rule when the data is older than 455 days.
    """
    age = now - oldest
    for period, kept in RETENTION:
        if period < 60 and not allow_sub_minute:
            continue
        if age <= kept:
            return period
    raise ValueError(
        f"data from {oldest:%Y-%m-%d %H:%M} UTC is {age.days} days old; CloudWatch keeps metrics "
        "for at most 455 days (1-hour periods), so there is nothing left to export")


def choose_period(oldest: dt.datetime, now: dt.datetime, requested: int | None = None) -> int:
    """Period to request: ``requested`` if CloudWatch still keeps it, else the finest kept.

    Asking for a finer period than retention allows is an error that names the rule.
    """
    finest = finest_period(oldest, now, allow_sub_minute=bool(requested and requested < 60))
    if requested is None:
        return finest
    if requested % finest and requested > finest:
        raise ValueError(f"period {requested}s is not a multiple of {finest}s")
    if requested < finest:
        kept = dict(RETENTION)[finest]
        raise ValueError(
            f"{requested}s datapoints are gone for data from {oldest:%Y-%m-%d %H:%M} UTC: "
            f"CloudWatch only keeps {finest}s periods for data between "
            f"{_previous_retention(finest)} and {kept.days} days old; use --period {finest} or more")
    return requested


def _previous_retention(period: int) -> str:
    earlier = [kept for p, kept in RETENTION if p < period]
    if not earlier:
        return "0"
    kept = earlier[-1]
    return f"{kept.days} days" if kept.days else f"{kept.seconds // 3600} hours"
