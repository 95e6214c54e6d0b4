"""The columns rules read next to the events columns.

``outcome`` (succeeded | denied | failed), ``session_key`` (the actor session) and ``principal``
are defined once, in the staging view ``stg_events`` (``sql/models/stg_events.sql``): rule SQL
reads that view. ``resource_arns`` (resources[].ARN and .ARNPrefix, the ARNs a rule matches
on) is the one detections-only column, an Athena SQL expression file in ``derived/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DERIVED_DIR = Path(__file__).with_name("derived")
DERIVED_COLUMNS = ("outcome", "session_key", "principal", "resource_arns")
STAGING_COLUMNS = ("outcome", "session_key", "principal")  # from stg_events
EXPRESSION_COLUMNS = ("resource_arns",)  # derived/<name>.sql
OUTCOMES = ("succeeded", "denied", "failed")


@cache
def expression(name: str) -> str:
    """The SQL expression of derived column ``name`` (comments stripped, one line per line)."""
    if name not in EXPRESSION_COLUMNS:
        raise KeyError(f"no derived expression {name!r} (known: {', '.join(EXPRESSION_COLUMNS)}; "
                       f"{', '.join(STAGING_COLUMNS)} are stg_events columns)")
    lines = (DERIVED_DIR / f"{name}.sql").read_text().splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip()


def events_with_derived(where: str) -> str:
    """A subquery over ``stg_events`` rows matching ``where`` plus the detections' own columns,
    aliased ``events`` so rule expressions read as if every column were a table column."""
    derived = ",\n    ".join(f"({expression(n)}) as {n}" for n in EXPRESSION_COLUMNS)
    return (f"(select stg_events.*,\n    {derived}\n  from stg_events where {where}) "  # noqa: S608 - repo text
            "as events")
