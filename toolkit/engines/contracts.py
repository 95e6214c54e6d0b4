"""Model contracts: make a model's output match its YAML contract, then check its rows.

A contract (``sql/models/<model>.yml``) declares the grain, the key columns, every column with
its Athena type, and checks: per column ``not_null``, ``unique``, ``accepted_values: [...]``;
per model ``unique`` over ``keys`` (always) and ``expression`` checks (a condition every row
must satisfy). ``check_model`` turns each check into a count-of-failing-rows query over one
partition and runs it on any engine; ``build`` runs it after writing, the DAG calls it too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.sqlfiles import Model, load_model

if TYPE_CHECKING:
    import pyarrow as pa

    from toolkit.engines.base import Engine


@dataclass(frozen=True)
class CheckResult:
    model: str
    check: str
    failures: int

    @property
    def passed(self) -> bool:
        return self.failures == 0


def conform(model: Model, table: pa.Table) -> pa.Table:
    """Cast a model's result to its contract schema, rows sorted by the keys (stable bytes)."""
    expected = model.arrow_schema()
    if table.column_names != expected.names:
        raise ValueError(f"model {model.name} returned columns {table.column_names}; its "
                         f"contract declares {expected.names}")
    table = table.cast(expected)
    return table.sort_by([(key, "ascending") for key in model.keys]) if table.num_rows else table


def check_queries(model: Model) -> list[tuple[str, str, dict]]:
    """(check name, Athena SQL counting failing rows, extra parameters) for every check.

    Table, column names and expressions come from the repo's contract files (S608 noqa);
    the day and accepted values are bound parameters.
    """
    name, where = model.output_table or model.name, "where dt = :day"
    keys = ", ".join(model.keys)
    checks = [(f"unique({keys})",
               f"select count(*) as failures from (select {keys} from {name} {where} "  # noqa: S608
               f"group by {keys} having count(*) > 1) as duplicates", {})]
    for column in model.contract["columns"]:
        col = column["name"]
        for check in column.get("checks") or []:
            checks.append(_column_check(name, col, check, where))
    for check in model.contract.get("checks") or []:
        expr = check["expression"]
        checks.append((f"expression({expr})",
                       f"select count(*) as failures from {name} {where} and not ({expr})", {}))  # noqa: S608
    return checks


def _column_check(name: str, col: str, check, where: str) -> tuple[str, str, dict]:
    if check == "not_null":
        return (f"not_null({col})",
                f"select count(*) as failures from {name} {where} and {col} is null", {})  # noqa: S608
    if check == "unique":
        return (f"unique({col})",
                f"select count(*) as failures from (select {col} from {name} {where} "  # noqa: S608
                f"and {col} is not null group by {col} having count(*) > 1) as duplicates", {})
    if isinstance(check, dict) and "accepted_values" in check:
        values = {f"accepted_{i}": str(v) for i, v in enumerate(check["accepted_values"])}
        marks = ", ".join(f":{k}" for k in values)
        return (f"accepted_values({col})",
                f"select count(*) as failures from {name} {where} and {col} is not null "  # noqa: S608
                f"and {col} not in ({marks})", values)
    raise ValueError(f"contract of {name}: unknown check {check!r} on column {col}")


def check_model(engine: Engine, model: str, day: str | dt.date) -> list[CheckResult]:
    """Run every contract check of ``model`` on its ``day`` partition; return the results."""
    from toolkit.lake import parse_day

    spec = load_model(model)
    day_str = parse_day(day).isoformat()
    results = []
    for check, sql, extra in check_queries(spec):
        frame = engine.query(sql, {"day": day_str, **extra})
        results.append(CheckResult(model, check, int(frame.item(0, 0))))
    return results
