"""`trailwatch demo` end to end on a small account: Airflow runs, reports, digests, summary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_demo_runs_the_whole_product(tmp_path, repo_root):
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "toolkit", "demo", "--out", str(out), "--days", "2",
                           "--events-per-day", "1500"], capture_output=True, text=True, cwd=repo_root,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["events_ingested"] > 2000
    assert summary["airflow_runs"] == 2 * 2 + 2  # two daily DAGs per day, cost and forensic reports
    assert summary["findings_by_severity"].get("high", 0) >= 3  # the seeded incident
    assert summary["digests"]["ok"] and summary["digests"]["log_files_checked"] > 0
    reports = summary["reports"]
    assert any("cost_analysis" in r for r in reports) and any("forensic_investigation" in r for r in reports)
    assert "events ingested" in proc.stdout and "make airflow-ui" in proc.stdout
