"""Turn a rule's finding groups (rows of its compiled SQL) into ``findings`` rows.

A finding's id is a hash of the rule id, the group's key (session, principal, access key, IP,
account, region, and the first-seen value) and its window (the day; the window start for
aggregations), so re-running a day yields the same ids. A finding none of whose calls succeeded
(``outcome`` denied or failed) of an ``outcome: any`` rule is titled "Attempted (...)" and gets
the rule's attempted severity.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any

from toolkit.detections.rules import KEY_COLUMNS
from toolkit.detections.schema import FINDINGS_COLUMNS, FINDINGS_SCHEMA, MAX_EVENT_IDS
from toolkit.detections.sql import LIST_SEP_CHAR

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

    from toolkit.detections.rules import Rule

MAX_DETAIL_VALUES = 20
LIST_COLUMNS = ("event_ids", "event_names", "user_agents", "source_ips", "regions")


def finding_rows(rule: Rule, groups: pl.DataFrame) -> list[dict[str, Any]]:
    """One findings row (plus its ``dt``) per group row of the rule's SQL."""
    rows = list(groups.iter_rows(named=True))
    if rule.kind == "aggregate":
        from toolkit.detections.sql import aggregate_keys

        rows = merge_hops(rows, rule.logic["aggregate"]["window_minutes"] * 60, aggregate_keys(rule))
    return [finding_row(rule, group) for group in rows]


def merge_hops(groups: list[dict[str, Any]], window_seconds: int,
               keys: tuple[str, ...] = KEY_COLUMNS) -> list[dict[str, Any]]:
    """Merge the overlapping hopping windows of one key and day into one group."""
    merged: list[dict[str, Any]] = []
    ordered = sorted(groups, key=lambda g: (*(str(g.get(c)) for c in keys), str(g["day"]),
                                            as_utc(g["window_start"])))
    for group in ordered:
        start = as_utc(group["window_start"])
        end = start + dt.timedelta(seconds=window_seconds)
        last = merged[-1] if merged else None
        if last is not None and _same_key(last, group, keys) and start < last["window_end"]:
            _absorb(last, group)
            last["window_end"] = max(last["window_end"], end)
        else:
            merged.append({**group, "window_end": end})
    return merged


def _same_key(a: dict[str, Any], b: dict[str, Any], keys: tuple[str, ...]) -> bool:
    return all(a.get(c) == b.get(c) for c in keys) and a["day"] == b["day"]


def _absorb(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Union ``other``'s events and values into ``into`` (same key, overlapping windows)."""
    for name, value in other.items():
        if name in LIST_COLUMNS or name.startswith("detail_"):
            values = list(dict.fromkeys(split_list(into.get(name)) + split_list(value)))
            into[name] = LIST_SEP_CHAR.join(values)
    # The two hops overlap: per-outcome counts cannot be summed, so they are the larger of both
    # (event_count is exact: the union of the event ids).
    for name in ("succeeded_count", "denied_count", "failed_count"):
        into[name] = max(int(into[name]), int(other[name]))
    into["outcome"] = next(o for o in ("succeeded", "denied", "failed")
                           if o in (into["outcome"], other["outcome"]))
    into["event_count"] = len(split_list(into["event_ids"]))
    into["first_seen"] = min(as_utc(into["first_seen"]), as_utc(other["first_seen"]))
    into["last_seen"] = max(as_utc(into["last_seen"]), as_utc(other["last_seen"]))
    into["measure"] = max(int(into["measure"]), int(other["measure"]))


def finding_row(rule: Rule, group: dict[str, Any]) -> dict[str, Any]:
    ids = split_list(group["event_ids"])
    title, severity = title_and_severity(rule, group["outcome"])
    row = {
        "finding_id": finding_id(rule, group),
        "rule_id": rule.id, "title": title, "severity": severity,
        "tactic": rule.tactic, "technique": rule.technique,
        "event_ids": ids[:MAX_EVENT_IDS],
        **{c: group.get(c) for c in KEY_COLUMNS},
        "first_seen": as_utc(group["first_seen"]), "last_seen": as_utc(group["last_seen"]),
        "event_count": int(group["event_count"]),
        "details": json.dumps(finding_details(rule, group, len(ids)), sort_keys=True),
        "outcome": group["outcome"], "session_key": group.get("session_key"),
        "rule_source": rule.source,
        "dt": str(group["day"]),
    }
    return row


def title_and_severity(rule: Rule, outcome: str) -> tuple[str, str]:
    """The finding's title and severity: the rule's, or its attempted ones when nothing succeeded
    (rules whose outcome clause asks for denied or failed calls report those as they are)."""
    if outcome == "succeeded" or rule.outcome != "any":
        return rule.title, rule.severity
    return f"Attempted ({outcome}): {rule.title}", rule.severity_if_attempted


def finding_id(rule: Rule, group: dict[str, Any]) -> str:
    window = group["window_start"] if rule.kind == "aggregate" else group["day"]
    key = [rule.id, *(group.get(c) or "" for c in (*KEY_COLUMNS, "session_key")),
           str(group.get("group_value") or ""),
           str(group.get("day")), str(as_utc(window) if rule.kind == "aggregate" else window)]
    return hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:32]


def finding_details(rule: Rule, group: dict[str, Any], id_count: int) -> dict[str, Any]:
    """What an analyst needs besides the key columns: the why, and the values involved."""
    ips = split_list(group.get("source_ips"))
    details: dict[str, Any] = {
        "tactic_id": rule.tactic_id, "technique_name": rule.technique_name, "kind": rule.kind,
        "event_names": split_list(group["event_names"])[:MAX_DETAIL_VALUES],
        "user_agents": split_list(group["user_agents"])[:MAX_DETAIL_VALUES],
        "session": {
            "key": group.get("session_key"),
            "source_ips": ips[:MAX_DETAIL_VALUES], "source_ip_count": len(ips),
            "regions": split_list(group.get("regions"))[:MAX_DETAIL_VALUES],
            "outcomes": {o: int(group[f"{o}_count"]) for o in ("succeeded", "denied", "failed")},
        },
    }
    if rule.sigma:
        details["sigma"] = {k: rule.sigma[k] for k in ("id", "author", "level") if k in rule.sigma}
    for name in rule.details:
        details[name] = split_list(group.get(f"detail_{name}"))[:MAX_DETAIL_VALUES]
    if rule.kind == "aggregate":
        agg = rule.logic["aggregate"]
        details.update(window_start=as_utc(group["window_start"]).isoformat(),
                       window_minutes=agg["window_minutes"], threshold=agg["threshold"],
                       measure=int(group["measure"]),
                       measure_kind="distinct values" if "count_distinct" in agg else "events")
    if rule.kind == "sequence":
        seq = rule.logic["sequence"]
        details.update(actor=group.get("principal"), within_minutes=seq["within_minutes"],
                       steps=sorted(split_list(group.get("detail_steps")))[:MAX_DETAIL_VALUES])
    if rule.kind == "first_seen":
        fs = rule.logic["first_seen"]
        details.update(entity=group.get("entity"), attribute=fs["attribute"],
                       new_value=group.get("group_value"), baseline_days=fs["baseline_days"])
    if id_count > MAX_EVENT_IDS:
        details["event_ids_truncated"] = True
    return details


def split_list(joined: str | None) -> list[str]:
    return [v for v in joined.split(LIST_SEP_CHAR) if v] if joined else []


def as_utc(value: Any) -> dt.datetime:
    """Engine timestamps (aware, naive-UTC or ISO text from Athena) as aware UTC datetimes."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" UTC", ""))
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def findings_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows -> a Parquet-ready table with ``FINDINGS_SCHEMA`` (sorted: stable files)."""
    import pyarrow as pa

    rows = sorted(rows, key=lambda r: (r["first_seen"], r["rule_id"], r["finding_id"]))
    return pa.Table.from_pylist([{c: r[c] for c in FINDINGS_COLUMNS} for r in rows],
                                schema=FINDINGS_SCHEMA)
