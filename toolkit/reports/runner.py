"""Run a report notebook with papermill on the project's kernel and write its outputs.

Each run gets a new id (UTC time + random suffix); the executed notebook and its HTML are
written as ``<out>/<notebook>-<run_id>.ipynb|.html`` (staged locally, then moved/uploaded, so
a reader never sees half a report). The input notebook is never modified. A failing cell
raises ``ReportCellError`` carrying the cell's error; the executed notebook is still kept
(``...-<run_id>.failed.ipynb``) for debugging.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.jupyter.kernel import report_kernel
from toolkit.lake import filesystem, join, normalize, snapshot_ids
from toolkit.reports.html import notebook_to_html
from toolkit.reports.notebooks import KERNEL_NAME, notebook_path
from toolkit.reports.params import check_parameters, inspect_parameters

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class ReportRun:
    report: str
    run_id: str
    notebook: str
    html: str
    parameters: dict[str, Any]


class ReportCellError(RuntimeError):
    """A notebook cell raised: which cell, the exception, and the traceback text."""

    def __init__(self, notebook: str, cell: int, ename: str, evalue: str, traceback: str):
        super().__init__(f"{notebook}: cell {cell} failed: {ename}: {evalue}")
        self.cell, self.ename, self.evalue, self.traceback = cell, ename, evalue, traceback


def new_run_id(now: dt.datetime | None = None) -> str:
    """``YYYYMMDDTHHMMSSZ-xxxxxx``: sortable by time, unique across concurrent runs."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _cell_error(notebook: str, exc: Exception) -> ReportCellError:
    """papermill's execution error as a ReportCellError (ANSI colours stripped)."""
    traceback = _ANSI.sub("", "\n".join(getattr(exc, "traceback", []) or []))
    return ReportCellError(notebook, getattr(exc, "exec_count", None) or 0,
                           getattr(exc, "ename", type(exc).__name__),
                           getattr(exc, "evalue", str(exc)), traceback)


def _publish(local: Path, out: str, name: str) -> str:
    """Move a staged file into ``out`` (local dir or S3 prefix) and return its URL."""
    target = join(out, name)
    if out.startswith("s3://"):
        filesystem(out).put(str(local), target)
    else:  # copied next to the target, then renamed: never a partial file under its name
        os.makedirs(out, exist_ok=True)
        aside = f"{target}.partial-{secrets.token_hex(4)}"
        shutil.move(str(local), aside)
        os.replace(aside, target)
    return target


def _lake_snapshots(lake: str | None) -> dict[str, int]:
    """Iceberg snapshot id of each lake table holding data (``query --as-of`` replays them)."""
    if not lake:
        return {}

    return {t: s for t, s in snapshot_ids(str(lake)).items() if s is not None}


def _stamp_snapshots(notebook: Path, snapshots: dict[str, int]) -> None:
    """Record the snapshots read in the executed notebook's metadata (``trailwatch.snapshots``)."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    data.setdefault("metadata", {}).setdefault("trailwatch", {})["snapshots"] = snapshots
    notebook.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def run_report(report: str, out: str, parameters: dict[str, Any], *, run_id: str | None = None,
               kernel_name: str = KERNEL_NAME, cwd: str | None = None,
               timeout: int | None = 1800) -> ReportRun:
    """Check ``parameters`` against the notebook, execute it, write ``.ipynb`` and ``.html``."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source = notebook_path(report)
    typed = check_parameters(inspect_parameters(source), parameters)
    kernel = report_kernel(kernel_name)  # this interpreter when no 'trailwatch' kernel exists
    run_id = run_id or new_run_id()
    out, stem = normalize(out), f"{source.stem}-{run_id}"
    snapshots = _lake_snapshots(typed.get("lake"))  # what data the report reads, before it runs
    with tempfile.TemporaryDirectory(prefix="trailwatch-report-") as staging:
        executed = Path(staging) / f"{stem}.ipynb"
        try:
            papermill.execute_notebook(
                str(source), str(executed), parameters=typed, **kernel,
                cwd=cwd or os.getcwd(), progress_bar=False, log_output=False,
                execution_timeout=timeout, report_mode=False)
        except PapermillExecutionError as exc:
            kept = _publish(executed, out, f"{stem}.failed.ipynb") if executed.exists() else "?"
            error = _cell_error(str(source), exc)
            error.add_note(f"executed notebook kept at {kept}")
            raise error from None
        _stamp_snapshots(executed, snapshots)
        html = Path(staging) / f"{stem}.html"
        html.write_text(notebook_to_html(executed), encoding="utf-8")
        return ReportRun(report, run_id, _publish(executed, out, executed.name),
                         _publish(html, out, html.name), typed)
