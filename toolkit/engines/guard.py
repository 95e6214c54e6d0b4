"""Cost guard: estimate the bytes a query reads from the lake before it runs.

The estimate is the size of every Parquet file in the ``dt`` partitions each table reference
can touch, from ``dt`` predicates in its SELECT's WHERE (``=``, ``<``, ``<=``, ``>``, ``>=``,
``between``, ``in``; literals or bound ``:name`` values). A reference without a usable ``dt``
predicate counts its whole table. It is an upper bound: Athena reads only the Parquet columns a
query uses (and bills at least 10 MB per query), so ``DataScannedInBytes`` after the run is
usually lower. Both engines compute it the same way, from the same file listing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolkit.engines.base import ScanLimitExceeded
from toolkit.engines.staging import base_table
from toolkit.engines.tables import PARTITION_COLUMN, RAW_TABLE, lake_name, lake_tables
from toolkit.lake import filesystem, iceberg, normalize

if TYPE_CHECKING:
    from sqlglot import exp

    from toolkit.lake import Lake

_DT_DIR = re.compile(r"/dt=(\d{4}-\d{2}-\d{2})/")
# cloudtrail_raw's projected ``day`` partition is the delivery folder yyyy/MM/dd
_RAW_DAY_DIR = re.compile(r"/CloudTrail/[^/]+/(\d{4}/\d{2}/\d{2})/")
RAW_PARTITION_COLUMN = "day"


@dataclass
class DtRange:
    """The ``dt`` values a table reference may read: inclusive bounds and/or an explicit set."""

    low: str | None = None
    high: str | None = None
    values: set[str] | None = None

    def admits(self, day: str) -> bool:
        if self.values is not None and day not in self.values:
            return False
        return (self.low is None or day >= self.low) and (self.high is None or day <= self.high)


def table_references(sql: str, params: dict[str, Any] | None = None) -> list[tuple[str, DtRange]]:
    """Each lake table the query reads (once per reference) with the dt range it may touch."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="athena")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    refs = []
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if name in ctes or not name:
            continue
        name = base_table(name)  # a staging view reads `events` (same dt filter)
        select = table.find_ancestor(exp.Select)
        where = select.args.get("where") if select else None
        column = RAW_PARTITION_COLUMN if name == RAW_TABLE else PARTITION_COLUMN
        refs.append((name, _dt_range(where, table.alias_or_name, params or {}, column)))
    return refs


def _dt_range(where: exp.Where | None, alias: str, params: dict[str, Any],
              column: str = PARTITION_COLUMN) -> DtRange:
    from sqlglot import exp

    found = DtRange()
    if where is None:
        return found
    condition = where.this
    conjuncts = list(condition.flatten()) if isinstance(condition, exp.And) else [condition]
    for pred in conjuncts:
        _narrow(found, pred, (alias, column), params)
    return found


def _is_dt(node: exp.Expression, target: tuple[str, str]) -> bool:
    """Is ``node`` the partition column (``target`` = (table alias, column name))?"""
    from sqlglot import exp

    alias, column = target
    return (isinstance(node, exp.Column) and node.name.lower() == column
            and node.table in ("", alias))


def _value(node: exp.Expression, params: dict[str, Any]) -> str | None:
    from sqlglot import exp

    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    if isinstance(node, exp.Placeholder) and node.this in params:
        return str(params[node.this])
    return None


def _narrow(found: DtRange, pred: exp.Expression, alias: tuple[str, str],
            params: dict[str, Any]) -> None:
    """Tighten ``found`` by one AND-ed predicate if it constrains dt (else leave it)."""
    from sqlglot import exp

    if isinstance(pred, exp.Paren):
        pred = pred.this
    if isinstance(pred, exp.Between) and _is_dt(pred.this, alias):
        _bound(found, low=_value(pred.args["low"], params), high=_value(pred.args["high"], params))
    elif isinstance(pred, exp.In) and _is_dt(pred.this, alias):
        values = [_value(v, params) for v in pred.expressions]
        if values and None not in values:
            found.values = set(values) if found.values is None else found.values & set(values)
    elif isinstance(pred, (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
        left, right, kind = pred.this, pred.expression, type(pred)
        if _is_dt(right, alias):  # 'x' <= dt  is  dt >= 'x'
            left, right = right, left
            kind = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}.get(kind, kind)
        if not _is_dt(left, alias):
            return
        value = _value(right, params)
        if kind is exp.EQ:
            _bound(found, low=value, high=value)
        elif kind in (exp.GT, exp.GTE):
            _bound(found, low=value)
        else:
            _bound(found, high=value)


def _bound(found: DtRange, low: str | None = None, high: str | None = None) -> None:
    if low is not None:
        found.low = max(found.low, low) if found.low else low
    if high is not None:
        found.high = min(found.high, high) if found.high else high


def partition_bytes(lake: Lake, url: str) -> dict[str, int]:
    """Bytes of Parquet per ``dt`` partition under a table URL (staging and swaps excluded)."""
    fs = lake.fs
    if not fs.exists(url):
        return {}
    sizes: dict[str, int] = {}
    for path, info in fs.find(url, detail=True).items():
        match = _DT_DIR.search("/" + path.split("://", 1)[-1])
        if not path.endswith(".parquet") or not match or "/_staging/" in path:
            continue
        sizes[match.group(1)] = sizes.get(match.group(1), 0) + int(info.get("size") or 0)
    return sizes


def table_bytes(lake: Lake, name: str) -> dict[str, int]:
    """Bytes per ``dt`` day of an Iceberg lake table's current files (sizes from its manifests)."""
    table = iceberg.load(lake, lake_name(name))
    sizes: dict[str, int] = {}
    for data_file in iceberg.day_files(table) if table is not None else []:
        day = data_file.partition[0]
        sizes[day] = sizes.get(day, 0) + int(data_file.file_size_in_bytes)
    return sizes


def raw_bytes(lake: Lake, raw_url: str | None) -> dict[str, int]:
    """Bytes of raw CloudTrail files per delivery day folder (``yyyy/MM/dd``, digests excluded)."""
    if not raw_url:
        return {}

    raw_url = normalize(raw_url)
    fs = filesystem(raw_url, lake.endpoint_url)
    root = raw_url + "/AWSLogs"
    if not fs.exists(root):
        return {}
    sizes: dict[str, int] = {}
    for path, info in fs.find(root, detail=True).items():
        match = _RAW_DAY_DIR.search(path)
        if match and path.endswith(".json.gz"):
            sizes[match.group(1)] = sizes.get(match.group(1), 0) + int(info.get("size") or 0)
    return sizes


def estimate_scan_bytes(lake: Lake, sql: str, params: dict[str, Any] | None = None,
                        raw_url: str | None = None) -> int:
    """Upper bound of the bytes ``sql`` reads from the lake (see the module docstring)."""
    known = set(lake_tables())
    sizes_by_table: dict[str, dict[str, int]] = {}
    total = 0
    for name, dt_range in table_references(sql, params):
        if name not in known and name != RAW_TABLE:
            continue
        if name not in sizes_by_table:
            sizes_by_table[name] = (raw_bytes(lake, raw_url) if name == RAW_TABLE
                                    else table_bytes(lake, name))
        total += sum(size for day, size in sizes_by_table[name].items() if dt_range.admits(day))
    return total


def enforce(estimate: int, limit: int, allow_scan: bool) -> None:
    """Refuse a query estimated above ``limit`` bytes unless the caller allowed it."""
    if estimate > limit and not allow_scan:
        raise ScanLimitExceeded(
            f"query would scan about {human_bytes(estimate)} (limit {human_bytes(limit)}); "
            "narrow the dt range or rerun with --allow-scan")


def human_bytes(n: int | float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
