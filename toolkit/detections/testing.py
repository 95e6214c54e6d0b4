"""``trailwatch rules test``: run every rule against its inline test events on DuckDB.

For each rule: ``context`` + ``positive`` records are loaded as the events table and every
positive eventID must appear in some finding; ``context`` + ``negative`` records must raise no
finding at all. Records become events rows through the ingest's own code path
(``toolkit.cloudtrail.events_from_records``), so a rule that passes here sees the same columns
as on a real lake. All rules' records are flattened in one call.

Outcome variants are derived from every rule's positives: ``denied`` (each record answered
``AccessDenied``) and ``succeeded`` (each record's error removed, a failed console sign-in turned
into a successful one). ``outcome: any`` rules must match both, the denied one as a ``denied``
(attempted) finding; ``succeeded`` rules must not match the denied variant; ``denied`` and
``unsuccessful`` rules must not match the succeeded one. Rules whose own SQL reads the error
(``error_code``, ``outcome``) and sequences (outcome per step) state their cases themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.detections import local
from toolkit.detections.sql import LIST_SEP_CHAR, compile_rule, rule_params

if TYPE_CHECKING:
    import duckdb
    import polars as pl
    import pyarrow as pa

    from toolkit.detections.rules import Rule

CASES = ("context", "positive", "negative")
VARIANTS = ("denied", "succeeded")
DENIED = {"errorCode": "AccessDenied",
          "errorMessage": "User is not authorized to perform this operation because no "
                          "identity-based policy allows the action"}


@dataclass(frozen=True)
class RuleTestResult:
    rule_id: str
    passed: bool
    problems: tuple[str, ...]
    positives: int
    negatives: int


def records_to_events(records: list[dict]) -> pa.Table:
    """Inline CloudTrail records -> events rows (pyarrow, EVENTS_SCHEMA) via the ingest code."""
    from toolkit.cloudtrail import events_from_records

    return events_from_records(records, source_file="inline")


def run_rule(con: duckdb.DuckDBPyConnection, rule: Rule, events: pa.Table,
             records: list[dict]) -> pl.DataFrame:
    """The finding groups ``rule`` raises when ``events`` (from ``records``) is the whole table."""
    local.load_events(con, events)
    return local.query(con, compile_rule(rule), window_params(records, rule))


def window_params(records: list[dict], rule: Rule) -> dict[str, str]:
    """The rule's parameters for a run spanning the records' days."""
    days = sorted({r["eventTime"][:10] for r in records})
    return rule_params(rule, days[0], days[-1])


def event_ids(found: pl.DataFrame) -> set[str]:
    return {e for joined in found["event_ids"].to_list() if joined for e in joined.split(LIST_SEP_CHAR)}


def outcome_variants(rule: Rule) -> dict[str, list[dict]]:
    """The rule's positives re-answered as denied and as succeeded (see the module doc)."""
    text = " ".join([rule.filter, *rule.details.values()])
    if rule.kind == "sequence" or re.search(r"\b(error_code|error_message|outcome)\b", text):
        return {}
    positives = rule.test_records("positive")
    denied = [{**r, **DENIED} for r in positives]
    succeeded = [_succeeded(r) for r in positives]
    return {"denied": denied, "succeeded": succeeded if succeeded != positives else []}


def _succeeded(record: dict) -> dict:
    record = {k: v for k, v in record.items() if k not in ("errorCode", "errorMessage")}
    response = record.get("responseElements")
    if isinstance(response, dict) and response.get("ConsoleLogin") == "Failure":
        record["responseElements"] = {**response, "ConsoleLogin": "Success"}
    return record


def expected_variant(rule: Rule, variant: str) -> bool:
    """Whether the rule must match a variant of its positives (else it must raise nothing)."""
    return rule.outcome == "any" or (rule.outcome == "succeeded") == (variant == "succeeded")


def check_rule(con: duckdb.DuckDBPyConnection, rule: Rule, cases: dict[str, tuple[list, pa.Table]]) -> RuleTestResult:
    """Positives must all be matched; negatives (with the context) must raise nothing; outcome
    variants behave as the rule's outcome clause says."""
    import pyarrow as pa

    (ctx_records, ctx_events) = cases["context"]
    problems = []
    try:
        for case in ("positive", "negative", *VARIANTS):
            records, events = cases[case]
            if not records:
                continue
            found = run_rule(con, rule, pa.concat_tables([ctx_events, events]), ctx_records + records)
            problems += _case_problems(rule, case, records, found)
    except Exception as exc:  # a broken rule is a failed test, reported with the others
        problems.append(f"error: {type(exc).__name__}: {exc}")
    return RuleTestResult(rule.id, not problems, tuple(problems),
                          len(cases["positive"][0]), len(cases["negative"][0]))


def _case_problems(rule: Rule, case: str, records: list[dict], found: pl.DataFrame) -> list[str]:
    must_match = case == "positive" or (case in VARIANTS and expected_variant(rule, case))
    if not must_match:
        return [f"{case} case raised {found.height} finding(s) on events "
                f"{sorted(event_ids(found))[:5]}"] if found.height else []
    label = "positive" if case == "positive" else f"{case} variant of the positive"
    missed = [r["eventID"] for r in records if r["eventID"] not in event_ids(found)]
    if missed:
        return [f"{label} events not matched: {missed[:5]}"]
    if case == "denied" and set(found["outcome"].to_list()) != {"denied"}:
        return [f"denied variant reported outcome {sorted(set(found['outcome'].to_list()))}"]
    return []


def run_rule_tests(rules: list[Rule]) -> list[RuleTestResult]:
    """Test every rule; all inline records are flattened together, then sliced per case."""
    import pyarrow as pa

    records = {(rule.id, case): rule.test_records(case) for rule in rules for case in CASES}
    for rule in rules:
        variants = outcome_variants(rule)
        records.update({(rule.id, v): variants.get(v, []) for v in VARIANTS})
    everything = [r for recs in records.values() for r in recs]
    table = records_to_events(everything)
    if table.num_rows != len(everything):
        raise ValueError(f"flattening {len(everything)} test records gave {table.num_rows} rows")
    cases, offset = {}, 0
    for key, recs in records.items():
        # take() copies: DuckDB refuses struct columns that are zero-copy slices
        cases[key] = (recs, table.take(pa.array(range(offset, offset + len(recs)), pa.int64())))
        offset += len(recs)
    con = local.connect()
    try:
        return [check_rule(con, rule, {c: cases[(rule.id, c)] for c in (*CASES, *VARIANTS)})
                for rule in rules]
    finally:
        con.close()
