"""The forensic report at scale: a subject with 100k+ calls, 200+ APIs and 300+ temporary keys
renders a bounded report (size, image sizes, tables that fit the page in headless Chromium),
leads with the incident, and the notebook only loads the saved investigation (computed once)."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from large_subject import ATTACKER_IP, KEY, STEPS, build_large_lake
from reports_helpers import embedded_png_sizes, measure_tables

from toolkit.forensics import investigate
from toolkit.reports import run_report

pytestmark = pytest.mark.slow  # builds a 105k-event lake, investigates, renders (~1 min)

MAX_HTML_BYTES = 3 * 1024 * 1024
MAX_IMAGE = (1400, 1600)  # width, height in pixels


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    root = tmp_path_factory.mktemp("large-subject")
    info = build_large_lake(str(root / "lake"))
    saved = str(root / "reports" / "investigation")
    inv = investigate(info["lake"], ("access_key", KEY), info["start"], info["end"], out=saved)
    run = run_report("forensic", str(root / "reports" / "html"),
                     {"lake": info["lake"], "subject": KEY, "start": info["start"], "end": info["end"],
                      "investigation": saved})
    return {"root": root, "info": info, "inv": inv, "run": run, "saved": saved,
            "html": Path(run.html).read_text(encoding="utf-8")}


def test_the_subject_is_large(large):
    inv = large["inv"]
    assert inv.timeline.height >= 100_000
    assert inv.timeline.select("event_source", "event_name").unique().height >= 200
    temporary = inv.chain_nodes.filter((pl.col("node_type") == "access_key")
                                       & pl.col("node_id").str.starts_with("ASIA"))
    assert temporary.height >= 300


def test_html_and_every_image_are_bounded(large):
    size = Path(large["run"].html).stat().st_size
    assert size <= MAX_HTML_BYTES, f"report HTML is {size:,} bytes"
    images = embedded_png_sizes(large["html"])
    assert len(images) >= 5
    too_big = [(w, h) for w, h in images if w > MAX_IMAGE[0] or h > MAX_IMAGE[1]]
    assert not too_big, f"images over {MAX_IMAGE}: {too_big}"


def test_no_table_is_wider_than_the_page(large, tmp_path):
    layout = measure_tables(Path(large["run"].html), tmp_path)
    assert layout["tables"] >= 8
    assert layout["wide"] == [], layout["wide"]
    assert layout["scroll"] <= layout["page"], "the page scrolls sideways"


def _top_section(html: str) -> str:
    """From the 'What happened' heading to the next section heading."""
    start = html.index('id="What-happened"')
    end = html.index("<h2", start)
    return html[start:end]


def test_the_incident_steps_are_in_the_top_section(large):
    top = _top_section(large["html"])
    missing = {step: apis for step, apis in STEPS.items() if not any(api in top for api in apis)}
    assert not missing, f"incident steps not in the top section: {missing}"
    assert ATTACKER_IP in top
    # ranked by severity, not by count: the 40 informational findings come after the high ones
    rows = re.findall(r'<td class="txt short">(high|medium|low|informational)</td>', top)
    assert rows[0] == "high" and "informational" not in rows[:10]


def test_the_notebook_loaded_the_saved_investigation(large):
    root = large["root"]
    summaries = sorted(str(p.parent) for p in root.rglob("summary.json"))
    assert summaries == [large["saved"]], "the notebook investigated again"
    assert large["saved"] in large["html"]  # the parameters table names the saved investigation
    assert "evidence-subject.json" in _top_section(large["html"]) or "evidence-subject.json" in large["html"]
