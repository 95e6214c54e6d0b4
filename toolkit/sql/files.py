"""Where the ``sql/`` folder is, and the sidecar metadata every SQL file shares.

A ``<name>.sql`` file's metadata lives beside it in ``<name>.yml`` (a model's contract, a named
query's description and typed parameters): one format for every kind of SQL file.
"""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.resources import folder


def sql_dir() -> Path:
    """The ``sql/`` folder shipped with the package (``TRAILWATCH_SQL_DIR`` overrides it)."""
    override = os.environ.get("TRAILWATCH_SQL_DIR")
    if not override:
        return folder("sql")
    path = Path(override)
    if not path.is_dir():
        raise FileNotFoundError(f"TRAILWATCH_SQL_DIR={path} is not a folder")
    return path


def read_sidecar(path: Path) -> dict:
    """The YAML metadata beside a SQL file (``x.sql`` -> ``x.yml``); a mapping, or an error."""
    sidecar = path.with_suffix(".yml")
    if not sidecar.is_file():
        raise ValueError(f"{path}: metadata file {sidecar.name} is missing beside it")
    return read_yaml(sidecar)


def read_yaml(path: Path) -> dict:
    """A YAML file that must hold a mapping (empty file: empty mapping)."""
    import yaml  # only when a file is read: importing toolkit.sql stays light

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it: ~10x faster
    meta = yaml.load(path.read_text(), Loader=loader) or {}  # noqa: S506 - a safe loader
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: expected a YAML mapping")
    return meta
