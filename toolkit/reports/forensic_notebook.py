"""Glue for the forensic report: subject detection, where evidence goes, display tables.

The investigation itself is ``toolkit.forensics`` (investigate, change_impact); this module
only picks defaults and shapes its results for the notebook.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit import forensic_charts
from toolkit.charts import empty_chart
from toolkit.forensics import change_impact_chart, investigate, parse_subject
from toolkit.forensics.investigation import load
from toolkit.forensics.structure import collapsed_chain
from toolkit.lake import join, parse_day
from toolkit.reports.display import markdown

if TYPE_CHECKING:
    import altair as alt
    import polars as pl

    from toolkit.config import Settings
    from toolkit.forensics import Investigation, Subject

# Tried in this order when the analyst gives no subject type (each validator is strict).
DETECTION_ORDER = ("access_key", "ip", "principal", "resource")


def detect_subject(value: str, kind: str = "") -> Subject:
    """The validated subject; with no ``kind``, the first kind whose validator accepts it."""
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


def evidence_dir(reports_root: str, subject: Subject, start: str, end: str) -> str:
    """``<reports>/forensic/<kind>-<value>-<start>-<end>`` with a path-safe value."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", subject.value)[:120]
    name = f"{subject.kind}-{safe}-{parse_day(start)}-{parse_day(end)}"
    return join(reports_root, "forensic", name)


def open_investigation(settings: Settings, *, investigation: str, subject: str, subject_type: str,
                       start: str, end: str, baseline_days: int, out: str) -> Investigation:
    """The saved investigation ``investigation`` names (computed once, by the DAG or the CLI),
    or, when empty, a new one written to ``out`` (default: under the reports root)."""
    who = detect_subject(subject, subject_type)
    if investigation:
        inv = load(investigation, settings.endpoint_url)
        if (inv.subject, inv.start.isoformat(), inv.end.isoformat()) != (who, str(parse_day(start)),
                                                                         str(parse_day(end))):
            raise ValueError(f"the saved investigation at {investigation} is about {inv.subject.label} "
                             f"{inv.start}..{inv.end}, not {who.label} {start}..{end}")
        return inv
    target = out or evidence_dir(settings.reports_root, who, start, end)
    return investigate(settings.lake, who, start, end, settings, baseline_days=baseline_days, out=target)


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
        ("principals", _some(facts["principals"])),
        ("access keys", _some(facts["access_keys"])),
        ("new IPs", _some(facts["new_ips"])),
        ("AWS services calling for it (not IPs)", _some(facts["service_sources"])),
        ("new user agents", _some(facts["new_user_agents"], 2)),
        ("identity chain", f"{chain['nodes']:,} nodes, {len(chain['roles'])} roles, "
                           f"{chain['descendant_events']:,} events by issued credentials"),
        ("blast radius", f"{blast['resources_read']:,} resources read, "
                         f"{blast['resources_changed']:,} changed in {_some(blast['services'])}"),
        ("services only denied", _some(blast["denied_only_services"])),
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
    if impact.is_empty():
        return empty_chart("Change impact", "no change in the window was followed by a metric anomaly")
    return change_impact_chart(lake, impact.row(0, named=True), window_hours=window_hours,
                               settings=settings)


def chart(builder, *args: Any, title: str, **kwargs: Any) -> alt.Chart:
    """``builder(*args, title=title, **kwargs)``, or a titled note when it has nothing to draw."""
    try:
        return builder(*args, title=title, **kwargs)
    except ValueError as exc:
        return empty_chart(title, str(exc))


TOP_HIGHLIGHTS = 20
_ARN_PREFIX = r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:"  # shown without it; the CSVs keep full ARNs
TIMELINE_ROWS = 25
RISK_WEIGHT = {"critical": 50, "high": 40, "medium": 30, "low": 20, "informational": 10}


def headline(inv: Investigation):
    """One paragraph: volume, window, and the riskiest facts (Markdown)."""
    if inv.timeline.is_empty() and inv.chain_activity.is_empty():
        return markdown(f"**No events** of {inv.subject.label} between {inv.start} and {inv.end}: "
                        "the window holds none of its calls (check the days were ingested).")
    counts = inv.highlights.group_by("risk").len()
    risks = ", ".join(f"**{dict(counts.iter_rows()).get(r, 0)} {r}**" for r in ("critical", "high", "medium")
                      if dict(counts.iter_rows()).get(r))
    top = inv.highlights.head(1).to_dicts()
    lead = (f" The riskiest: *{top[0]['what']}* at {top[0]['first_time']:%Y-%m-%d %H:%M} UTC."
            if top and top[0]["first_time"] else "")
    return markdown(
        f"{inv.subject.label}: **{inv.timeline.height:,} calls** of its own and "
        f"**{inv.chain_activity.height:,}** by credentials it issued, {inv.start} .. {inv.end} "
        f"(first {_when(inv.first_seen)}, last {_when(inv.last_seen)}). "
        f"Highlights: {risks or 'nothing above low risk'}.{lead}")


def _when(value) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value is not None else "–"


def what_happened(inv: Investigation, rows: int = TOP_HIGHLIGHTS) -> pl.DataFrame:
    """The riskiest highlights (risk, then time), for the top of the report."""
    import polars as pl

    return inv.highlights.head(rows).select(
        "rank", "risk", pl.col("first_time").dt.strftime("%Y-%m-%d %H:%M").alias("when (UTC)"),
        "kind", "what", "detail")


def relevance(inv: Investigation) -> pl.Expr:
    """Per timeline row: the highest risk weight of a highlight citing it, +5 denied, +3 change."""
    import polars as pl

    cited = (inv.highlights.select("risk", "event_ids").explode("event_ids").drop_nulls("event_ids")
             .group_by("event_ids").agg(pl.col("risk").replace_strict(RISK_WEIGHT, default=0,
                                                                       return_dtype=pl.Int64).max()))
    weights = dict(cited.iter_rows())
    return (pl.col("event_id").replace_strict(weights, default=0, return_dtype=pl.Int64)
            + pl.col("access_denied").cast(pl.Int64) * 5
            + pl.col("mutating").fill_null(False).cast(pl.Int64) * 3)


def timeline_table(inv: Investigation, rows: int = TIMELINE_ROWS) -> pl.DataFrame:
    """The most relevant rows of the subject's and its credentials' calls (then by time)."""
    import polars as pl

    events = pl.concat([inv.timeline, inv.chain_activity], how="vertical_relaxed").unique("event_id")
    return (events.with_columns(relevance(inv).alias("relevance"))
            .sort(["relevance", "event_time"], descending=[True, False]).head(rows)
            .select(pl.col("event_time").dt.strftime("%Y-%m-%d %H:%M:%S").alias("time (UTC)"),
                    (pl.col("event_source").str.replace(r"\.amazonaws\.com$", "") + ":"
                     + pl.col("event_name")).alias("call"),
                    pl.coalesce("error_code", pl.lit("ok")).alias("outcome"),
                    pl.col("source_ip_address").alias("source"), pl.col("aws_region").alias("region"),
                    pl.col("access_key_id").alias("key"),
                    pl.col("principal_arn").str.replace(_ARN_PREFIX, "").alias("principal"),
                    pl.col("user_agent").str.slice(0, 60).alias("user agent (cut)")))


def evidence_links(inv: Investigation):
    """Where the full timeline and the original records are (Markdown links)."""
    names = [("evidence-subject.json", "original CloudTrail records of the subject"),
             ("evidence-chain.json", "records of the credentials it issued"),
             ("timeline.csv", "the full timeline as CSV"), ("highlights.csv", "every highlight")]
    links = [f"[{name}]({_href(inv.paths[name])}) ({what})" for name, what in names if name in inv.paths]
    total = inv.timeline.height + inv.chain_activity.height
    return markdown(f"The {min(TIMELINE_ROWS, total)} most relevant of {total:,} calls (cited by a "
                    "highlight, denied, or changing something first); every row and full values: "
                    + ("; ".join(links) or "not written (no evidence folder)") + ".")


def _href(url: str) -> str:
    return url if "://" in url else Path(url).resolve().as_uri()


def roles_table(inv: Investigation) -> pl.DataFrame:
    """Roles in the chain: who assumed them, sessions, keys, first/last use, what they did."""
    import polars as pl

    return inv.chain_roles.select(
        pl.col("role").str.replace(_ARN_PREFIX, ""), "chained",
        pl.col("assumed_by").list.eval(pl.element().str.replace(_ARN_PREFIX, ""))
        .list.join(", ").str.slice(0, 120).alias("assumed by"),
        "sessions", pl.col("temporary_keys").alias("keys"),
        pl.col("first_use").dt.strftime("%Y-%m-%d %H:%M").alias("first use"),
        pl.col("last_use").dt.strftime("%Y-%m-%d %H:%M").alias("last use"),
        pl.col("source_identities").list.join(", ").alias("source identities"),
        "events", "denied", "changes", pl.col("top_actions").list.join(", ").alias("top actions"))


def identity_chart(inv: Investigation, title: str = "Identity chain") -> alt.Chart:
    """The collapsed chain (role sessions and temporary keys folded into their role)."""
    nodes, edges = collapsed_chain(inv.chain_nodes, inv.chain_edges, inv.chain_roles)
    return chart(forensic_charts.identity_structure, nodes, edges, title=title)


def blast_table(inv: Investigation, rows: int = 25) -> pl.DataFrame:
    """Resources touched, changes first, then most calls; succeeded and denied apart."""
    import polars as pl

    return (inv.blast_radius.sort(["succeeded", "access", "events"], descending=[False, False, True])
            .sort(pl.col("succeeded") == 0, "access", maintain_order=True).head(rows)
            .select("service", "access", pl.col("resource").str.slice(0, 100), "succeeded", "denied",
                    pl.col("actions").list.join(", ").str.slice(0, 80).alias("actions")))


def indicators_table(inv: Investigation) -> pl.DataFrame:
    """IPs first, then AWS service callers (not IPs), then user agents; newest first."""
    import polars as pl

    order = pl.col("kind").replace_strict({"ip": 0, "service": 1, "user_agent": 2}, default=3)
    return (inv.indicators.sort(order, pl.col("new_for_principal").not_(), "first_seen")
            .select("kind", pl.col("value").str.slice(0, 90), "events", "new_for_principal",
                    "new_in_lake", pl.col("first_seen").dt.strftime("%Y-%m-%d %H:%M").alias("first seen")))


def created_table(inv: Investigation) -> pl.DataFrame:
    """Identities the chain created (users, keys, console passwords), oldest first."""
    import polars as pl

    return inv.created.select(pl.col("event_time").dt.strftime("%Y-%m-%d %H:%M:%S").alias("time (UTC)"),
                              "created", pl.col("identity").str.replace(_ARN_PREFIX, ""),
                              pl.col("by").str.replace(_ARN_PREFIX, ""), "event_name")
