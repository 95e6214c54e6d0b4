"""A report notebook's parameters: inspected with papermill, checked and typed before a run.

papermill only warns about parameters the notebook does not declare; trailwatch refuses them,
and converts each value to the type of the declared default (``-p days=7`` gives an ``int``).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

TYPES = {"str": str, "int": int, "float": float, "bool": bool}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def _declared_type(spec: dict[str, Any]) -> str:
    """The annotation if there is one, else the type of the literal default."""
    name = spec.get("inferred_type_name") or "None"
    if name != "None":
        return name
    try:
        return type(ast.literal_eval(spec["default"])).__name__
    except (ValueError, SyntaxError):
        return "None"


def inspect_parameters(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """``{name: {type, default, help}}`` of the cell tagged ``parameters``."""
    import papermill

    inspected = papermill.inspect_notebook(str(notebook))
    if not inspected:
        raise ValueError(f"{notebook}: no code cell tagged 'parameters'")
    params = {}
    for name, spec in inspected.items():
        kind = _declared_type(spec)
        if kind not in TYPES:
            raise ValueError(f"{notebook}: parameter {name!r} needs a str/int/float/bool literal "
                             f"default (got {spec['default']!r})")
        params[name] = {"type": kind, "default": ast.literal_eval(spec["default"]),
                        "help": spec.get("help", "")}
    return params


def _coerce(name: str, kind: str, value: Any) -> Any:
    """``value`` (a CLI string or a Python value) as the parameter's declared type."""
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
    elif kind == "str":
        if isinstance(value, str):
            return value
    elif isinstance(value, TYPES[kind]) and not isinstance(value, bool):
        return value
    elif isinstance(value, str) or (kind == "float" and isinstance(value, int)):
        try:
            return TYPES[kind](value)
        except ValueError:
            pass
    raise ValueError(f"parameter {name!r} must be {kind}, got {value!r}")


def check_parameters(declared: dict[str, dict[str, Any]], given: dict[str, Any]) -> dict[str, Any]:
    """Typed copy of ``given``; a name the notebook does not declare is an error."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)}; this notebook takes: "
                         + ", ".join(f"{n} ({s['type']})" for n, s in declared.items()))
    return {name: _coerce(name, declared[name]["type"], value) for name, value in given.items()}


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``["key=value", ...]`` from the command line as a dict (values stay strings)."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected -p key=value, got {pair!r}")
        parsed[key.strip()] = value
    return parsed
