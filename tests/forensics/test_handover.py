"""The forensic DAG's hand-over, through the functions its two tasks call: ``investigate``
runs the investigation once and saves it under the reports root; ``report`` renders the
notebook from that saved folder (the notebook runs in its own kernel, so the proof that it did
not investigate again is on disk: one summary.json, nothing under the lake)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from forensics_crafted import ATTACKER_IP, LEAKED_KEY

DAY = "2025-03-05"


@pytest.mark.slow  # one notebook run (~20 s on the shared machine)
def test_investigate_task_runs_once_and_the_report_loads_it(crafted_lake, tmp_path, monkeypatch):
    from toolkit import pipeline
    from toolkit.config import Settings

    runs = []
    real = pipeline.run_investigation  # the pipeline's binding of forensics.investigate
    monkeypatch.setattr(pipeline, "run_investigation", lambda *a, **k: runs.append(a) or real(*a, **k))
    settings = Settings(lake=crafted_lake, reports=str(tmp_path / "reports"))
    params = {"subject_type": "access_key", "subject": LEAKED_KEY, "start": DAY, "end": DAY}
    saved = pipeline.investigate(settings, params, "manual__2025-03-06T00:00:00+00:00")
    report = pipeline.forensic_report(settings, params, "manual__2025-03-06T00:00:00+00:00",
                                      investigation=saved["out"])
    assert len(runs) == 1
    summaries = [str(p.parent) for p in tmp_path.rglob("summary.json")]
    assert summaries == [saved["out"]], "the notebook investigated again"
    assert not (Path(crafted_lake) / "reports").exists(), "evidence went under the lake"
    nb = nbformat.read(report["notebook"], as_version=4)
    outputs = str([c.get("outputs") for c in nb.cells])
    assert saved["out"] in outputs and ATTACKER_IP in outputs
    assert report["html"].startswith(str(tmp_path / "reports" / "forensic"))


def test_notebook_refuses_a_saved_investigation_of_another_subject(crafted_lake, tmp_path):
    from toolkit.config import Settings
    from toolkit.forensics import investigate
    from toolkit.reports.forensic_notebook import open_investigation

    saved = str(tmp_path / "inv")
    investigate(crafted_lake, ("access_key", LEAKED_KEY), DAY, DAY, out=saved)
    settings = Settings(lake=crafted_lake, reports=str(tmp_path / "reports"))
    with pytest.raises(ValueError, match="is about access key"):
        open_investigation(settings, investigation=saved, subject=ATTACKER_IP, subject_type="",
                           start=DAY, end=DAY, baseline_days=14, out="")
    fresh = open_investigation(settings, investigation="", subject=LEAKED_KEY, subject_type="",
                               start=DAY, end=DAY, baseline_days=14, out="")
    assert fresh.paths["summary.json"].startswith(str(tmp_path / "reports" / "forensic" / "access_key-"))


def test_saved_investigation_records_the_snapshot_of_each_table_it_read(crafted_lake, tmp_path):
    """summary.json names the Iceberg snapshot of every lake table the investigation read, so it
    can be re-run on exactly that data (`query --as-of`); a saved investigation loads them back."""
    from toolkit.forensics.investigation import investigate, load
    from toolkit.lake import Lake

    lake = crafted_lake
    inv = investigate(lake, ("access_key", LEAKED_KEY), DAY, DAY, out=str(tmp_path / "case"))
    assert inv.snapshots["events"] == Lake.at(lake).snapshot_id("events") is not None
    saved = json.loads((tmp_path / "case" / "summary.json").read_text())
    assert saved["snapshots"]["events"] == inv.snapshots["events"]
    assert load(str(tmp_path / "case")).snapshots == saved["snapshots"]
