"""The report notebooks on a sample lake: parameters contract, execution, offline HTML with
chart images, the seeded incident and metric shift visible, and a headless Chromium render."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil

import nbformat
import pytest
from reports_helpers import (
    assert_not_blank,
    build_sample_lake,
    embedded_png_sizes,
    measure_tables,
    screenshot,
)

from toolkit.reports import REPORTS, notebook_parameters, notebook_path, run_report
from toolkit.reports.html import external_references

pytestmark = pytest.mark.slow  # runs three notebooks on a generated sample lake (~1-2 min)

# What callers pass, by report: the CLI always passes lake; toolkit/pipeline.py (the DAGs)
# passes lake + engine + these (cost_report, forensic_report).
CALLER_PARAMETERS = {
    "cost": {"lake", "engine", "start", "end"},
    "forensic": {"lake", "engine", "subject", "subject_type", "start", "end", "investigation"},
    "digest": {"lake", "engine", "day"},
}


CHARTS = {"cost": 6, "forensic": 6, "digest": 3}  # chart cells per notebook
MAX_IMAGE = (1400, 1600)  # width, height in pixels of any chart image


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_caller_parameters_are_a_subset_of_the_notebook(report):
    assert CALLER_PARAMETERS[report] <= set(notebook_parameters(report))


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_parameters_cell_is_typed_literals_with_comments(report):
    nb = nbformat.read(str(notebook_path(report)), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].metadata.get("tags") == ["parameters"]
    assert not any("parameters" in c.metadata.get("tags", []) for c in code[1:])
    lines = [line for line in code[0].source.splitlines() if line.strip()]
    declared = notebook_parameters(report)
    assert len(lines) == len(declared), "papermill could not parse every parameter line"
    for line in lines:
        assignment = ast.parse(line.split("  #")[0]).body[0]
        assert isinstance(assignment, ast.AnnAssign), line          # name: type = value
        ast.literal_eval(assignment.value)                          # nothing derived
        assert declared[assignment.target.id]["help"], f"no comment on {line!r}"
    assert all(not c.outputs for c in code), "commit notebooks without outputs"
    assert nb.metadata.kernelspec.name == "trailwatch"


@pytest.fixture(scope="module")
def sample_lake(tmp_path_factory):
    info = build_sample_lake(tmp_path_factory.mktemp("reports-lake"))
    for note in info["skipped"]:
        print("SKIPPED upstream step:", note)
    return info


@pytest.fixture(scope="module")
def rendered(sample_lake, tmp_path_factory):
    """Each report run once on the sample lake (through the same runner the CLI uses)."""
    out = tmp_path_factory.mktemp("reports-out")
    incident = sample_lake["truth"]["incident"]
    first, last = sample_lake["days"][0], sample_lake["days"][-1]
    params = {
        "cost": {"start": first, "end": last, "raw": sample_lake["raw"], "rightsizing_min_days": "2",
                 "trail_copies": "2"},
        "forensic": {"subject": incident["access_key_id"], "start": first, "end": last,
                     "baseline_days": "0"},
        "digest": {"day": last, "lookback_days": "2"},
    }
    return {name: run_report(name, str(out), {"lake": sample_lake["lake"], **p})
            for name, p in params.items()}


def _html(run) -> str:
    return open(run.html, encoding="utf-8").read()


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_report_html_is_offline_and_has_chart_images(rendered, report):
    html = _html(rendered[report])
    assert external_references(html) == []
    assert not re.search(r"<script[^>]*\bsrc=", html)
    images = re.findall(r'<img\b[^>]*\bsrc="data:image/png;base64,', html)
    assert len(images) == CHARTS[report], "every chart cell renders one embedded PNG"


def test_cost_report_prices_logging_and_rightsizing(rendered, sample_lake):
    html = _html(rendered["cost"])
    for heading in ("What the logging itself costs", "Top drivers of data events",
                    "raw JSON versus curated Parquet", "EC2 rightsizing", "Recommendations"):
        assert heading in html
    expected = [r["instance_id"] for r in sample_lake["truth"]["rightsizing"] if r["expected"] == "downsize"]
    assert expected and all(f"Downsize {i}" in html for i in expected)
    assert "Consolidate 2 management-event trails" in html
    assert "https://aws.amazon.com/cloudtrail/pricing/" in html  # prices cite their source


def test_forensic_report_shows_the_incident_and_the_metric_shift(rendered, sample_lake):
    nb = nbformat.read(rendered["forensic"].notebook, as_version=4)
    text = json.dumps([o for c in nb.cells for o in c.get("outputs", [])])
    incident, shift = sample_lake["truth"]["incident"], sample_lake["truth"]["metric_shift"]
    assert incident["attacker_ip"] in text and incident["user_arn"] in text
    html = _html(rendered["forensic"])
    top = re.search(r"<td class=\"num\">1</td><td class=\"num\">[\d.,]+</td><td class=\"txt[^\"]*\">[^<]*</td>"
                    r"<td class=\"txt[^\"]*\">(\w+)</td>", html)
    assert top and top.group(1) == shift["change_event_name"], "seeded change is not ranked first"
    assert shift["resource_id"] in html
    assert "evidence-subject.json" in html


def test_digest_lists_the_incident_findings_as_new(rendered, sample_lake):
    html = _html(rendered["digest"])
    assert "New findings on the day" in html
    assert re.search(r"<td class=\"txt[^\"]*\">high</td>", html), "the incident day has new high findings"


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_report_renders_in_headless_chromium(rendered, report, tmp_path):
    from pathlib import Path

    png = screenshot(Path(rendered[report].html), tmp_path / f"{report}.png", tmp_path / "profile")
    stats = assert_not_blank(png, min_colours=64, min_share=0.05)
    keep = os.environ.get("TRAILWATCH_REPORTS_SCREENSHOTS")  # a folder to keep them for a look
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / png.name)
    print(report, stats)


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_report_tables_fit_the_page_and_images_are_bounded(rendered, report, tmp_path):
    from pathlib import Path

    sizes = embedded_png_sizes(_html(rendered[report]))
    assert all(w <= MAX_IMAGE[0] and h <= MAX_IMAGE[1] for w, h in sizes), sizes
    layout = measure_tables(Path(rendered[report].html), tmp_path)
    assert layout["tables"] and layout["wide"] == [], layout["wide"]


@pytest.fixture(scope="module")
def rendered_skipped(sample_lake, tmp_path_factory):
    """Optional parameters left to their "skipped" defaults: the cost report with no raw
    location (nor TRAILWATCH_RAW), the digest with no lookback days."""
    out = tmp_path_factory.mktemp("reports-skipped")
    first, last = sample_lake["days"][0], sample_lake["days"][-1]
    saved = os.environ.pop("TRAILWATCH_RAW", None)
    try:
        return {"cost": run_report("cost", str(out), {"lake": sample_lake["lake"], "start": first,
                                                       "end": last, "rightsizing_min_days": "2"}),
                "digest": run_report("digest", str(out), {"lake": sample_lake["lake"], "day": last,
                                                           "lookback_days": "0"})}
    finally:
        if saved is not None:
            os.environ["TRAILWATCH_RAW"] = saved


def test_cost_report_without_raw_skips_the_raw_comparison(rendered_skipped):
    html = _html(rendered_skipped["cost"])
    assert "Query the curated Parquet tables instead of raw JSON" not in html
    assert "(none)" in html  # the parameters table says there was no raw location
    assert "curated Parquet" in html  # the curated side of the comparison is still shown


def test_digest_without_lookback_treats_the_day_alone(rendered_skipped):
    html = _html(rendered_skipped["digest"])
    assert "New findings on the day" in html and "Findings per day by severity" in html


def test_forensic_top_section_cites_every_incident_step(rendered, sample_lake):
    """The report's 'What happened' rows (the saved highlights it displays) cite at least one
    event of every step of the seeded incident."""
    from pathlib import Path

    import polars as pl

    from toolkit.reports.forensic_notebook import TOP_HIGHLIGHTS

    saved = list(Path(sample_lake["lake"]).rglob("highlights.parquet"))
    assert len(saved) == 1, saved  # the notebook investigated once, into the reports folder
    top = pl.read_parquet(saved[0]).head(TOP_HIGHLIGHTS)
    cited = set(top.explode("event_ids")["event_ids"].drop_nulls())
    missed = [s["step"] for s in sample_lake["truth"]["incident"]["steps"] if not set(s["event_ids"]) & cited]
    assert not missed, f"incident steps not in the top {TOP_HIGHLIGHTS} highlights: {missed}"
