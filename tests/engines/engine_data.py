"""Engine test data: minimal events on three days (sizes known)."""

from __future__ import annotations

from tests.event_rows import day_events as shared_day_events

DAYS = ["2025-03-04", "2025-03-05", "2025-03-06"]


def day_events(day: str, n: int):
    """``n`` minimal events on ``day``, from 10:00 UTC (the engine tests read that hour back)."""
    return shared_day_events(day, n, hour=10)


def write_days(lake_url: str, endpoint_url: str | None = None) -> None:
    from toolkit.lake import Lake

    lake = Lake.at(lake_url, endpoint_url)
    for i, day in enumerate(DAYS):
        lake.write_parquet("events", day, day_events(day, 10 * (i + 1)))
