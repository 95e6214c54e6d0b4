"""Two writers of the same day at once never lose or double rows (forced interleavings).

Each of >= 20 rounds forces one ordering of the two commits with hooks (no sleeps): both
writers build their commit on the same snapshot and one must detect the conflict and re-plan
on top of the other's, or one plans before the other commits. After every round the day holds
exactly the expected rows, and no run deleted a data file another run wrote.
"""

from __future__ import annotations

import os
import threading

import pyarrow.parquet as pq
import pytest
from lake_helpers import DAY, ORDERINGS, Interleaving, run_pair

from toolkit.cloudtrail import ingest_day
from toolkit.config import Settings
from toolkit.engines.duck import DuckDBEngine
from toolkit.lake import Lake

ROUNDS = 20


def _day_rows(lake: Lake, name: str) -> list:
    return [r for f in lake.files(name, DAY) for r in pq.read_table(f).to_pylist()]


def _data_files_on_disk(lake: Lake, name: str) -> set[str]:
    folder = lake.partition(name, DAY)
    return {os.path.join(root, f) for root, _, files in os.walk(folder) for f in files
            if f.endswith(".parquet")}


@pytest.mark.slow
def test_two_ingests_of_the_same_day_keep_exactly_its_rows(snitch_raw, tmp_path):
    lake = Lake.at(str(tmp_path / "lake"))
    seen_conflict = 0
    for i in range(ROUNDS):
        first, both = ORDERINGS[i % len(ORDERINGS)]
        order = Interleaving("events", first, both)
        # rebuild: each run re-reads every file (a plain rerun reads nothing it read before), so
        # both writers carry the whole day and race to replace it
        manifests = run_pair(lambda: ingest_day(snitch_raw, lake, DAY, rebuild=True), order)
        rows = _day_rows(lake, "events")
        assert len(rows) == 21 and len({r["event_id"] for r in rows}) == 21, (i, first, both)
        assert all(m["records_written"] == 21 for m in manifests)
        # the run that committed last is the day; the other run's files are still on disk
        assert lake.snapshot_id("events") in {m["snapshot_id"] for m in manifests}
        assert set(lake.files("events", DAY)) <= _data_files_on_disk(lake, "events")
        seen_conflict += order.attempts[order.second] > 1
    assert seen_conflict >= ROUNDS // 2  # the forced orderings really made commits collide
    runs = {os.path.dirname(p) for p in _data_files_on_disk(lake, "events")}
    assert len(runs) == 2 * ROUNDS  # no run deleted another's files (until `lake maintain`)


@pytest.mark.slow
def test_two_model_builds_of_the_same_day_keep_exactly_its_rows(snitch_raw, tmp_path):
    lake_url = str(tmp_path / "lake")
    ingest_day(snitch_raw, lake_url, DAY)
    model, target = "cur_principal_activity_daily", "curated/cur_principal_activity_daily"
    settings = Settings(lake=lake_url)
    DuckDBEngine(settings).run_model(model, DAY)
    lake = Lake.at(lake_url)
    expected = sorted(map(repr, _day_rows(lake, target)))
    assert expected
    engines = {"A": DuckDBEngine(settings), "B": DuckDBEngine(settings)}
    reader = DuckDBEngine(settings)
    for i in range(ROUNDS):
        first, both = ORDERINGS[i % len(ORDERINGS)]
        order = Interleaving(target, first, both)
        run_pair(lambda: engines[threading.current_thread().name].run_model(model, DAY), order)
        assert order.attempts[order.second] > 1 or not both  # both on one snapshot: a conflict
        assert sorted(map(repr, _day_rows(lake, target))) == expected, (i, first, both)
        reader.refresh_table(model)
        count = reader.query(f"select count(*) as n from {model} where dt = :day",  # noqa: S608
                             {"day": DAY})["n"][0]
        assert count == len(expected)


def test_a_writer_that_keeps_losing_stops_with_a_conflict_naming_the_day(tmp_path):
    """Another run commits the day every time this one is about to: after the last retry,
    CommitConflictError (exit code 4) names the table and day; the day holds the other's rows."""
    from lake_helpers import day_events

    from toolkit.errors import CommitConflictError
    from toolkit.lake import iceberg

    lake = Lake.at(str(tmp_path / "lake"))
    lake.write_parquet("events", DAY, day_events(DAY, 5, "first"))
    busy = threading.local()

    def rival(stage, table, label):
        if stage == "planned" and not getattr(busy, "on", False):
            busy.on = True
            try:
                lake.write_parquet("events", DAY, day_events(DAY, 8, "rival"))
            finally:
                busy.on = False

    iceberg.HOOKS.append(rival)
    try:
        with pytest.raises(CommitConflictError, match=f"events dt={DAY}") as raised:
            lake.write_parquet("events", DAY, day_events(DAY, 3, "loser"))
    finally:
        iceberg.HOOKS.remove(rival)
    assert raised.value.exit_code == 4
    rows = _day_rows(lake, "events")
    assert len(rows) == 8 and all(r["event_id"].startswith("rival") for r in rows)
