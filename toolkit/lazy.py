"""Package-level names resolved on first use (PEP 562), so ``import toolkit.<package>`` stays
free of I/O and heavy imports while ``from toolkit.<package> import name`` still works."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__``: ``exports`` maps each public name to the module defining it."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
