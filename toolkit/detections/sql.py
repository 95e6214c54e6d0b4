"""Compile a rule into one Athena-dialect SELECT over ``events`` returning finding groups.

Every rule kind returns the same columns, one row per finding:
``principal_arn, access_key_id, source_ip_address, account_id, region, session_key, day,
window_start, group_value, first_seen, last_seen, event_count, outcome, succeeded_count,
denied_count, failed_count, event_ids, event_names, user_agents, source_ips, regions`` and one
``detail_<name>`` per rule detail (lists as ``LIST_SEP``-joined strings); aggregations add
``measure`` and first-seen rules ``entity``. A group's ``outcome`` is ``succeeded`` when any of
its calls succeeded, else ``denied`` when any was denied, else ``failed`` (each call's outcome is
``sql/models/stg_events.sql: outcome``). Key columns a group does not share hold the value
of its first event (``source_ip_address``, ``region``) or null; ``source_ips`` lists them all.

SQL text is assembled only from rule files (reviewed data, each expression parsed by sqlglot,
checked to name only events columns, with no subquery or second statement); run-time values
(days) are always bound parameters. Parameters (bound by the engine, never pasted):
``:start`` and ``:end`` (days, ``YYYY-MM-DD``) and, for first-seen rules, ``:baseline_start``.

- filter: matching events grouped per actor session (``stg_events.session_key``: the access
  key, else the principal), account and day - not per source IP, so a session rotating IPs is
  one finding whose evidence lists its IPs, user agents and counts;
- aggregate: matching events per ``group_by`` keys and (hopping) window, kept when the count
  (or the count of distinct ``count_distinct`` values) reaches ``threshold``;
- first_seen: events whose ``attribute`` value the ``entity`` (default the principal) never
  showed in the ``baseline_days`` days before, for entities with history in that baseline.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from toolkit.detections.derived import DERIVED_COLUMNS, events_with_derived
from toolkit.detections.sequence import (
    chains_cte,
    identity_sessions_cte,
    lookback_days,
    sequence_expressions,
)

if TYPE_CHECKING:
    from toolkit.detections.rules import Rule

KEY_COLUMNS = ("principal_arn", "access_key_id", "source_ip_address", "account_id", "region")
# Which call outcomes (toolkit/detections/derived/outcome.sql) a rule matches. With ``any``, a
# finding none of whose calls succeeded is titled "Attempted" at ``attempted_severity`` (default:
# one step below the rule's severity).
OUTCOME_CLAUSES = {
    "any": None,
    "succeeded": "outcome = 'succeeded'",
    "denied": "outcome = 'denied'",
    "unsuccessful": "outcome <> 'succeeded'",
}
EVENTS_EXTRA_COLUMNS = ("dt",)
# Lists come back joined with the ASCII record separator: plain strings survive every engine's
# result format (Athena returns arrays as text), and CloudTrail values never contain it.
LIST_SEP = "chr(30)"
LIST_SEP_CHAR = "\x1e"
# How each finding key column is computed from an events row.
KEY_EXPRESSIONS = {
    "principal_arn": "principal_arn",
    "access_key_id": "access_key_id",
    "source_ip_address": "source_ip_address",
    "account_id": "coalesce(recipient_account_id, account_id)",
    "region": "aws_region",
}


class SqlError(ValueError):
    """A rule's SQL does not parse as Athena SQL or names unknown columns."""


def rule_params(rule: Rule, start: str | dt.date, end: str | dt.date) -> dict[str, str]:
    """The bound parameters of a rule's SQL for a run over days ``[start, end]``."""
    start, end = dt.date.fromisoformat(str(start)), dt.date.fromisoformat(str(end))
    params = {"start": start.isoformat(), "end": end.isoformat()}
    if rule.kind == "first_seen":
        look_back = dt.timedelta(days=rule.logic["first_seen"]["baseline_days"])
        params["baseline_start"] = (start - look_back).isoformat()
    if rule.kind == "sequence":
        params["lookback_start"] = (start - dt.timedelta(days=lookback_days(rule))).isoformat()
    return params


_COMPILED: dict[str, str] = {}


def compile_rule(rule: Rule) -> str:
    """The rule's SELECT in Athena dialect (validated: parses, known columns, one statement).

    Compiled text is kept per rule content (parsing dominates ``rules test``'s run time)."""
    key = repr((rule.id, rule.kind, rule.logic, rule.outcome, rule.details,
                rule.suppress_service_principals, rule.allow_principals))
    if key not in _COMPILED:
        _COMPILED[key] = _compile(rule)
    return _COMPILED[key]


def _compile(rule: Rule) -> str:
    for label, expr in _rule_expressions(rule) + sequence_expressions(rule):
        check_expression(expr, label, rule.id)
    compilers = {"filter": _filter_sql, "aggregate": _aggregate_sql,
                 "first_seen": _first_seen_sql, "sequence": sequence_sql}
    sql = compilers[rule.kind](rule)
    _parse(sql, f"compiled SQL of rule {rule.id}")
    return sql


def _rule_expressions(rule: Rule) -> list[tuple[str, str]]:
    exprs = [] if rule.kind == "sequence" else [("filter", rule.filter)]
    if rule.kind == "aggregate" and "count_distinct" in rule.logic["aggregate"]:
        exprs.append(("count_distinct", rule.logic["aggregate"]["count_distinct"]))
    if rule.kind == "first_seen":
        exprs.append(("attribute", rule.logic["first_seen"]["attribute"]))
        exprs.append(("entity", rule.logic["first_seen"].get("entity", "principal_arn")))
    exprs += [(f"details.{name}", expr) for name, expr in rule.details.items()]
    return exprs


def check_expression(expr: str, label: str, rule_id: str) -> None:
    """Raise ``SqlError`` unless ``expr`` is one Athena expression over events columns."""
    from sqlglot import exp

    from toolkit.cloudtrail.schema import EVENT_COLUMNS

    if ";" in expr:
        raise SqlError(f"rule {rule_id}: {label} must be a single expression (no ';')")
    tree = _parse(f"select 1 from events where {expr}", f"rule {rule_id}: {label}")  # noqa: S608 - parsed, not run
    if len(list(tree.find_all(exp.Select))) > 1:
        raise SqlError(f"rule {rule_id}: {label} must not contain subqueries")
    known = set(EVENT_COLUMNS) | set(EVENTS_EXTRA_COLUMNS) | set(DERIVED_COLUMNS)
    for column in tree.find_all(exp.Column):
        root = column.parts[0].name if column.parts else column.name
        if root not in known:
            raise SqlError(f"rule {rule_id}: {label} names unknown column {root!r} "
                           f"(events columns: see toolkit/cloudtrail/schema.py)")


def _parse(sql: str, label: str):
    import sqlglot
    from sqlglot.errors import ParseError

    try:
        statements = sqlglot.parse(sql, read="athena")
    except ParseError as exc:
        raise SqlError(f"{label}: not valid Athena SQL: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1 or statements[0] is None:
        raise SqlError(f"{label}: must be exactly one statement")
    return statements[0]


def suppression_sql(rule: Rule) -> str:
    """The WHERE conjuncts that drop AWS-service activity and allow-listed principals."""
    parts = []
    if rule.suppress_service_principals:
        parts.append("invoked_by is null")
        parts.append("coalesce(identity_type, '') <> 'AWSService'")
    for pattern in rule.allow_principals:
        like = like_pattern(pattern)
        parts.append(f"coalesce(principal_arn, '') not like '{like}' escape '\\'")
        parts.append(f"coalesce(session_issuer_arn, '') not like '{like}' escape '\\'")
    return " and ".join(parts) or "true"


def like_pattern(arn_pattern: str) -> str:
    """A LIKE pattern for an ARN with ``*`` wildcards (``_``/``%`` escaped; no quotes possible)."""
    if "'" in arn_pattern or "\\" in arn_pattern:
        raise SqlError(f"invalid principal pattern {arn_pattern!r}")
    return arn_pattern.replace("%", "\\%").replace("_", "\\_").replace("*", "%")


def outcome_sql(rule: Rule) -> str:
    """The WHERE conjunct of the rule's outcome clause (``true`` for ``outcome: any``)."""
    return OUTCOME_CLAUSES[rule.outcome] or "true"


def _matched_cte(rule: Rule, filter_sql: str, extra: dict[str, str]) -> str:
    """The CTE of matching events with the finding key columns and any extra expressions."""
    columns = ["event_id", "event_time", "event_name", "user_agent", "dt as day", "outcome",
               "session_key", "principal"]
    columns += [f"{expr} as {name}" for name, expr in KEY_EXPRESSIONS.items()]
    columns += [f"{expr} as {name}" for name, expr in extra.items()]
    columns += [f"{expr} as detail_{name}" for name, expr in rule.details.items()]
    return (
        "matched as (\n  select\n    " + ",\n    ".join(columns) + "\n"
        f"  from {events_with_derived('dt between :start and :end')}\n"
        f"  where ({filter_sql})\n"
        f"    and {outcome_sql(rule)}\n"
        f"    and {suppression_sql(rule)}\n)"
    )


def _joined(column: str) -> str:
    return f"array_join(array_agg(distinct {column}), {LIST_SEP}) as {column}"


def group_columns(rule: Rule, keys: tuple[str, ...], extra_details: tuple[str, ...] = ()) -> list[str]:
    """Finding columns computed over one group of matched events (``keys`` are grouped on)."""
    firsts = ("source_ip_address", "region")
    cols = [f"min_by({c}, event_time) as {c}" for c in firsts if c not in keys]
    cols += [f"case when min({c}) = max({c}) then min({c}) end as {c}"
             for c in (*KEY_COLUMNS, "session_key") if c not in keys and c not in firsts]
    cols += [
        "min(event_time) as first_seen",
        "max(event_time) as last_seen",
        "count(*) as event_count",
        "case when count_if(outcome = 'succeeded') > 0 then 'succeeded' "
        "when count_if(outcome = 'denied') > 0 then 'denied' else 'failed' end as outcome",
        *(f"count_if(outcome = '{o}') as {o}_count" for o in ("succeeded", "denied", "failed")),
        f"array_join(array_agg(event_id order by event_time, event_id), {LIST_SEP}) as event_ids",
        _joined("event_name").replace("as event_name", "as event_names"),
        _joined("user_agent").replace("as user_agent", "as user_agents"),
        _joined("source_ip_address").replace("as source_ip_address", "as source_ips"),
        _joined("region").replace("as region", "as regions"),
    ]
    cols += [f"array_join(array_agg(distinct detail_{name}), {LIST_SEP}) as detail_{name}"
             for name in (*rule.details, *extra_details)]
    return cols


def _select(keys: tuple[str, ...], window: str, group_value: str, aggs: list[str]) -> str:
    head = [*keys, "day", f"{window} as window_start", f"{group_value} as group_value"]
    return "select\n  " + ",\n  ".join(head + aggs)


def _filter_sql(rule: Rule) -> str:
    keys = ("session_key", "account_id")
    return (
        f"with {_matched_cte(rule, rule.filter, {})}\n"
        f"{_select(keys, 'min(event_time)', 'cast(null as varchar)', group_columns(rule, keys))}\n"
        f"from matched\ngroup by {', '.join(keys)}, day"
    )


def aggregate_keys(rule: Rule) -> tuple[str, ...]:
    """The columns an aggregate rule groups on, in a stable order."""
    group_by = rule.logic["aggregate"]["group_by"]
    return tuple(k for k in (*KEY_COLUMNS, "session_key", "principal") if k in group_by)


def _aggregate_sql(rule: Rule) -> str:
    """Threshold over hopping windows: each event counts in two windows offset by half a window,
    so a burst no longer than half a window is never split by a boundary. Overlapping windows
    of one key that both fire are merged into one finding by ``findings.merge_hops``."""
    agg = rule.logic["aggregate"]
    keys = aggregate_keys(rule)
    seconds = agg["window_minutes"] * 60
    extra = {"measure_value": agg["count_distinct"]} if "count_distinct" in agg else {}
    measure = "count(distinct measure_value)" if extra else "count(*)"
    hops = (  # rule text, validated by check_expression
        "hops as (\n  select matched.*, from_unixtime(floor((to_unixtime(event_time) + shift) / "  # noqa: S608
        f"{seconds}) * {seconds} - shift) as window_bucket\n  from matched\n"
        f"  cross join unnest(array[0, {seconds // 2}]) as o(shift)\n)"
    )
    aggs = group_columns(rule, keys) + [f"{measure} as measure"]
    return (
        f"with {_matched_cte(rule, agg['filter'], extra)},\n{hops}\n"
        f"{_select(keys, 'window_bucket', 'cast(null as varchar)', aggs)}\n"
        f"from hops\ngroup by {', '.join(keys)}, day, window_bucket\n"
        f"having {measure} >= {int(agg['threshold'])}"
    )


def _first_seen_sql(rule: Rule) -> str:
    fs = rule.logic["first_seen"]
    days = int(fs["baseline_days"])
    entity = fs.get("entity", "principal_arn")
    extra = {"entity_value": entity, "attribute_value": fs["attribute"],
             "baseline_from": f"cast(date_add('day', -{days}, cast(dt as date)) as varchar)"}
    history = (  # rule text, validated by check_expression
        f"history as (\n  select distinct {entity} as h_entity, "  # noqa: S608
        f"{fs['attribute']} as h_value, dt as h_day\n"
        f"  from {events_with_derived('dt between :baseline_start and :end')}\n"
        f"  where ({fs['filter']})\n    and {outcome_sql(rule)}\n    and {entity} is not null\n)"
    )
    in_baseline = "h.h_entity = m.entity_value and h.h_day < m.day and h.h_day >= m.baseline_from"
    aggs = group_columns(rule, ()) + ["min(entity_value) as entity"]
    return (  # rule text, validated by check_expression
        f"with {_matched_cte(rule, fs['filter'], extra)},\n{history},\n"  # noqa: S608
        "novel as (\n  select m.* from matched m\n"
        f"  where exists (select 1 from history h where {in_baseline})\n"
        f"    and not exists (select 1 from history h where {in_baseline} "
        "and h.h_value = m.attribute_value)\n)\n"
        f"{_select((), 'min(event_time)', 'attribute_value', aggs)}\n"
        "from novel\ngroup by entity_value, attribute_value, day"
    )


def sequence_sql(rule: Rule) -> str:
    """A sequence rule's SELECT (see ``toolkit.detections.sequence`` for the logic)."""
    seq = rule.logic["sequence"]
    steps, minutes = seq["steps"], int(seq["within_minutes"])
    ctes = [f"ev as (\n  select * from {events_with_derived('dt between :lookback_start and :end')}\n)"]  # noqa: S608
    ctes += identity_sessions_cte()
    ctes.append(
        "issued as (\n"
        "  select event_id as issuing_event_id, issued_access_key_id as issued_key,\n"
        "    caller_principal as issuer_principal from identity_sessions\n"
        "  where succeeded and issued_access_key_id is not null\n  union all\n"
        "  select event_id, json_extract_scalar(response_elements, '$.accessKey.accessKeyId'), principal\n"
        "  from ev where event_source = 'iam.amazonaws.com' and event_name = 'CreateAccessKey'\n"
        "    and outcome = 'succeeded'\n)")
    last = len(steps)
    for i, step in enumerate(steps, 1):
        where = [f"({step['filter']})", suppression_sql(rule)]
        if i == last:
            where += [outcome_sql(rule), "ev.dt between :start and :end"]
        ctes.append(  # rule text, validated by check_expression
            f"s{i} as (\n  select ev.event_id, ev.event_time, ev.principal, ev.session_key, "  # noqa: S608
            "ev.access_key_id, ev.source_ip_address, ev.dt, i.issued_key,\n"
            "    coalesce(o.issuer_principal, ev.principal) as origin\n"
            "  from ev left join issued i on i.issuing_event_id = ev.event_id\n"
            "  left join issued o on o.issued_key = ev.access_key_id\n"
            f"  where {' and '.join(where)}\n)")
    ctes.append(chains_cte(steps, minutes))
    counts = " and ".join(f"count(distinct e{i}) >= {int(s.get('min_count', 1))}"
                          for i, s in enumerate(steps, 1))
    ctes.append(f"runs as (\n  select actor, run_day from chains group by actor, run_day\n"  # noqa: S608
                f"  having {counts}\n)")
    unions = "\n  union\n".join(f"  select c.actor, c.run_day, c.e{i} as event_id, "  # noqa: S608
                                f"'{s['name']}' as step from chains c" for i, s in enumerate(steps, 1))
    ctes.append(f"links as (\n{unions}\n)")
    ctes.append(
        "matched as (\n  select ev.event_id, ev.event_time, ev.event_name, ev.user_agent, "
        "l.run_day as day, ev.outcome, ev.session_key, l.actor as principal, "
        "ev.principal_arn, ev.access_key_id, ev.source_ip_address, "
        "coalesce(ev.recipient_account_id, ev.account_id) as account_id, ev.aws_region as region, "
        "concat(l.step, ': ', ev.event_source, ' ', ev.event_name) as detail_steps\n"
        "  from links l join runs r on r.actor = l.actor and r.run_day = l.run_day\n"
        "  join ev on ev.event_id = l.event_id\n)")
    columns = group_columns(rule, ("principal",), extra_details=("steps",))
    head = ["principal", "day", "min(event_time) as window_start", "cast(null as varchar) as group_value"]
    return ("with " + ",\n".join(ctes) + "\nselect\n  " + ",\n  ".join(head + columns)
            + "\nfrom matched\ngroup by principal, day")
