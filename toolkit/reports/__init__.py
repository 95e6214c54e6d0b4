"""Reports: papermill-parameterized notebooks rendered to self-contained HTML.

The notebooks live in ``notebooks/`` (one per report); ``run_report`` executes one on the
project's ``trailwatch`` kernel and writes the executed ``.ipynb`` and an offline ``.html``
under new names per run. Importing this package does no I/O and imports nothing heavy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.reports.runner import ReportRun

# Report name (the CLI's choice) -> notebook file in the notebooks directory.
REPORTS = {
    "cost": "cost_analysis.ipynb",
    "forensic": "forensic_investigation.ipynb",
    "digest": "security_digest.ipynb",
}

KERNEL_NAME = "trailwatch"


def notebooks_dir() -> Path:
    """Where the report notebooks are: ``TRAILWATCH_NOTEBOOKS`` or the packaged ``notebooks/``."""
    from toolkit.resources import folder

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


def notebook_parameters(report: str) -> dict[str, dict[str, Any]]:
    """The notebook's ``parameters`` cell as papermill inspects it, with a ``type`` per name."""
    from toolkit.reports.params import inspect_parameters

    return inspect_parameters(notebook_path(report))


def run_report(report: str, out: str, parameters: dict[str, Any], **options) -> ReportRun:
    """Execute a report notebook and write its ``.ipynb`` and ``.html``; see ``runner``."""
    from toolkit.reports.runner import run_report as _run

    return _run(report, out, parameters, **options)
