"""The check that analyst SQL (``trailwatch query --sql``) is one read-only statement."""

from __future__ import annotations


def ensure_read_only(sql: str) -> None:
    """Accept one SELECT (or WITH/UNION) statement in Athena SQL; refuse anything else."""
    import sqlglot  # heavy (~0.3 s): imported only when ad-hoc SQL is checked
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise ValueError(f"SQL does not parse as Athena SQL: {exc}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ValueError("only one read-only query (SELECT / WITH ... SELECT) can be run here")
