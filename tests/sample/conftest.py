"""Small generated samples shared by the sample tests, and a CloudTrail delivery reader."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from toolkit.sample import generate_account

SMALL = dict(start="2025-03-03", days=3, events_per_day=1500, seed=11)
REQUIRED = ("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
            "eventID", "eventType", "recipientAccountId")


def read_delivery(path: Path) -> list[dict]:
    """Records of one CloudTrail log file; fails loudly on anything CloudTrail would not write."""
    doc = json.loads(gzip.decompress(Path(path).read_bytes()))
    assert isinstance(doc, dict) and isinstance(doc.get("Records"), list), path
    for rec in doc["Records"]:
        missing = [k for k in REQUIRED if k not in rec]
        assert not missing, f"{path}: record without {missing}"
    return doc["Records"]


@pytest.fixture(scope="session")
def reader():
    return read_delivery


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("sample")
    return generate_account(out, **SMALL)


@pytest.fixture(scope="session")
def sample_records(sample) -> list[tuple[str, dict]]:
    """(key relative to raw, record) for every record of every log file."""
    raw = Path(sample["raw"])
    found = []
    for path in sorted(raw.glob("AWSLogs/**/CloudTrail/**/*.json.gz")):
        key = path.relative_to(raw).as_posix()
        found.extend((key, rec) for rec in read_delivery(path))
    return found


@pytest.fixture(scope="session")
def truth(sample) -> dict:
    return json.loads(Path(sample["truth"]).read_text())
