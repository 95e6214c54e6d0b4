"""Glue for the forensic report: subject detection, where evidence goes, display tables.

The investigation itself is ``toolkit.forensics`` (investigate, change_impact); this module
only picks defaults and shapes its results for the notebook.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from toolkit.lake import Lake, join, parse_day

if TYPE_CHECKING:
    import altair as alt
    import polars as pl

    from toolkit.config import Settings
    from toolkit.forensics import Investigation, Subject

# Tried in this order when the analyst gives no subject type (each validator is strict).
DETECTION_ORDER = ("access_key", "ip", "principal", "resource")


def detect_subject(value: str, kind: str = "") -> Subject:
    """The validated subject; with no ``kind``, the first kind whose validator accepts it."""
    from toolkit.forensics import parse_subject

    if kind:
        return parse_subject(kind, value)
    for candidate in DETECTION_ORDER:
        try:
            return parse_subject(candidate, value)
        except ValueError:
            continue
    raise ValueError(f"cannot tell what {value!r} is: give an access key id (AKIA...), an IP "
                     "address, a principal ARN or a resource ARN, or set subject_type")


def _some(values: list[str], shown: int = 6) -> str:
    """``"N: a, b, …"`` (the full lists are in the tables below)."""
    if not values:
        return "none"
    more = ", …" if len(values) > shown else ""
    return f"{len(values)}: " + ", ".join(values[:shown]) + more


def evidence_dir(lake: str, subject: Subject, start: str, end: str) -> str:
    """``<lake>/reports/forensic/<kind>-<value>-<start>-<end>`` with a path-safe value."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", subject.value)[:120]
    name = f"{subject.kind}-{safe}-{parse_day(start)}-{parse_day(end)}"
    return join(Lake.at(lake).table("reports"), "forensic", name)


def summary_table(inv: Investigation) -> pl.DataFrame:
    """The investigation summary as (fact, value) rows."""
    import polars as pl

    facts = inv.summary()
    chain, blast = facts["identity_chain"], facts["blast_radius"]
    rows = [
        ("subject", f"{facts['subject']['kind']}: {facts['subject']['value']}"),
        ("window", f"{facts['window']['start']} .. {facts['window']['end']} "
                   f"(baseline {facts['window']['baseline_days']} days before)"),
        ("events (errors)", f"{facts['events']:,} ({facts['errors']:,})"),
        ("first seen / last seen", f"{facts['first_seen']} / {facts['last_seen']}"),
        ("principals", ", ".join(facts["principals"]) or "–"),
        ("access keys", ", ".join(facts["access_keys"]) or "–"),
        ("new IPs", _some(facts["new_ips"])),
        ("new user agents", _some(facts["new_user_agents"], 2)),
        ("identity chain", f"{chain['nodes']} nodes, {len(chain['roles'])} roles, "
                           f"{chain['descendant_events']:,} events by issued credentials"),
        ("blast radius", f"{blast['resources_read']:,} resources read, "
                         f"{blast['resources_changed']:,} changed in {', '.join(blast['services']) or '–'}"),
        ("findings", ", ".join(f"{n} {sev}" for sev, n in sorted(facts["findings"].items())) or "none"),
    ]
    return pl.DataFrame(rows, schema={"fact": pl.String, "value": pl.String}, orient="row")


SEVERITY_ORDER = ("critical", "high", "medium", "low", "informational")


def findings_table(inv: Investigation) -> pl.DataFrame:
    """The findings that concern the subject, most severe first, then by time."""
    import polars as pl

    order = pl.col("severity").replace_strict(
        {s: i for i, s in enumerate(SEVERITY_ORDER)}, default=len(SEVERITY_ORDER))
    columns = ["severity", "rule_id", "title", "tactic", "technique", "first_seen", "last_seen",
               "event_count", "principal_arn", "source_ip_address"]
    return inv.findings.sort(order, "first_seen").select(columns)


def evidence_files(inv: Investigation) -> pl.DataFrame:
    """Files the investigation wrote (evidence exports first)."""
    import polars as pl

    rows = sorted(inv.paths.items(), key=lambda kv: (not kv[0].startswith("evidence"), kv[0]))
    return pl.DataFrame(rows, schema={"file": pl.String, "path": pl.String}, orient="row")


def change_chart(lake: str, impact: pl.DataFrame, *, window_hours: float,
                 settings: Settings | None = None) -> alt.Chart:
    """The top-ranked change's metric with its band and change markers (or a note)."""
    from toolkit.charts import empty_chart
    from toolkit.forensics import change_impact_chart

    if impact.is_empty():
        return empty_chart("Change impact", "no change in the window was followed by a metric anomaly")
    return change_impact_chart(lake, impact.row(0, named=True), window_hours=window_hours,
                               settings=settings)


def chart(builder, *args: Any, title: str, **kwargs: Any) -> alt.Chart:
    """``builder(*args, title=title, **kwargs)``, or a titled note when it has nothing to draw."""
    from toolkit.charts import empty_chart

    try:
        return builder(*args, title=title, **kwargs)
    except ValueError as exc:
        return empty_chart(title, str(exc))
