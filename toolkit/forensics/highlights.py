"""What happened, ranked by risk (then by kind, then time): what a responder reads first.

Each highlight is one fact with a risk level, the time it started, a one-line ``what``, and
the events behind it (``event_ids``, so the timeline can show those rows first):

* findings of the detections, grouped per rule, at the rule's severity;
* identities the chain created (users, access keys, console passwords): high;
* calls by credentials the subject created (not temporary role keys): high;
* APIs denied and later allowed for the same credentials: high for changes, else medium;
* first-seen APIs, IPs and user agents (not used by the subject in the reference period);
* bursts: hours with far more calls than the subject's own usual hour;
* roles assumed from another role's session (chaining): medium.

The reference period is the baseline days before the window; when the subject has no events
there (a young lake), the subject's first active day in the window stands in, and the row
says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.forensics.timeline import is_ip

if TYPE_CHECKING:
    import polars as pl

RISKS = ("critical", "high", "medium", "low", "informational")
# Within one risk level: a detection's verdict first, then what changed identities or
# permissions, then novelty (the most common, least specific signal) last.
KINDS = ("finding", "created identity", "created key used", "denied then allowed", "chained role",
         "first-seen IP", "burst", "first-seen API", "first-seen user agent")
BURST_FACTOR = 4        # an hour with this many times the usual hourly calls ...
BURST_MIN_EVENTS = 20   # ... and at least this many calls is a burst
MAX_BURSTS = 3
SHOWN_NAMES = 6


def what_happened(timeline: pl.DataFrame, activity: pl.DataFrame, baseline: pl.DataFrame,
                  findings: pl.DataFrame, roles: pl.DataFrame, created: pl.DataFrame) -> pl.DataFrame:
    """All highlights, most risky first (then oldest first), ranked from 1."""
    import polars as pl

    from toolkit.forensics.tables import HIGHLIGHT_SCHEMA

    reference, note = _reference(timeline, baseline)
    rows = [*_findings(findings), *_created(created, activity), *_denied_then_allowed(timeline),
            *_first_seen_apis(timeline, reference, note), *_first_seen_sources(timeline, reference, note),
            *_bursts(timeline, reference, note), *_chained(roles)]
    frame = pl.DataFrame(rows, schema={k: v for k, v in HIGHLIGHT_SCHEMA.items() if k != "rank"})
    order = pl.col("risk").replace_strict({r: i for i, r in enumerate(RISKS)}, default=len(RISKS))
    kind = pl.col("kind").replace_strict({k: i for i, k in enumerate(KINDS)}, default=len(KINDS))
    return (frame.sort(order, kind, "first_time", "what", nulls_last=True)
            .with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int64))
            .select(list(HIGHLIGHT_SCHEMA)))


def _row(risk, kind, when, what, detail, ids) -> dict:
    ids = [i for i in ids if i]
    return {"risk": risk, "kind": kind, "first_time": when, "what": what, "detail": detail,
            "events": len(ids), "event_ids": ids}


def _names(values: list[str]) -> str:
    more = f" +{len(values) - SHOWN_NAMES} more" if len(values) > SHOWN_NAMES else ""
    return ", ".join(values[:SHOWN_NAMES]) + more


def _reference(timeline: pl.DataFrame, baseline: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """What the subject normally does: hour, event_name, source_ip_address, user_agent, events."""
    import polars as pl

    if baseline.height or timeline.is_empty():
        return baseline, "the baseline days"
    first_day = timeline["event_time"].min().date()
    day = timeline.filter(pl.col("event_time").dt.date() == first_day)
    hourly = (day.group_by(pl.col("event_time").dt.truncate("1h").alias("hour"), "event_name",
                           "source_ip_address", "user_agent").len("events"))
    return hourly, f"its first active day {first_day} (no baseline data)"


def _findings(findings: pl.DataFrame) -> list[dict]:
    import polars as pl

    if findings.is_empty():
        return []
    per_rule = (findings.group_by("rule_id", "severity").agg(
        pl.col("title").first(), pl.col("technique").first(), pl.len().alias("n"),
        pl.col("first_seen").min(), pl.col("event_ids").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()))
    return [_row(r["severity"] if r["severity"] in RISKS else "informational", "finding",
                 r["first_seen"], r["title"], f"rule {r['rule_id']} ({r['technique'] or '-'}), "
                 f"{r['n']} finding(s)", r["event_ids"] or []) for r in per_rule.to_dicts()]


def _created(created: pl.DataFrame, activity: pl.DataFrame) -> list[dict]:
    import polars as pl

    rows = [_row("high", "created identity", r["event_time"],
                 f"{r['event_name']} created {r['created'].replace('_', ' ')} {r['identity']}",
                 f"by {r['by']}", [r["event_id"]]) for r in created.to_dicts()]
    keys = set(created.filter(pl.col("created") == "access_key")["identity"]) if created.height else set()
    used = activity.filter(pl.col("access_key_id").is_in(sorted(keys)))
    for key, calls in used.group_by("access_key_id", maintain_order=True):
        names = calls.group_by("event_name").len().sort("len", descending=True)["event_name"].to_list()
        rows.append(_row("high", "created key used", calls["event_time"].min(),
                         f"created key {key[0]} used: {_names(names)}",
                         f"{calls.height} calls by {calls['principal_arn'][0]}", calls["event_id"].to_list()))
    return rows


def _denied_then_allowed(timeline: pl.DataFrame) -> list[dict]:
    """APIs denied and later allowed for the subject (a permission it gained mid-window)."""
    import polars as pl

    if timeline.is_empty():
        return []
    first_denied = (timeline.filter(pl.col("access_denied")).group_by("event_source", "event_name")
                    .agg(pl.col("event_time").min().alias("denied_at"), pl.col("event_id").first()))
    allowed = (timeline.filter(pl.col("outcome") == "succeeded").join(first_denied, on=["event_source", "event_name"])
               .filter(pl.col("event_time") > pl.col("denied_at"))
               .group_by("event_source", "event_name").agg(
                   pl.col("event_time").min(), pl.col("denied_at").first(),
                   pl.col("event_id_right").first().alias("denied_id"), pl.col("event_id").first(),
                   pl.col("mutating").fill_null(False).any().alias("change")))
    return [_row("high" if r["change"] else "medium", "denied then allowed", r["denied_at"],
                 f"{_api(r['event_source'], r['event_name'])} denied, then allowed at {r['event_time']:%Y-%m-%d %H:%M}",
                 "a permission was gained during the window", [r["denied_id"], r["event_id"]])
            for r in allowed.to_dicts()]


def _api(source: str, name: str) -> str:
    return f"{source.removesuffix('.amazonaws.com')}:{name}"


def _first_seen_apis(timeline: pl.DataFrame, reference: pl.DataFrame, note: str) -> list[dict]:
    """Change APIs one row each (medium); read-only ones grouped per service (low)."""
    import polars as pl

    if timeline.is_empty():
        return []
    new = (timeline.filter(~pl.col("event_name").is_in(reference["event_name"].unique().implode()))
           .group_by("event_source", "event_name").agg(
               pl.col("event_time").min(), pl.col("event_id").first(), pl.len().alias("n"),
               pl.col("mutating").fill_null(False).any().alias("change"),
               (pl.col("outcome") == "succeeded").any().alias("succeeded"))
           .sort("event_time"))
    rows = [_row("medium" if r["succeeded"] else "low", "first-seen API", r["event_time"],
                 f"first {_api(r['event_source'], r['event_name'])}" + ("" if r["succeeded"] else " (denied)"),
                 f"{r['n']} call(s); not used in {note}", [r["event_id"]])
            for r in new.filter(pl.col("change")).to_dicts()]
    for (source,), calls in new.filter(~pl.col("change")).group_by("event_source", maintain_order=True):
        rows.append(_row("low", "first-seen API", calls["event_time"].min(),
                         f"first {source.removesuffix('.amazonaws.com')} reads: {_names(calls['event_name'].to_list())}",
                         f"{calls['n'].sum()} call(s); not used in {note}", calls["event_id"].to_list()))
    return rows


def _first_seen_sources(timeline: pl.DataFrame, reference: pl.DataFrame, note: str) -> list[dict]:
    """New IP addresses (medium) and user agents (low); service principals are not IPs."""
    import polars as pl

    rows = []
    for column, kind, risk in (("source_ip_address", "first-seen IP", "medium"),
                               ("user_agent", "first-seen user agent", "low")):
        seen = reference[column].drop_nulls().unique().implode()
        new = timeline.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(seen))
        if column == "source_ip_address":
            new = new.filter(pl.col(column).map_elements(is_ip, return_dtype=pl.Boolean))
        group = pl.col(column) if column == "source_ip_address" else _agent_family(column)
        new = (new.sort("event_time").group_by(group.alias("value"), maintain_order=True)
               .agg(pl.col("event_time").min(), pl.col("event_id").first(), pl.len().alias("n"),
                    pl.col("event_name").first().alias("api"), pl.col(column).n_unique().alias("variants")))
        rows += [_row(risk, kind, r["event_time"], f"{kind.removeprefix('first-seen ')} {r['value']}",
                      f"{r['n']} call(s)" + (f", {r['variants']} variants" if r["variants"] > 1 else "")
                      + f", first {r['api']}; not used in {note}", [r["event_id"]])
                 for r in new.to_dicts()]
    return rows


def _agent_family(column: str) -> pl.Expr:
    """A user agent without its per-command suffixes (``command/…``, ``api/…``, ``md/…``)."""
    import polars as pl

    return pl.col(column).str.replace_all(r"\s+(command|api|md|m|cfg|exec-env)/\S*", "").str.slice(0, 160)


def _bursts(timeline: pl.DataFrame, reference: pl.DataFrame, note: str) -> list[dict]:
    """Hours with BURST_FACTOR times the subject's usual (median) hourly calls."""
    import polars as pl

    if timeline.is_empty():
        return []
    usual = reference.group_by("hour").agg(pl.col("events").sum())["events"].median() or 1
    hours = (timeline.group_by(pl.col("event_time").dt.truncate("1h").alias("hour"))
             .agg(pl.len().alias("n"), pl.col("access_denied").sum().alias("denied"),
                  pl.col("event_name").n_unique().alias("apis"), pl.col("event_id").head(50))
             .filter(pl.col("n") >= max(BURST_MIN_EVENTS, BURST_FACTOR * usual))
             .sort("n", descending=True).head(MAX_BURSTS))
    return [_row("medium", "burst", r["hour"],
                 f"burst: {r['n']:,} calls ({r['apis']} APIs, {r['denied']} denied) in the hour from "
                 f"{r['hour']:%Y-%m-%d %H:00}", f"usual hour in {note}: {usual:,.0f} calls",
                 r["event_id"]) for r in hours.to_dicts()]


def _chained(roles: pl.DataFrame) -> list[dict]:
    if roles.is_empty():
        return []
    return [_row("medium", "chained role", r["first_use"],
                 f"role chaining: {r['role']} assumed from {', '.join(r['assumed_by'])}",
                 f"{r['sessions']} sessions, {r['events']} events", [])
            for r in roles.filter(roles["chained"]).to_dicts()]
