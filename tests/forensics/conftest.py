"""Forensics fixtures: lakes built once per session (crafted, and from the sample account)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from forensics_crafted import crafted_records, write_events, write_findings


@pytest.fixture(scope="session")
def crafted_lake(tmp_path_factory) -> str:
    """A lake with the crafted events and findings; returns its path."""
    lake = str(tmp_path_factory.mktemp("forensics") / "lake")
    records = crafted_records()
    write_events(lake, records)
    write_findings(lake, records)
    return lake


SAMPLE_START, SAMPLE_DAYS = "2025-03-03", 4  # incident and metric shift fall on day 2


def metrics_from_sample(out):
    """The sample's GetMetricData-shaped files as metrics rows (Average, one value per period).

    Test glue standing in for export-through-moto: same columns the export writes.
    """
    import datetime as dt
    import pathlib

    import polars as pl

    from toolkit.cloudwatch.catalog import dimensions_json, resource_id, unit_for

    rows = []
    for path in sorted(pathlib.Path(out, "cloudwatch").rglob("metrics-*.json")):
        doc = json.loads(path.read_text())
        for r in doc["MetricDataResults"]:
            dims = dimensions_json(r["Dimensions"])
            rid = resource_id(r["Dimensions"])
            for t, v in zip(r["Timestamps"], r["Values"], strict=True):
                rows.append((dt.datetime.fromisoformat(t.replace("Z", "+00:00")), doc["AccountId"],
                             doc["Region"], r["Namespace"], r["MetricName"], dims, rid, "Average",
                             int(r["Period"]), float(v), r.get("Unit") or unit_for(r["MetricName"], "Average")))
    from toolkit.cloudwatch.schema import METRICS_SCHEMA

    return pl.DataFrame(rows, schema=METRICS_SCHEMA.names, orient="row").cast(
        {"timestamp": pl.Datetime("us", "UTC"), "period_s": pl.Int32})


def sample_records(out) -> list[dict]:
    """Every CloudTrail record the sample delivered, once per eventID (deliveries repeat)."""
    import gzip
    import pathlib

    seen: dict[str, dict] = {}
    for path in sorted(pathlib.Path(out, "raw").rglob("*.json.gz")):
        if "CloudTrail-Digest" in path.parts:
            continue
        for rec in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            seen.setdefault(rec["eventID"], rec)
    return list(seen.values())


@pytest.fixture(scope="session")
def sample_lake(tmp_path_factory) -> dict:
    """The sample account: events, cur_resource_changes, metrics and anomalies per day.

    Events go through ``events_from_records`` (the ingest's own flattening SQL) rather than
    ``ingest_day``, which reads ~1,500 small files per day and takes minutes on the shared
    test machine; the ingest has its own tests.
    """
    import polars as pl

    from toolkit.cloudwatch import detect_anomalies
    from toolkit.cloudwatch.schema import METRICS_SCHEMA
    from toolkit.config import Settings
    from toolkit.engines import connect
    from toolkit.lake import Lake, day_range
    from toolkit.sample import generate_account

    root = tmp_path_factory.mktemp("forensics-sample")
    out, lake = root / "out", str(root / "lake")
    generate_account(out, start=SAMPLE_START, days=SAMPLE_DAYS, events_per_day=1500)
    days = day_range(SAMPLE_START, dt.date.fromisoformat(SAMPLE_START) + dt.timedelta(days=SAMPLE_DAYS - 1))
    metrics = metrics_from_sample(out)
    write_events(lake, sample_records(out))
    for day in days:
        part = metrics.filter(pl.col("timestamp").dt.date() == day)
        Lake.at(lake).write_parquet("metrics", day, part.to_arrow().cast(METRICS_SCHEMA))
    engine = connect(Settings(lake=lake))
    for day in days:
        engine.run_model("cur_resource_changes", day)
        detect_anomalies(lake, day, stats=("Average",))
    truth = json.loads((out / "truth" / "incident.json").read_text())
    return {"lake": lake, "truth": truth, "days": [d.isoformat() for d in days]}
