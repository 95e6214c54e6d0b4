"""Files the package reads at run time: SQL (``sql/``), report notebooks, DAG files.

In the repository they live in top-level folders (``sql/``, ``notebooks/``, ``dags/``). A built
wheel carries copies inside the package, under ``toolkit/_data/<folder>`` (``setup.py`` copies
them at build time), found with ``importlib.resources``. A source checkout (editable install,
``PYTHONPATH``) has no ``_data`` and reads the repository's folders beside the package.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

FOLDERS = ("sql", "notebooks", "dags")


def folder(name: str) -> Path:
    """The folder ``name`` (``sql``, ``notebooks`` or ``dags``) of this installation."""
    if name not in FOLDERS:
        raise ValueError(f"unknown resource folder {name!r}; known: {', '.join(FOLDERS)}")
    package = files("toolkit")
    packaged = package / "_data" / name
    if packaged.is_dir():
        if not isinstance(packaged, Path):  # a zipped install: pip never makes one
            raise FileNotFoundError(f"trailwatch is installed as a zip ({packaged}); "
                                    "install it with pip into a normal site-packages")
        return packaged
    source = Path(str(package)).parent / name
    if source.is_dir():
        return source
    raise FileNotFoundError(f"{name}/ is missing from this trailwatch installation (looked in "
                            f"{packaged} and {source}); reinstall it: pip install trailwatch")
