"""A write killed at any point leaves the previous day readable; readers never see a mix.

SIGKILL is real (a child process kills itself at a hook): before the commit, in the middle of
it (new metadata file written, catalog pointer not yet moved) and right after it. Readers:
the catalog's file list, the DuckDB engine's view and polars' ``scan_iceberg``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import polars as pl
import pyarrow.parquet as pq
import pytest
from lake_helpers import DAY, day_events

from toolkit.config import Settings
from toolkit.engines.duck import DuckDBEngine
from toolkit.lake import Lake, iceberg
from toolkit.lake.maintenance import maintain

REPO = Path(__file__).resolve().parents[2]
COUNT = "select count(*) as n from events where dt = :day"
KILLED_WRITE = """
import os, signal, sys
sys.path.insert(0, sys.argv[3])
from lake_helpers import day_events
from toolkit.lake import Lake, iceberg
from toolkit.lake.maintenance import maintain
lake, stage = Lake.at(sys.argv[1]), sys.argv[2]
die = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
if stage in ("planned", "committed"):
    iceberg.HOOKS.append(lambda s, t, d: s == stage and die())
if stage == "mid-commit":  # new metadata JSON written, the catalog's pointer not moved yet
    from pyiceberg.catalog.sql import SqlCatalog
    original = SqlCatalog._write_metadata
    def write_then_die(*a, **k):
        original(*a, **k)
        die()
    SqlCatalog._write_metadata = staticmethod(write_then_die)
with lake.replacing_partition("events", "DAY") as folder:
    import pyarrow.parquet as pq
    pq.write_table(day_events("DAY", 70, "new"), folder + "/part-0.parquet")
    if stage == "writing":
        die()
""".replace("DAY", DAY)


def _counts(lake: Lake) -> dict[str, int]:
    """The day's row count through every reader."""
    files = sum(pq.read_metadata(f).num_rows for f in lake.files("events", DAY))
    engine = DuckDBEngine(Settings(lake=lake.root))
    duck = engine.query(COUNT, {"day": DAY})["n"][0]
    table = iceberg.load(lake, "events")
    polars = pl.scan_iceberg(table).filter(pl.col("dt") == DAY).select(pl.len()).collect().item()
    return {"files": files, "duckdb": duck, "polars": polars}


@pytest.mark.filterwarnings("ignore:Iceberg scan planning")  # polars' optional planner plugin
@pytest.mark.parametrize("stage", ["writing", "planned", "mid-commit", "committed"])
def test_sigkill_during_a_write_keeps_the_previous_day(tmp_path, stage):
    lake = Lake.at(str(tmp_path / "lake"))
    lake.write_parquet("events", DAY, day_events(DAY, 40, "old"))
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITE, lake.root, stage, str(Path(__file__).parent)],
                          cwd=REPO, env=dict(os.environ), timeout=120)
    assert proc.returncode == -9  # really killed
    expected = 70 if stage == "committed" else 40
    assert _counts(lake) == {"files": expected, "duckdb": expected, "polars": expected}
    lake.write_parquet("events", DAY, day_events(DAY, 55, "rerun"))  # the rerun succeeds
    assert _counts(lake) == {"files": 55, "duckdb": 55, "polars": 55}


def _poll_while_rewriting(lake: Lake, engine: DuckDBEngine, sizes=(30, 45), rewrites=10) -> set[int]:
    """Rewrite the day ``rewrites`` times while a reader counts it; every count seen."""
    lake.write_parquet("events", DAY, day_events(DAY, sizes[0]))
    tables = [day_events(DAY, sizes[(i + 1) % 2]) for i in range(rewrites)]
    seen, done, errors = set(), threading.Event(), []

    def writer():
        try:
            for table in tables:
                lake.write_parquet("events", DAY, table)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    polls = 0
    while not done.is_set() or polls < 3:
        engine.refresh_table("events")  # plan through the catalog, then read those files
        seen.add(engine.query(COUNT, {"day": DAY})["n"][0])
        polls += 1
    thread.join()
    assert not errors, errors
    assert polls >= 3
    return seen


def test_reader_sees_old_or_new_day_never_a_mix_local(tmp_path):
    lake = Lake.at(str(tmp_path / "lake"))
    lake.write_parquet("events", "2025-03-05", day_events("2025-03-05", 5))
    seen = _poll_while_rewriting(lake, DuckDBEngine(Settings(lake=lake.root)))
    assert seen <= {30, 45} and 45 in seen


@pytest.mark.slow
def test_reader_sees_old_or_new_day_never_a_mix_on_s3(moto_reset, monkeypatch):
    """S3 + Glue catalog, both on moto's server over HTTP (the production layout)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_reset)
    boto3.client("s3", endpoint_url=moto_reset).create_bucket(Bucket="lake")
    lake = Lake.at("s3://lake/poll", endpoint_url=moto_reset)
    assert lake.catalog == "glue"
    lake.write_parquet("events", "2025-03-05", day_events("2025-03-05", 5))
    engine = DuckDBEngine(Settings(lake=lake.root, endpoint_url=moto_reset))
    seen = _poll_while_rewriting(lake, engine)
    assert seen <= {30, 45} and 45 in seen
    glue = boto3.client("glue", endpoint_url=moto_reset)
    assert glue.get_table(DatabaseName="trailwatch", Name="events")["Table"]["Parameters"]["table_type"] == "ICEBERG"
    # maintenance on S3: replaced files go, the current day stays whole
    s3 = boto3.client("s3", endpoint_url=moto_reset)
    keys = lambda: [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="poll/cloudtrail/events/dt=")["Contents"]]  # noqa: E731
    assert len(keys()) == 12
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    assert maintain(lake, dt.timedelta(days=7), now=later)["events"]["snapshots_expired"] == 11
    assert sorted("s3://lake/" + k for k in keys()) == sorted(lake.files("events"))
    engine.refresh_table("events")
    assert engine.query(COUNT, {"day": DAY})["n"][0] == 30
