# ruff: noqa: S608 - SQL text here is assembled from validated rule files only; values are bound
"""Sequence (correlation) rules: ordered steps by one actor within a time window.

A sequence rule's logic::

    sequence:
      within_minutes: 120          # first step's first event to the last step's event
      steps:
        - name: recon
          filter: outcome = 'denied'
          min_count: 10            # optional: at least this many distinct events of the step
        - name: escalate
          filter: event_source = 'sts.amazonaws.com' and event_name = 'AssumeRole'
          link: same_principal     # default; or same_session, same_origin, issued_credentials
        - name: data_access
          filter: event_source = 's3.amazonaws.com' and event_name = 'GetObject'
          link: issued_credentials # signed with a key the previous step's call issued
          new_ip: true             # optional: from an IP the run's actor had not used before

``issued_credentials`` follows the identity chain: the keys STS handed out come from the curated
``cur_identity_sessions`` model (its SQL is inlined over the run's days, so the link works on a
lake whose models were not built), plus keys ``iam:CreateAccessKey`` created. ``same_origin``
links calls whose origin is the same: a call's origin is the principal that created or was
issued its access key within the look-back (one hop), else its own principal - so an intruder
who mints a key for another user and acts with it is still one actor. Steps are ordered
(each after the previous), all within ``within_minutes`` of the first step's event; the rule's
outcome clause applies to the last step. One finding per actor (the first step's origin)
and day of the last step, holding every event of every step.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from toolkit.sql.models import load_model

if TYPE_CHECKING:
    from toolkit.detections.rules import Rule

LINKS = {
    "same_principal": "{cur}.principal = {prev}.principal",
    "same_origin": "{cur}.origin = {prev}.origin",
    "same_session": "{cur}.session_key = {prev}.session_key",
    "issued_credentials": "{cur}.access_key_id = {prev}.issued_key",
}
STEP_KEYS = {"name", "filter", "min_count", "link", "new_ip"}
STEP_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
MAX_WINDOW_MINUTES = 7 * 1440


def validate_sequence(seq: Any) -> list[str]:
    if not isinstance(seq, dict):
        return ["logic.sequence must be a mapping"]
    errors = [f"logic.sequence: unknown key {k!r}" for k in seq if k not in ("within_minutes", "steps")]
    minutes = seq.get("within_minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_WINDOW_MINUTES:
        errors.append(f"logic.sequence.within_minutes must be an integer from 1 to {MAX_WINDOW_MINUTES}")
    steps = seq.get("steps")
    if not isinstance(steps, list) or len(steps) < 2:
        return errors + ["logic.sequence.steps must list at least two steps"]
    names = set()
    for i, step in enumerate(steps):
        label = f"logic.sequence.steps[{i}]"
        if not isinstance(step, dict):
            errors.append(f"{label} must be a mapping")
            continue
        errors += [f"{label}: unknown key {k!r}" for k in step if k not in STEP_KEYS]
        if not isinstance(step.get("name"), str) or not STEP_NAME_RE.match(step["name"]) or step["name"] in names:
            errors.append(f"{label}.name must be a unique snake_case name")
        names.add(step.get("name"))
        if not isinstance(step.get("filter"), str) or not step["filter"].strip():
            errors.append(f"{label}.filter must be a SQL condition")
        count = step.get("min_count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            errors.append(f"{label}.min_count must be a positive integer")
        if i == 0 and ("link" in step or "new_ip" in step):
            errors.append(f"{label}: the first step has no link or new_ip")
        if "link" in step and step["link"] not in LINKS:
            errors.append(f"{label}.link must be one of {', '.join(LINKS)}")
        if not isinstance(step.get("new_ip", False), bool):
            errors.append(f"{label}.new_ip must be true or false")
    return errors


def sequence_expressions(rule: Rule) -> list[tuple[str, str]]:
    """The rule-written SQL expressions of a sequence (checked like every rule expression)."""
    if rule.kind != "sequence":
        return []
    return [(f"steps.{s['name']}.filter", s["filter"]) for s in rule.logic["sequence"]["steps"]]


def lookback_days(rule: Rule) -> int:
    """Days before the run's first day that a sequence's earlier steps may fall in."""
    return -(-rule.logic["sequence"]["within_minutes"] // 1440)


def identity_sessions_cte() -> list[str]:
    """The ``cur_identity_sessions`` model's CTEs over days ``[:lookback_start, :end]``, renamed
    ``ids_*``; the last, ``identity_sessions``, is the model's output."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(load_model("cur_identity_sessions").sql, read="athena")
    for eq in list(tree.find_all(exp.EQ)):
        if isinstance(eq.this, exp.Column) and eq.this.name == "dt":
            eq.replace(sqlglot.parse_one("dt between :lookback_start and :end", read="athena"))
    names = {cte.alias for cte in tree.args["with_"].expressions}
    for table in tree.find_all(exp.Table):
        if table.name in names:
            table.set("this", exp.to_identifier(f"ids_{table.name}"))
    ctes = []
    for cte in tree.args["with_"].expressions:
        ctes.append(f"ids_{cte.alias} as (\n{cte.this.sql(dialect='athena')}\n)")
    final = tree.copy()
    final.set("with_", None)
    ctes.append(f"identity_sessions as (\n{final.sql(dialect='athena')}\n)")
    return ctes


def chains_cte(steps: list[dict], minutes: int) -> str:
    """Every ordered combination of step events that is one run of the sequence. The new-IP test
    is a correlated subquery, so it sits in WHERE (Trino refuses those in JOIN conditions)."""
    select = ["s1.origin as actor", f"s{len(steps)}.dt as run_day"]
    select += [f"s{i}.event_id as e{i}" for i in range(1, len(steps) + 1)]
    joins, where = [], []
    for i, step in enumerate(steps[1:], 2):
        cur, prev = f"s{i}", f"s{i - 1}"
        on = [LINKS[step.get("link", "same_principal")].format(cur=cur, prev=prev),
              f"{cur}.event_time > {prev}.event_time",
              f"{cur}.event_time <= date_add('minute', {minutes}, s1.event_time)"]
        joins.append(f"  join {cur} on " + "\n    and ".join(on))
        if step.get("new_ip"):
            where.append(f"not exists (select 1 from ev p where p.principal = s1.principal "
                         f"and p.source_ip_address = {cur}.source_ip_address "
                         f"and p.event_time < {cur}.event_time)")
    condition = "\n  where " + "\n    and ".join(where) if where else ""
    return ("chains as (\n  select " + ", ".join(select) + "\n  from s1\n" + "\n".join(joins)
            + condition + "\n)")
