"""The report notebooks: report name -> input notebook, and the kernel they run on."""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.resources import folder

# Report name (the CLI's choice) -> notebook file in the notebooks directory.
REPORTS = {
    "cost": "cost_analysis.ipynb",
    "forensic": "forensic_investigation.ipynb",
    "digest": "security_digest.ipynb",
}

KERNEL_NAME = "trailwatch"


def notebooks_dir() -> Path:
    """Where the report notebooks are: ``TRAILWATCH_NOTEBOOKS`` or the packaged ``notebooks/``."""
    configured = os.environ.get("TRAILWATCH_NOTEBOOKS")
    return Path(configured) if configured else folder("notebooks")


def notebook_path(report: str) -> Path:
    """The input notebook of a report name (``cost``, ``forensic``, ``digest``) or a path."""
    if report in REPORTS:
        path = notebooks_dir() / REPORTS[report]
    elif report.endswith(".ipynb"):
        path = Path(report)
    else:
        raise ValueError(f"unknown report {report!r}; choose one of {', '.join(REPORTS)}")
    if not path.is_file():
        raise FileNotFoundError(f"report notebook {path} not found (set TRAILWATCH_NOTEBOOKS?)")
    return path
