"""The ingest on a realistic generated organization (toolkit.sample): complete and byte-exact."""

from __future__ import annotations

import json

import pytest

from tests.cloudtrail.conftest import delivered_texts
from toolkit.cloudtrail import check_manifest, export_records, ingest_day
from toolkit.sample import generate_account


@pytest.mark.slow
def test_sample_org_exports_every_record_byte_for_byte(tmp_path):
    summary = generate_account(tmp_path / "s", start="2025-03-03", days=1, events_per_day=300,
                               accounts=2, org=True)
    raw = summary["raw"]
    m = ingest_day(raw, str(tmp_path / "lake"), "2025-03-03")
    check_manifest(m)
    delivered = {}  # eventID -> the delivered bytes of its first copy (smallest key)
    for path in sorted((tmp_path / "s/raw/AWSLogs").rglob("*.json.gz")):
        if "/CloudTrail/" in str(path):
            for text in delivered_texts(path.read_bytes()):
                delivered.setdefault(json.loads(text)["eventID"], text)
    exported = {}
    for text, source in export_records(str(tmp_path / "lake"), "2025-03-01", "2025-03-05", with_source=True):
        exported[json.loads(text)["eventID"]] = text.encode()
        assert len(source["file_sha256"]) == 64
    assert m["records_written"] == len(delivered) == len(exported) > 400
    assert m["digest_files_skipped"] > 0 and m["files_quarantined"] == 0
    assert m["files_not_in_digest"] == 0
    assert [k for k in delivered if exported[k] != delivered[k]] == []  # 100% byte-identical
