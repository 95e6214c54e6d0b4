"""The ingest on a realistic generated account (toolkit.sample): lossless and complete."""

from __future__ import annotations

import gzip
import json

import pytest

from toolkit.cloudtrail import export_records, ingest_day
from toolkit.sample import generate_account


@pytest.mark.slow
def test_sample_org_account_ingests_losslessly(tmp_path):
    summary = generate_account(tmp_path / "s", start="2025-03-03", days=1, events_per_day=300,
                               accounts=2, org=True)
    raw = summary["raw"]
    m = ingest_day(raw, str(tmp_path / "lake"), "2025-03-03")
    originals = {}
    for path in sorted((tmp_path / "s/raw/AWSLogs").rglob("*.json.gz")):
        if "/CloudTrail/" in str(path):
            for r in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
                if r["eventTime"].startswith("2025-03-03"):
                    originals.setdefault(r["eventID"], r)
    exported = {r["eventID"]: r for r in export_records(str(tmp_path / "lake"), "2025-03-03", "2025-03-03")}
    assert m["records_written"] == len(originals) == len(exported) > 400
    assert m["digest_files_skipped"] > 0 and m["files_quarantined"] == 0
    assert [k for k in originals if exported[k] != originals[k]] == []
