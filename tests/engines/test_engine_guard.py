"""Cost guard: bytes of the dt partitions a query touches, the same on both engines."""

from __future__ import annotations

import pytest
from engine_data import DAYS

from toolkit.config import Settings
from toolkit.engines import ScanLimitExceeded, connect
from toolkit.engines.athena import AthenaEngine
from toolkit.engines.guard import estimate_scan_bytes, partition_bytes, table_references
from toolkit.lake import Lake


@pytest.fixture(scope="module")
def sizes(days_lake):
    lake = Lake.at(days_lake)
    found = partition_bytes(lake, lake.table("events"))
    assert sorted(found) == DAYS and all(v > 0 for v in found.values())
    return found


@pytest.mark.parametrize("where,params,days", [
    ("dt = :day", {"day": DAYS[1]}, [DAYS[1]]),
    ("dt = '2025-03-06'", {}, [DAYS[2]]),
    ("dt between :start and :end", {"start": DAYS[0], "end": DAYS[1]}, DAYS[:2]),
    ("dt >= :start and principal_arn = :p", {"start": DAYS[1], "p": "x"}, DAYS[1:]),
    ("'2025-03-05' >= dt", {}, DAYS[:2]),
    ("dt in ('2025-03-04', '2025-03-06')", {}, [DAYS[0], DAYS[2]]),
    ("event_name = 'x'", {}, DAYS),                         # no dt predicate: whole table
    ("dt = :day or event_name = 'x'", {"day": DAYS[0]}, DAYS),  # OR: not a bound
])
def test_estimate_counts_the_partitions_the_predicate_admits(days_lake, sizes, where, params, days):
    sql = f"select count(*) from events where {where}"  # noqa: S608
    assert estimate_scan_bytes(Lake.at(days_lake), sql, params) == sum(sizes[d] for d in days)


def test_each_reference_counts_and_ctes_are_not_tables(days_lake, sizes):
    sql = ("with events_today as (select * from events where dt = :day) "
           "select * from events_today a join events b on a.event_id = b.event_id "
           "where b.dt = :day")
    refs = table_references(sql, {"day": DAYS[2]})
    assert [name for name, _ in refs] == ["events", "events"]
    assert estimate_scan_bytes(Lake.at(days_lake), sql, {"day": DAYS[2]}) == 2 * sizes[DAYS[2]]


def test_missing_tables_cost_nothing(days_lake):
    assert estimate_scan_bytes(Lake.at(days_lake), "select * from findings where dt = '2025-03-06'") == 0


def test_duckdb_and_athena_report_the_same_estimate(days_lake, sizes):
    sql, params = "select * from events where dt between :a and :b", {"a": DAYS[0], "b": DAYS[2]}
    duck = connect(Settings(lake=days_lake))
    athena = AthenaEngine(Settings(lake=days_lake, engine="athena", athena_output="s3://out/"))
    assert duck.estimate_scan_bytes(sql, params) == athena.estimate_scan_bytes(sql, params) \
        == sum(sizes.values())


def test_athena_refuses_above_the_limit_before_sending_anything(days_lake, sizes):
    settings = Settings(lake=days_lake, engine="athena", athena_output="s3://out/",
                        scan_limit_bytes=sizes[DAYS[0]])
    engine = AthenaEngine(settings)
    with pytest.raises(ScanLimitExceeded, match="--allow-scan"):
        engine.query("select * from events where dt >= :d", {"d": DAYS[0]})
    assert engine._conn is None  # never connected: refused before any AWS call


def test_raw_table_estimate_uses_the_projected_day(tmp_path, real_cloudtrail_dir):
    raw = real_cloudtrail_dir / "cloud-snitch"
    files = sorted(raw.rglob("*.json.gz"))
    lake = Lake.at(str(tmp_path))
    on_day = "select count(*) from cloudtrail_raw where account in ('1') and day = :d"
    assert estimate_scan_bytes(lake, on_day, {"d": "2025/03/06"}, str(raw)) == \
        sum(f.stat().st_size for f in files)
    assert estimate_scan_bytes(lake, on_day, {"d": "2025/03/07"}, str(raw)) == 0
    engine = connect(Settings(lake=str(tmp_path), raw=str(raw)))
    assert engine.query("select count(*) from cloudtrail_raw where day = :d",
                        {"d": "2025/03/06"}).item() == len(files)
