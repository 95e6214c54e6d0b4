"""The metadata every SQL-bearing YAML file shares, and its one validator.

Curated models (``sql/models/<name>.yml``), named queries (``sql/queries/<name>.yml``) and
detection rules (``toolkit/detections/rules/<tactic>/<name>.yml``, SQL inside the YAML) describe
the same things with the same keys:

* ``name``         the file's stem: how the model, query or rule is called (rules: ``rule_id``)
* ``description``  what it is for, in prose (required, non-empty)
* ``params``       typed parameters ``{<param>: {type, description, default, list}}`` (queries
                   and the fragments they are filled with; ``toolkit.sql.params`` lists the types)

Each kind adds its own keys (a model's ``grain``/``keys``/``columns``/``checks``, a rule's
``title``/``severity``/``logic``/``tests``...), validated where that kind is loaded.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from toolkit.sql.params import PARAM_TYPES, Param

# Spellings older files used for a common key: still read, with a FutureWarning
# (FutureWarning, not DeprecationWarning: Python shows it to the users who wrote the file).
LEGACY_KEYS = {"id": "name"}


def current_keys(meta: dict) -> dict:
    """``meta`` with legacy key spellings renamed (silently; see ``with_current_keys``)."""
    renamed = dict(meta)
    for old, new in LEGACY_KEYS.items():
        if old in renamed and new not in renamed:
            renamed[new] = renamed.pop(old)
    return renamed


def with_current_keys(meta: dict, path: Path | str) -> dict:
    """``current_keys(meta)``, with a FutureWarning naming the file when it uses a legacy key."""
    for old, new in LEGACY_KEYS.items():
        if old in meta and new not in meta:
            warnings.warn(f"{path}: '{old}:' is deprecated, write '{new}: {meta[old]}' instead "
                          f"(the key models, queries and rules share); '{old}' still works for now",
                          FutureWarning, stacklevel=2)
    return current_keys(meta)


def problems(meta: Any, path: Path | str | None, *, require_name: bool = True) -> list[str]:
    """Every problem with the shared keys of one metadata mapping (empty list: fine).

    ``path`` None (a mapping not read from a file) skips the name = file name check.
    """
    if not isinstance(meta, dict):
        return ["expected a YAML mapping"]
    errors = [f"both '{old}' and '{new}' given; keep '{new}'"
              for old, new in LEGACY_KEYS.items() if old in meta and new in meta]
    meta = current_keys(meta)
    if "name" not in meta:
        if require_name:
            errors.append("missing required key 'name'")
    elif path is not None and meta["name"] != Path(path).stem:
        errors.append(f"name {meta['name']!r} must be the file name without .yml "
                      f"({Path(path).stem!r})")
    description = meta.get("description")
    if not isinstance(description, str) or not description.strip():
        errors.append("description must be a non-empty string")
    try:
        parse_params(meta.get("params") or {})
    except ValueError as exc:
        errors.append(str(exc))
    return errors


def check(meta: Any, path: Path | str, *, require_name: bool = True) -> dict:
    """``meta`` (legacy keys renamed) if its shared keys are valid, else one ValueError."""
    errors = problems(meta, path, require_name=require_name)
    if errors:
        raise ValueError(f"{path}: " + "; ".join(errors))
    return with_current_keys(meta, path)


def parse_params(specs: Any) -> dict[str, Param]:
    """``{name: {type, description, default, list}}`` as typed ``Param`` objects."""
    if not isinstance(specs, dict):
        raise ValueError("params must map parameter names to {type, description}")
    params = {}
    for name, spec in specs.items():
        if not isinstance(spec, dict) or spec.get("type") not in PARAM_TYPES:
            kind = spec.get("type") if isinstance(spec, dict) else spec
            raise ValueError(f"parameter {name} has unknown type {kind!r}; "
                             f"known: {', '.join(PARAM_TYPES)}")
        unknown = set(spec) - {"type", "description", "default", "list"}
        if unknown:
            raise ValueError(f"parameter {name}: unknown key(s) {sorted(unknown)}")
        params[name] = Param(name, spec["type"], spec.get("description", ""), spec.get("default"),
                             bool(spec.get("list", False)))
    return params
