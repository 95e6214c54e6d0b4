"""Named SQL fragments (``sql/fragments.yml``): one definition of a condition or expression that
several SQL files share, filled into their ``{{ holes }}`` by name.

A fragment is ``{sql, params}``: repository SQL text (which may use other fragments) and the
typed parameters it binds. Staging views take parameter-free fragments only (a view binds
nothing); queries merge a fragment's params into their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.sql.files import read_yaml, sql_dir
from toolkit.sql.render import render, template_names

MAX_DEPTH = 4  # fragments within fragments: a cycle stops here with an error


@dataclass(frozen=True)
class Fragment:
    name: str
    sql: str
    params: dict = field(default_factory=dict)  # {name: {type, description, ...}} as in a sidecar


def _table() -> dict:
    return read_yaml(sql_dir() / "fragments.yml")


def fragment(name: str, *, _depth: int = 0) -> Fragment:
    """Fragment ``name`` with the fragments it uses filled in (their params merged)."""
    table = _table()
    if name not in table:
        raise ValueError(f"{sql_dir() / 'fragments.yml'}: no fragment {name!r}; known: {', '.join(table)}")
    if _depth > MAX_DEPTH:
        raise ValueError(f"fragment {name}: fragments nest deeper than {MAX_DEPTH} (a cycle?)")
    spec = table[name]
    params = dict(spec.get("params") or {})
    text, used = fill(str(spec["sql"]).strip(), _depth=_depth + 1)
    for inner in used.values():
        for pname, pspec in inner.params.items():
            add_param(params, pname, pspec, f"fragment {inner.name}")
    return Fragment(name, text, params)


def add_param(specs: dict, name: str, spec: dict, source: str) -> None:
    """Add ``source``'s parameter to ``specs``; the same name must have the same type."""
    known = specs.setdefault(name, spec)
    if (known.get("type"), bool(known.get("list"))) != (spec.get("type"), bool(spec.get("list"))):
        raise ValueError(f"{source}: parameter {name} ({spec.get('type')}) clashes with "
                         f"{name} ({known.get('type')}) declared before")


def fill(text: str, *, _depth: int = 0) -> tuple[str, dict[str, Fragment]]:
    """``text`` with every ``{{ name }}`` filled by fragment ``name``; and the fragments used."""
    used = {hole: fragment(hole, _depth=_depth) for hole in template_names(text)}
    return render(text, {hole: f.sql for hole, f in used.items()}), used


def fill_view(text: str, view: str) -> str:
    """A staging view's SQL with its fragments filled; a fragment that binds a value is refused."""
    filled, used = fill(text)
    bound = sorted(f.name for f in used.values() if f.params)
    if bound:
        raise ValueError(f"view {view}: fragment(s) {', '.join(bound)} bind parameters; a view binds none")
    return filled
