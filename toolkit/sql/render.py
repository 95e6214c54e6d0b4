"""The one template renderer for repository SQL: ``{{ name }}`` holes, strict.

It fills *repository* text only: deployment values in DDL (``{{ database }}``, ``{{ lake }}``,
``{{ raw }}``, checked by ``render_deployment``) and the SQL fragments a named query gives its
base query (``sql/queries/base/``). Analyst-typed values never go through it: they are bound
(``toolkit.sql.bind``).
"""

from __future__ import annotations

import re

_TEMPLATE_VAR = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_DATABASE = re.compile(r"^[a-z_][a-z0-9_]{0,254}$")
_LOCATION = re.compile(r"^[^'\"\s\\]+$")


def template_names(text: str) -> list[str]:
    """Distinct ``{{ name }}`` holes of a template, in order of first appearance."""
    return list(dict.fromkeys(_TEMPLATE_VAR.findall(text)))


def render(text: str, values: dict[str, str | None]) -> str:
    """Fill every ``{{ name }}``; a name without a value (undefined or None) is an error."""

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if values.get(key) is None:
            raise ValueError(f"template needs a value for {{{{ {key} }}}}")
        return str(values[key])

    return _TEMPLATE_VAR.sub(fill, text)


def render_deployment(text: str, values: dict[str, str | None]) -> str:
    """``render`` with deployment values: a database name or a location, checked to be safe."""
    for key, value in values.items():
        pattern = _DATABASE if key == "database" else _LOCATION
        if value is not None and not pattern.match(str(value)):
            raise ValueError(f"unsafe {key} value for SQL templates: {value!r}")
    return render(text, {k: None if v is None else str(v).rstrip("/") for k, v in values.items()})
