"""Model contracts: make a model's output match its YAML contract, then check its rows.

A contract (``sql/models/<model>.yml``) declares the grain, the key columns, every column with
its Athena type, and checks: per column ``not_null``, ``unique``, ``accepted_values: [...]``;
per model ``unique`` over ``keys`` (always), ``unique: [cols]`` (a grain stated by the
contract, e.g. per account) and ``expression`` checks (a condition every row must satisfy).

Every check has a severity: ``error`` (the default) fails the model and its day; ``warn``
reports the violating rows and keeps the day. A column check states it as a mapping
(``{not_null: true, severity: warn}``, ``{accepted_values: [...], severity: warn}``), a model
check with a ``severity`` key. A failing check's result names a sample of the violating rows'
event ids (``sample``; the key values for models without ``event_id``).

``check_model`` turns each check into a count-of-failing-rows query over one partition and runs
it on any engine; ``build`` runs it after writing, the DAG calls it too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.lake import parse_day
from toolkit.sql.models import Model, load_model

if TYPE_CHECKING:
    import pyarrow as pa

    from toolkit.engines.base import Engine


SEVERITIES = ("error", "warn")
SAMPLE_SIZE = 5


@dataclass(frozen=True)
class CheckResult:
    model: str
    check: str
    failures: int
    severity: str = "error"
    sample: tuple[str, ...] = ()  # event ids (or keys) of some violating rows

    @property
    def passed(self) -> bool:
        return self.failures == 0

    @property
    def fails_model(self) -> bool:
        """A failing ``error`` check: the model's day is not trusted."""
        return self.failures > 0 and self.severity == "error"

    def describe(self) -> str:
        """One line: check, severity, violating rows and their sample."""
        sample = f" (e.g. {', '.join(self.sample)})" if self.sample else ""
        return f"{self.check} [{self.severity}]: {self.failures} row(s){sample}"


@dataclass(frozen=True)
class Check:
    """One contract check: its label, severity, and the condition true on a violating row
    (``condition``) or the columns that must be unique together (``unique``)."""

    label: str
    severity: str = "error"
    condition: str | None = None
    unique: tuple[str, ...] = ()
    #: the model's keys: a null is a value there (two rows with null resource_id collide);
    #: other unique checks follow SQL UNIQUE (rows with a null in the columns never collide)
    is_key: bool = False


def conform(model: Model, table: pa.Table) -> pa.Table:
    """Cast a model's result to its contract schema, rows sorted by the keys (stable bytes)."""
    expected = model.arrow_schema()
    if table.column_names != expected.names:
        raise ValueError(f"model {model.name} returned columns {table.column_names}; its "
                         f"contract declares {expected.names}")
    table = table.cast(expected)
    return table.sort_by([(key, "ascending") for key in model.keys]) if table.num_rows else table


def contract_checks(model: Model) -> list[Check]:
    """Every check the contract declares, with its severity (``error`` unless stated)."""
    name = model.output_table or model.name
    checks = [Check(f"unique({', '.join(model.keys)})", unique=tuple(model.keys), is_key=True)]
    for column in model.contract["columns"]:
        for check in column.get("checks") or []:
            checks.append(_column_check(name, column["name"], check))
    for check in model.contract.get("checks") or []:
        severity = _severity(name, check)
        if "unique" in check:
            cols = tuple(check["unique"])
            checks.append(Check(f"unique({', '.join(cols)})", severity, unique=cols))
        else:
            checks.append(Check(f"expression({check['expression']})", severity,
                                condition=f"not ({check['expression']})"))
    return checks


def _severity(name: str, check) -> str:
    severity = check.get("severity", "error") if isinstance(check, dict) else "error"
    if severity not in SEVERITIES:
        raise ValueError(f"contract of {name}: severity {severity!r} must be one of {SEVERITIES}")
    return severity


def check_queries(model: Model) -> list[tuple[list[Check], str]]:
    """(checks, Athena SQL returning one row with one failing-row count per check).

    Row checks (not_null, accepted_values, expression) share one query and uniqueness checks
    get one each, so a model costs Athena a few scans instead of one per check. Table and
    column names, expressions and accepted values come from the repo's contract files (hence
    the S608 noqa; accepted values are also checked to be plain words); ``:day`` is bound.
    """
    name, where = model.output_table or model.name, "where dt = :day"
    checks = contract_checks(model)
    queries = [([c], _unique_sql(name, c, where)) for c in checks if c.unique]
    row_checks = [c for c in checks if c.condition]
    if row_checks:
        counts = ", ".join(f"count_if({c.condition}) as check_{i}" for i, c in enumerate(row_checks))
        queries.append((row_checks, f"select {counts} from {name} {where}"))  # noqa: S608
    return queries


def _duplicates_sql(name: str, check: Check, where: str) -> str:
    cols = list(check.unique)
    keys = ", ".join(cols)
    skip_nulls = len(cols) == 1 or not check.is_key
    nulls = " and ".join(f"{c} is not null" for c in cols) if skip_nulls else "true"
    return (f"select {keys} from {name} {where} and {nulls} "  # noqa: S608
            f"group by {keys} having count(*) > 1")


def _unique_sql(name: str, check: Check, where: str) -> str:
    return f"select count(*) as failures from ({_duplicates_sql(name, check, where)}) as duplicates"  # noqa: S608


def sample_sql(model: Model, check: Check) -> str:
    """SQL listing up to ``SAMPLE_SIZE`` violating rows' event ids (else their keys)."""
    name, where = model.output_table or model.name, "where dt = :day"
    columns = [c["name"] for c in model.contract["columns"]]
    ids = ["event_id"] if "event_id" in columns else list(model.keys)

    def shown(prefix: str) -> str:
        return "concat_ws('|', " + ", ".join(f"cast({prefix}{k} as varchar)" for k in ids) + ")"

    if check.unique:
        on = " and ".join(f"t.{c} = d.{c}" for c in check.unique)
        return (f"select distinct {shown('t.')} as sample "  # noqa: S608
                f"from {name} as t join ({_duplicates_sql(name, check, where)}) as d "
                f"on {on} where t.dt = :day order by 1 limit {SAMPLE_SIZE}")
    return (f"select {shown('')} as sample from {name} {where} and ({check.condition}) "  # noqa: S608
            f"order by 1 limit {SAMPLE_SIZE}")


_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_.:\- ]+$")


def _column_check(name: str, col: str, check) -> Check:
    """The check on one column (its condition is true on a violating row)."""
    severity = _severity(name, check)
    if check == "unique" or (isinstance(check, dict) and check.get("unique") is True):
        return Check(f"unique({col})", severity, unique=(col,))
    if check == "not_null" or (isinstance(check, dict) and check.get("not_null") is True):
        return Check(f"not_null({col})", severity, condition=f"{col} is null")
    if isinstance(check, dict) and "accepted_values" in check:
        values = [str(v) for v in check["accepted_values"]]
        if not all(_PLAIN_VALUE.match(v) for v in values):
            raise ValueError(f"contract of {name}: accepted values of {col} must be plain words")
        listed = ", ".join(f"'{v}'" for v in values)
        return Check(f"accepted_values({col})", severity,
                     condition=f"{col} is not null and {col} not in ({listed})")
    raise ValueError(f"contract of {name}: unknown check {check!r} on column {col}")


def check_model(engine: Engine, model: str | Model, day: str | dt.date) -> list[CheckResult]:
    """Run every contract check of ``model`` on its ``day`` partition; return the results."""
    spec = load_model(model) if isinstance(model, str) else model
    return run_checks(engine, spec, parse_day(day).isoformat())


def run_checks(engine: Engine, spec: Model, day: str) -> list[CheckResult]:
    """Every check of a contract on one ``dt``; a failing check also fetches its sample."""
    results = []
    for checks, sql in check_queries(spec):
        row = engine.query(sql, {"day": day}).row(0)
        for check, n in zip(checks, row, strict=True):
            # count_if over zero rows is NULL on DuckDB (0 on Athena): no rows, no failures
            failures = int(n or 0)
            sample = ()
            if failures:
                found = engine.query(sample_sql(spec, check), {"day": day})
                sample = tuple(str(v) for v in found["sample"].to_list())
            results.append(CheckResult(spec.name, check.label, failures, check.severity, sample))
    return results
