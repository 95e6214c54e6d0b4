"""CloudTrail Insights deliveries (``CloudTrail-Insight/``) -> the lake's ``insights`` table.

Insights files are few and small (one per anomaly window), so plain Python reads them. Each
row keeps the exact record JSON next to a few columns to filter on; dedupe by eventID like the
events table (smallest source key wins).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pyarrow as pa

INSIGHTS_SCHEMA = pa.schema([
    ("event_id", pa.string()),
    ("event_time", pa.timestamp("us", tz="UTC")),
    ("event_name", pa.string()),
    ("event_source", pa.string()),
    ("aws_region", pa.string()),
    ("recipient_account_id", pa.string()),
    ("insight_type", pa.string()),
    ("state", pa.string()),
    ("record", pa.string()),       # exact JSON of the original record
    ("source_file", pa.string()),
])


def _row(record: dict, key: str) -> dict | None:
    try:
        when = dt.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except (KeyError, TypeError, ValueError):
        return None
    details = record.get("insightDetails") or {}
    return {
        "event_id": record.get("eventID"), "event_time": when,
        "event_name": record.get("eventName"), "event_source": record.get("eventSource"),
        "aws_region": record.get("awsRegion"), "recipient_account_id": record.get("recipientAccountId"),
        "insight_type": details.get("insightType"), "state": details.get("state"),
        "record": json.dumps(record, ensure_ascii=False, separators=(",", ":")), "source_file": key,
    }


def ingest_insights(fs, files, lake, day: dt.date, run) -> None:
    """Write the day's Insights events (replacing the partition); bad files are quarantined."""
    if not files:
        return
    rows = {}
    for f in files:
        try:
            with fs.open(f.url, "rb") as fh:
                records = json.loads(gzip.decompress(fh.read()))["Records"]
            if not isinstance(records, list):
                raise ValueError("Records is not an array")
        except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
            run.quarantine_file(f, f"unreadable Insights file: {exc}")
            continue
        run.counts["insight_files"] += 1
        run.counts["files_read"] += 1
        for record in records:
            row = _row(record, f.key) if isinstance(record, dict) else None
            if row and row["event_id"] and row["event_time"].date() == day:
                rows.setdefault(row["event_id"], row)  # files come sorted by key
    ordered = sorted(rows.values(), key=lambda r: (r["event_time"], r["event_id"]))
    lake.write_parquet("insights", day, pa.Table.from_pylist(ordered, schema=INSIGHTS_SCHEMA))
    run.counts["insight_records_written"] = len(ordered)
