"""CloudWatch test fixtures: a sample-layout datapoint folder and a moto-backed export setup."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

ACCOUNT = "111122223333"
REGION = "us-east-1"
DAY = dt.date(2025, 3, 4)
NOW = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)  # 1-minute data still retained for DAY


def write_sample(root: Path, day: dt.date = DAY, account: str = ACCOUNT, region: str = REGION) -> dict:
    """A ``cloudwatch/<account>/<region>/metrics-D.json`` file in the sample generator's layout."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    stamps = [start + dt.timedelta(minutes=5 * i) for i in range(288)]
    iso = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in stamps]
    results = [
        {"Id": "cpu_a", "Label": "CPU a", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
         "Dimensions": [{"Name": "InstanceId", "Value": "i-0aaa"}], "Unit": "Percent", "Period": 300,
         "Timestamps": iso, "Values": [10 + (i % 12) for i in range(288)]},
        {"Id": "cpu_b", "Label": "CPU b", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
         "Dimensions": [{"Name": "InstanceId", "Value": "i-0bbb"}], "Unit": "Percent", "Period": 300,
         "Timestamps": iso, "Values": [50.0 + (i % 3) for i in range(288)]},
        {"Id": "inv", "Label": "Invocations", "Namespace": "AWS/Lambda", "MetricName": "Invocations",
         "Dimensions": [{"Name": "FunctionName", "Value": "billing"}], "Unit": "Count", "Period": 300,
         "Timestamps": iso, "Values": [float(i % 7) for i in range(288)]},
    ]
    folder = root / "cloudwatch" / account / region
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"AccountId": account, "Region": region, "MetricDataResults": results}
    (folder / f"metrics-{day.isoformat()}.json").write_text(json.dumps(doc))
    return doc


@pytest.fixture
def sample_dir(tmp_path) -> Path:
    root = tmp_path / "sample"
    write_sample(root)
    return root
