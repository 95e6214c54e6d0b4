"""Model contracts: make a model's output match its YAML contract, then check its rows.

A contract (``sql/models/<model>.yml``) declares the grain, the key columns, every column with
its Athena type, and checks: per column ``not_null``, ``unique``, ``accepted_values: [...]``;
per model ``unique`` over ``keys`` (always) and ``expression`` checks (a condition every row
must satisfy). ``check_model`` turns each check into a count-of-failing-rows query over one
partition and runs it on any engine; ``build`` runs it after writing, the DAG calls it too.
"""

from __future__ import annotations

import datetime as dt
import re
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


def check_queries(model: Model) -> list[tuple[list[str], str]]:
    """(check names, Athena SQL returning one row with one failing-row count per check).

    Row checks (not_null, accepted_values, expression) share one query and uniqueness checks
    get one each, so a model costs Athena a few scans instead of one per check. Table and
    column names, expressions and accepted values come from the repo's contract files (hence
    the S608 noqa; accepted values are also checked to be plain words); ``:day`` is bound.
    """
    name, where = model.output_table or model.name, "where dt = :day"
    row_checks: list[tuple[str, str]] = []
    unique_sets = [list(model.keys)]
    for column in model.contract["columns"]:
        for check in column.get("checks") or []:
            if check == "unique":
                unique_sets.append([column["name"]])
            else:
                row_checks.append(_row_check(name, column["name"], check))
    row_checks += [(f"expression({c['expression']})", f"not ({c['expression']})")
                   for c in model.contract.get("checks") or []]
    queries = [([f"unique({', '.join(cols)})"], _unique_sql(name, cols, where)) for cols in unique_sets]
    if row_checks:
        counts = ", ".join(f"count_if({cond}) as check_{i}" for i, (_, cond) in enumerate(row_checks))
        queries.append(([label for label, _ in row_checks],
                        f"select {counts} from {name} {where}"))  # noqa: S608
    return queries


def _unique_sql(name: str, cols: list[str], where: str) -> str:
    keys = ", ".join(cols)
    nulls = " and ".join(f"{c} is not null" for c in cols) if len(cols) == 1 else "true"
    return (f"select count(*) as failures from (select {keys} from {name} {where} and {nulls} "  # noqa: S608
            f"group by {keys} having count(*) > 1) as duplicates")


_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_.:\- ]+$")


def _row_check(name: str, col: str, check) -> tuple[str, str]:
    """(label, condition that is true on a failing row) for one column check."""
    if check == "not_null":
        return f"not_null({col})", f"{col} is null"
    if isinstance(check, dict) and "accepted_values" in check:
        values = [str(v) for v in check["accepted_values"]]
        if not all(_PLAIN_VALUE.match(v) for v in values):
            raise ValueError(f"contract of {name}: accepted values of {col} must be plain words")
        listed = ", ".join(f"'{v}'" for v in values)
        return f"accepted_values({col})", f"{col} is not null and {col} not in ({listed})"
    raise ValueError(f"contract of {name}: unknown check {check!r} on column {col}")


def check_model(engine: Engine, model: str, day: str | dt.date) -> list[CheckResult]:
    """Run every contract check of ``model`` on its ``day`` partition; return the results."""
    from toolkit.lake import parse_day

    spec = load_model(model)
    day_str = parse_day(day).isoformat()
    results = []
    for labels, sql in check_queries(spec):
        row = engine.query(sql, {"day": day_str}).row(0)
        # count_if over zero rows is NULL on DuckDB (0 on Athena): no rows, no failures
        results += [CheckResult(model, label, int(n or 0)) for label, n in zip(labels, row, strict=True)]
    return results
