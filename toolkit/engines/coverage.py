"""Honest reads: which lake tables and days a read needs, and which of them hold no data.

A table without data reads as an empty typed view (so SQL over a young lake still runs); this
module is what keeps that from looking like a real empty answer. ``needs_of_sql`` finds the
tables and ``dt`` windows a query reads (sqlglot, the same parse the cost guard uses);
``missing_data`` compares them with ``Lake.days``; ``check`` logs a warning naming the missing
tables and days and, when nothing at all is there for a table, raises ``MissingDataError``
(exit 3) unless the caller accepts an empty answer. Days missing inside a range that has
other data are warned about, not refused.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toolkit.engines.guard import table_references
from toolkit.engines.tables import RAW_TABLE, curated_name, lake_tables
from toolkit.errors import MissingDataError, UsageError
from toolkit.lake import TABLES

if TYPE_CHECKING:
    from toolkit.lake import Lake

log = logging.getLogger(__name__)
# Lines the latest ``check`` (a CLI command's) logged: the engine's warnings do not repeat them.
_command_warned: set[str] = set()


@dataclass
class Window:
    """The days a read may touch: inclusive bounds (None = open) and/or an explicit set."""

    low: str | None = None
    high: str | None = None
    values: set[str] | None = None

    def days(self) -> list[str] | None:
        """Every day of the window, or None when it is open-ended."""
        if self.values is not None:
            return sorted(d for d in self.values if (self.low or d) <= d <= (self.high or d))
        if self.low is None or self.high is None:
            return None
        first, last = dt.date.fromisoformat(self.low[:10]), dt.date.fromisoformat(self.high[:10])
        return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

    def admits(self, day: str) -> bool:
        inside = (self.low is None or day >= self.low) and (self.high is None or day <= self.high)
        return inside and (self.values is None or day in self.values)


@dataclass
class Missing:
    """Per table: the window's days with no data, and whether the window holds no data at all."""

    days: dict[str, list[str]] = field(default_factory=dict)
    empty: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.days or self.empty)


def lake_name(table: str) -> str:
    """The ``Lake`` name of an SQL table (``events`` -> ``events``, ``cur_x`` -> ``curated/cur_x``)."""
    return table if table in TABLES else curated_name(table)


def unknown_tables(sql: str) -> list[str]:
    """Tables an ad-hoc query names that the lake does not have (CTE names excluded)."""
    known = set(lake_tables()) | {RAW_TABLE}
    return sorted({name for name, _ in table_references(sql) if name not in known})


def needs_of_sql(sql: str, params: dict[str, Any] | None = None) -> dict[str, Window]:
    """Lake tables ``sql`` reads and the window of each (several references: their union)."""
    known = set(lake_tables())
    needs: dict[str, Window] = {}
    for name, rng in table_references(sql, params):
        if name not in known:
            continue  # the raw table, or an unknown name the caller reports separately
        window = Window(rng.low, rng.high, rng.values)
        needs[name] = window if name not in needs else union(needs[name], window)
    return needs


def union(a: Window, b: Window) -> Window:
    if a.values is not None and b.values is not None and a.low == b.low and a.high == b.high:
        return Window(a.low, a.high, a.values | b.values)
    low = None if a.low is None or b.low is None else min(a.low, b.low)
    high = None if a.high is None or b.high is None else max(a.high, b.high)
    return Window(low, high)


def missing_data(lake: Lake, needs: dict[str, Window]) -> Missing:
    """Which needed tables/days hold no data in ``lake``."""
    found = Missing()
    for table, window in needs.items():
        held = {d.isoformat() for d in lake.days(lake_name(table))}
        wanted = window.days()
        if wanted is None:
            if not any(window.admits(d) for d in held):
                found.empty.append(table)
            continue
        absent = [d for d in wanted if d not in held]
        if absent:
            found.days[table] = absent
        if len(absent) == len(wanted):
            found.empty.append(table)
    return found


def describe(missing: Missing, needs: dict[str, Window]) -> str:
    """One line per table: what is missing, and for curated models how to build them."""
    lines = []
    for table in sorted(set(missing.days) | set(missing.empty)):
        days, window = missing.days.get(table), needs[table]
        where = (f"on {compress(days)}" if days else "at all" if not (window.low or window.high)
                 else f"from {window.low or 'its first day'} to {window.high or 'its last day'}")
        line = f"table {table} has no data {where}"
        span = (f"--start {days[0]} --end {days[-1]}" if days
                else f"--start {window.low} --end {window.high}" if window.low and window.high
                else "--start D --end D")
        if table.startswith("cur_"):
            line += f"; build it with: trailwatch build {span} --models {table}"
        elif table == "events":
            line += f"; ingest those days with: trailwatch ingest {span}"
        elif table == "findings":
            line += f"; run the detections with: trailwatch detect {span}"
        elif table == "metrics":
            line += f"; export them with: trailwatch metrics export {span}"
        lines.append(line)
    return "\n".join(lines)


def compress(days: list[str]) -> str:
    """``2025-03-01..2025-03-03, 2025-03-05`` for a sorted list of days."""
    runs: list[list[str]] = []
    for day in days:
        prev = runs[-1][-1] if runs else None
        if prev and dt.date.fromisoformat(day) - dt.date.fromisoformat(prev) == dt.timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs)


def check(lake: Lake, needs: dict[str, Window], *, allow_empty: bool = False) -> Missing:
    """Warn about missing tables/days; raise ``MissingDataError`` (exit 3) when a needed table
    has no data at all in its window, unless ``allow_empty``."""
    _command_warned.clear()
    missing = missing_data(lake, needs)
    if not missing:
        return missing
    message = describe(missing, needs)
    if missing.empty and not allow_empty:
        raise MissingDataError(message + "\n(rerun with --allow-empty to accept an empty answer)",
                               {t: missing.days.get(t, []) for t in missing.empty})
    for line in message.splitlines():
        _command_warned.add(line)
        log.warning("%s", line)
    return missing


def warn_missing(lake: Lake, sql: str, params: dict[str, Any] | None = None,
                 seen: set[str] | None = None) -> Missing:
    """For the Python API: log what a query's empty tables/days are (each line once per ``seen``,
    e.g. once per engine); never raise, so notebooks still get their (empty) frame."""
    try:
        needs = needs_of_sql(sql, params)
    except Exception:  # noqa: BLE001 - unparsable SQL: the engine reports it, not this check
        return Missing()
    missing = missing_data(lake, needs)
    if missing:
        seen = set() if seen is None else seen
        for line in describe(missing, needs).splitlines():
            if line not in seen and line not in _command_warned:
                seen.add(line)
                log.warning("%s", line)
    return missing


def window(start: str, end: str) -> Window:
    """The inclusive window ``start..end`` (ISO days)."""
    if end < start:
        raise UsageError(f"end {end} is before start {start}: the range is reversed")
    return Window(start, end)
