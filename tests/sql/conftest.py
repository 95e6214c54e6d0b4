"""Lakes for the SQL tests.

* ``mini_lake``: a few hand-written realistic records (tests/sql/records.py) plus the real
  public fixture records, flattened by the ingest's own ``events_from_records`` — small enough
  to assert exact model output.
* ``sample_lake``: the real pipeline — ``toolkit.sample.generate_account`` then
  ``toolkit.cloudtrail.ingest_day`` — with every curated model built on it.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
import sql_records as rec

from tests.event_rows import records_in

SAMPLE_START = "2025-03-03"
SAMPLE_DAYS = 2


def write_events(lake_url: str, records: list[dict]) -> list[str]:
    """Write records as the events table, one partition per UTC day; return the days."""
    from toolkit.lake import Lake

    lake = Lake.at(lake_url)
    by_day = defaultdict(list)
    for r in records:
        by_day[r["eventTime"][:10]].append(r)
    for day, items in sorted(by_day.items()):
        lake.write_parquet("events", day, rec.parquet_day(items))
    return sorted(by_day)


def fixture_records(real_cloudtrail_dir) -> list[dict]:
    return records_in(real_cloudtrail_dir)


@pytest.fixture(scope="session")
def mini_lake(tmp_path_factory, real_cloudtrail_dir) -> str:
    lake = str(tmp_path_factory.mktemp("mini_lake"))
    write_events(lake, rec.day_records() + fixture_records(real_cloudtrail_dir))
    return lake


@pytest.fixture(scope="session")
def mini_engine(mini_lake):
    from toolkit.config import Settings
    from toolkit.engines import connect

    engine = connect(Settings(lake=mini_lake))
    for model in _models():
        engine.run_model(model, rec.DAY)
    yield engine
    engine.close()


def _models() -> list[str]:
    from toolkit.sql.models import model_names

    return model_names()


@pytest.fixture(scope="session")
def sample_lake(tmp_path_factory) -> dict:
    """A generated sample account ingested by the real ingest, models built for each day."""
    try:
        from toolkit.cloudtrail import ingest_day
        from toolkit.sample import generate_account
    except (ImportError, AttributeError) as exc:
        pytest.skip(f"sample generator or ingest not available yet: {exc}")
    from toolkit.config import Settings
    from toolkit.engines import connect
    from toolkit.lake import day_range

    root = tmp_path_factory.mktemp("sample")
    generate_account(root / "out", start=SAMPLE_START, days=SAMPLE_DAYS, events_per_day=1000)
    lake = str(root / "lake")
    days = [d.isoformat() for d in day_range(SAMPLE_START, _last_day())]
    for day in days:
        # threads=1: measured ~100x faster than DuckDB's default here on a loaded 2-core box
        ingest_day(str(root / "out" / "raw"), lake, day, threads=1)
    engine = connect(Settings(lake=lake))
    for day in days:
        for model in _models():
            engine.run_model(model, day)
    return {"lake": lake, "days": days, "engine": engine, "out": root / "out"}


def _last_day() -> str:
    import datetime as dt

    return (dt.date.fromisoformat(SAMPLE_START) + dt.timedelta(days=SAMPLE_DAYS - 1)).isoformat()
