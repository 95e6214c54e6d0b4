"""What a run read is recorded: snapshot ids in the ingest manifest and in report metadata."""

from __future__ import annotations

import json

from lake_helpers import DAY, day_events

from toolkit.cloudtrail import ingest_day
from toolkit.lake import Lake, snapshot_ids
from toolkit.reports.runner import _lake_snapshots, _stamp_snapshots


def test_ingest_manifest_names_the_snapshot_holding_the_day(snitch_raw, tmp_path):
    lake = Lake.at(str(tmp_path / "lake"))
    manifest = ingest_day(snitch_raw, lake, DAY)
    on_disk = json.loads(open(lake.partition("ingest_runs", DAY) + ".json").read())
    assert on_disk["snapshot_id"] == manifest["snapshot_id"] == lake.snapshot_id("events")
    assert len(lake.files("events", DAY, snapshot_id=manifest["snapshot_id"])) >= 1
    assert ingest_day(snitch_raw, lake, DAY)["snapshot_id"] == manifest["snapshot_id"]  # nothing new
    ingest_day(snitch_raw, lake, DAY, rebuild=True)  # a later commit: the old snapshot still reads the same rows
    assert lake.snapshot_id("events") != manifest["snapshot_id"]
    assert lake.files("events", DAY, snapshot_id=manifest["snapshot_id"]) != lake.files("events", DAY)


def test_report_metadata_records_each_table_snapshot(tmp_path):
    lake = Lake.at(str(tmp_path / "lake"))
    lake.write_parquet("events", DAY, day_events(DAY, 3))
    lake.write_parquet("curated/cur_api_errors_daily", DAY, day_events(DAY, 1))
    snapshots = _lake_snapshots(lake.root)
    assert snapshots == {"events": lake.snapshot_id("events"),
                         "curated/cur_api_errors_daily": lake.snapshot_id("curated/cur_api_errors_daily")}
    assert {k: v for k, v in snapshot_ids(lake).items() if v is not None} == snapshots
    notebook = tmp_path / "report.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {"kernelspec": {"name": "python3"}},
                                    "nbformat": 4, "nbformat_minor": 5}))
    _stamp_snapshots(notebook, snapshots)
    meta = json.loads(notebook.read_text())["metadata"]
    assert meta["trailwatch"]["snapshots"] == snapshots and meta["kernelspec"] == {"name": "python3"}
    assert _lake_snapshots(str(tmp_path / "no-lake")) == {}
