"""``trailwatch rules test``: run every rule against its inline test events on DuckDB.

For each rule: ``context`` + ``positive`` records are loaded as the events table and every
positive eventID must appear in some finding; ``context`` + ``negative`` records must raise no
finding at all. Records become events rows through the ingest's own code path
(``toolkit.cloudtrail.events_from_records``), so a rule that passes here sees the same columns
as on a real lake. All rules' records are flattened in one call (it dominates the run time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
    import polars as pl
    import pyarrow as pa

    from toolkit.detections.rules import Rule

CASES = ("context", "positive", "negative")


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
    from toolkit.detections import local
    from toolkit.detections.sql import compile_rule

    local.load_events(con, events)
    return local.query(con, compile_rule(rule), window_params(records, rule))


def window_params(records: list[dict], rule: Rule) -> dict[str, str]:
    """The rule's parameters for a run spanning the records' days."""
    from toolkit.detections.sql import rule_params

    days = sorted({r["eventTime"][:10] for r in records})
    return rule_params(rule, days[0], days[-1])


def event_ids(found: pl.DataFrame) -> set[str]:
    from toolkit.detections.sql import LIST_SEP_CHAR

    return {e for joined in found["event_ids"].to_list() if joined for e in joined.split(LIST_SEP_CHAR)}


def check_rule(con: duckdb.DuckDBPyConnection, rule: Rule, cases: dict[str, tuple[list, pa.Table]]) -> RuleTestResult:
    """Positives must all be matched; negatives (with the context) must raise nothing."""
    import pyarrow as pa

    (ctx_records, ctx_events) = cases["context"]
    problems = []
    try:
        for case in ("positive", "negative"):
            records, events = cases[case]
            found = run_rule(con, rule, pa.concat_tables([ctx_events, events]), ctx_records + records)
            if case == "positive":
                missed = [r["eventID"] for r in records if r["eventID"] not in event_ids(found)]
                if missed:
                    problems.append(f"positive events not matched: {missed[:5]}")
            elif found.height:
                problems.append(f"negative case raised {found.height} finding(s) on events "
                                f"{sorted(event_ids(found))[:5]}")
    except Exception as exc:  # a broken rule is a failed test, reported with the others
        problems.append(f"error: {type(exc).__name__}: {exc}")
    return RuleTestResult(rule.id, not problems, tuple(problems),
                          len(cases["positive"][0]), len(cases["negative"][0]))


def test_rules(rules: list[Rule]) -> list[RuleTestResult]:
    """Test every rule; all inline records are flattened together, then sliced per case."""
    import pyarrow as pa

    from toolkit.detections import local

    records = {(rule.id, case): rule.test_records(case) for rule in rules for case in CASES}
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
        return [check_rule(con, rule, {c: cases[(rule.id, c)] for c in CASES}) for rule in rules]
    finally:
        con.close()
