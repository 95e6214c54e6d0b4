"""``investigate``: timeline, new indicators, identity chain, blast radius, findings, evidence."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from toolkit.forensics import blast, chain, highlights, structure, timeline
from toolkit.forensics.report import summarize
from toolkit.forensics.source import open_source
from toolkit.forensics.subjects import Subject, parse_subject
from toolkit.lake import filesystem, join, normalize, parse_day, snapshot_ids
from toolkit.sql.queries import bound_query

if TYPE_CHECKING:
    import polars as pl

    from toolkit.config import Settings

DEFAULT_BASELINE_DAYS = 14

# The frames of an investigation, in report order (also the names of the files written).
TABLE_NAMES = ("highlights", "timeline", "indicators", "chain_nodes", "chain_edges",
               "chain_activity", "chain_roles", "created", "blast_radius", "blast_by_service",
               "findings")


@dataclass
class Investigation:
    """Everything found about one subject in a window; frames are polars DataFrames."""

    subject: Subject
    start: dt.date
    end: dt.date
    baseline_days: int
    timeline: pl.DataFrame          # the subject's own events, oldest first
    indicators: pl.DataFrame        # IPs and user agents with new_for_principal / new_in_lake
    chain_nodes: pl.DataFrame       # identity chain: keys, principals, roles, source identities
    chain_edges: pl.DataFrame       # how each node led to the next (with the event behind it)
    chain_activity: pl.DataFrame    # events of credentials the subject issued (descendants)
    blast_radius: pl.DataFrame      # resources read / changed, one row per resource
    blast_by_service: pl.DataFrame  # the same summed per service
    findings: pl.DataFrame          # detections findings in the window that concern the subject
    chain_roles: pl.DataFrame       # roles in the chain: sessions, temporary keys, use, actions
    created: pl.DataFrame           # users / access keys / console passwords the chain created
    highlights: pl.DataFrame        # what happened, ranked by risk (toolkit.forensics.highlights)
    paths: dict[str, str] = field(default_factory=dict)  # files written by ``write``
    # Iceberg snapshot id of each lake table when the investigation read it (re-run on exactly
    # the same data with ``trailwatch query --as-of``); None: the table held nothing yet
    snapshots: dict[str, int | None] = field(default_factory=dict)

    @property
    def first_seen(self) -> dt.datetime | None:
        return self.timeline["event_time"].min() if not self.timeline.is_empty() else None

    @property
    def last_seen(self) -> dt.datetime | None:
        return self.timeline["event_time"].max() if not self.timeline.is_empty() else None

    def tables(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in TABLE_NAMES}

    def summary(self) -> dict:
        """A JSON-ready digest of the investigation (what the CLI prints and writes)."""
        return summarize(self)


def load(folder: str, endpoint_url: str | None = None) -> Investigation:
    """The investigation ``toolkit.forensics.report.write`` saved in ``folder`` (its summary.json and Parquet tables)."""
    import polars as pl

    folder = normalize(folder)
    fs = filesystem(folder, endpoint_url)
    summary_url = join(folder, "summary.json")
    if not fs.exists(summary_url):
        raise FileNotFoundError(f"no saved investigation at {folder} (summary.json missing); "
                                "run `trailwatch investigate --out` first")
    facts = json.loads(fs.cat_file(summary_url))
    tables = {}
    for name in TABLE_NAMES:
        url = join(folder, f"{name}.parquet")
        if not fs.exists(url):
            raise FileNotFoundError(f"saved investigation at {folder} has no {name} table (written "
                                    "by an older trailwatch?); run the investigation again")
        tables[name] = pl.read_parquet(io.BytesIO(fs.cat_file(url)))
    window = facts["window"]
    inv = Investigation(parse_subject(facts["subject"]["kind"], facts["subject"]["value"]),
                        dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"]),
                        int(window["baseline_days"]), **tables)
    inv.paths.update(facts.get("files") or {})
    inv.snapshots.update(facts.get("snapshots") or {})
    return inv


def as_subject(subject: Subject | tuple[str, str] | dict) -> Subject:
    """Accept a Subject, ``(kind, value)`` or ``{"kind": ..., "value": ...}``; validate it."""
    if isinstance(subject, Subject):
        return parse_subject(subject.kind, subject.value)
    if isinstance(subject, dict):
        return parse_subject(subject.get("kind", ""), subject.get("value", ""))
    kind, value = subject
    return parse_subject(kind, value)


def investigate(lake: str, subject: Subject | tuple[str, str] | dict, start: str | dt.date,
                end: str | dt.date, settings: Settings | None = None, *,
                baseline_days: int = DEFAULT_BASELINE_DAYS, out: str | None = None) -> Investigation:
    """Investigate ``subject`` in the lake between ``start`` and ``end`` (inclusive days).

    IPs and user agents are marked new against the ``baseline_days`` before ``start``. With
    ``out``, the tables, a summary and the evidence export are written there (``paths``).
    """
    subject = as_subject(subject)
    start, end = parse_day(start), parse_day(end)
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if baseline_days < 0:
        raise ValueError(f"baseline days must be zero or more, got {baseline_days}")
    source = open_source(lake, settings)
    snapshots = snapshot_ids(source.lake)  # before any read: what this investigation saw
    events = timeline.subject_events(source, subject, start, end)
    baseline = timeline.baseline_usage(source, subject, start, end, baseline_days)
    usual = timeline.baseline_activity(source, subject, start, baseline_days)
    seed_keys = sorted(set(events["access_key_id"].drop_nulls()))
    nodes, edges = chain.identity_chain(source, subject, start, end, seed_keys=seed_keys)
    activity = _descendant_events(source, nodes, events, start, end)
    scope = _concat_events(events, activity)
    resources, by_service = blast.blast_radius(scope)
    found = blast.findings_in_window(
        source, start, end, event_ids=set(scope["event_id"]),
        keys=set(scope["access_key_id"].drop_nulls()),
        principals=set(scope["principal_arn"].drop_nulls()),
        ips=set(events["source_ip_address"].drop_nulls()) if subject.kind == "ip" else set())
    roles, created = structure.roles_table(edges, scope), structure.created_table(edges)
    ranked = highlights.what_happened(events, activity, usual, found, roles, created)
    result = Investigation(subject, start, end, baseline_days, events,
                           timeline.indicators(events, baseline), nodes, edges, activity,
                           resources, by_service, found, roles, created, ranked,
                           snapshots=snapshots)
    if out is not None:
        from toolkit.forensics.report import write

        write(result, source.lake, out)
    return result


def _descendant_events(source, nodes: pl.DataFrame, events: pl.DataFrame, start: dt.date,
                       end: dt.date) -> pl.DataFrame:
    """Events signed by keys the subject's credentials issued (not the subject's own)."""
    import polars as pl

    own = set(events["access_key_id"].drop_nulls())
    keys = sorted(set(nodes.filter((pl.col("node_type") == "access_key")
                                   & (pl.col("role_in_chain") == "descendant"))["node_id"]) - own)
    return source.query(*bound_query("forensics/subject_events",
                                     fill={"subject_condition": "signed_by_keys"},
                                     start=start.isoformat(), end=end.isoformat(), keys=keys))


def _concat_events(*frames: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    return pl.concat(frames, how="vertical_relaxed").unique("event_id", keep="first").sort("event_time")
