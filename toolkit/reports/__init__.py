"""Reports: papermill-parameterized notebooks rendered to self-contained HTML.

The notebooks live in ``notebooks/`` (one per report); ``run_report`` executes one on the
project's ``trailwatch`` kernel and writes the executed ``.ipynb`` and an offline ``.html``
under new names per run. Importing this package does no I/O and imports nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.reports.notebooks import KERNEL_NAME, REPORTS, notebook_path, notebooks_dir

if TYPE_CHECKING:
    from toolkit.reports.runner import ReportRun

__all__ = ["KERNEL_NAME", "REPORTS", "notebook_parameters", "notebook_path", "notebooks_dir",
           "run_report"]


def notebook_parameters(report: str) -> dict[str, dict[str, Any]]:
    """The notebook's ``parameters`` cell as papermill inspects it, with a ``type`` per name."""
    from toolkit.reports.params import inspect_parameters

    return inspect_parameters(notebook_path(report))


def run_report(report: str, out: str, parameters: dict[str, Any], **options) -> ReportRun:
    """Execute a report notebook and write its ``.ipynb`` and ``.html``; see ``runner``."""
    from toolkit.reports.runner import run_report as _run

    return _run(report, out, parameters, **options)
