"""Columns derived from an events row, each defined once as a SQL expression file in ``derived/``.

``outcome`` (succeeded | denied | failed), ``session_key`` (the actor session), ``principal``
and ``resource_arns`` (resources[].ARN and .ARNPrefix) are Athena SQL expressions over the
``events`` columns. Rule SQL selects them next to the events
columns, so rules may name them; Python reads the same text and never re-derives them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DERIVED_DIR = Path(__file__).with_name("derived")
DERIVED_COLUMNS = ("outcome", "session_key", "principal", "resource_arns")
OUTCOMES = ("succeeded", "denied", "failed")


@cache
def expression(name: str) -> str:
    """The SQL expression of derived column ``name`` (comments stripped, one line per line)."""
    if name not in DERIVED_COLUMNS:
        raise KeyError(f"no derived column {name!r} (known: {', '.join(DERIVED_COLUMNS)})")
    lines = (DERIVED_DIR / f"{name}.sql").read_text().splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip()


def events_with_derived(where: str) -> str:
    """A subquery over ``events`` rows matching ``where`` plus every derived column, aliased
    ``events`` so rule expressions read as if the derived columns were table columns."""
    derived = ",\n    ".join(f"({expression(n)}) as {n}" for n in DERIVED_COLUMNS)
    return f"(select events.*,\n    {derived}\n  from events where {where}) as events"  # noqa: S608 - repo text
