"""CLI fixtures: a small sample account ingested into a lake (two days), built by the toolkit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAYS = ("2025-03-03", "2025-03-04")  # ingested; 2025-03-05 is a day the lake does not hold
MISSING_DAY = "2025-03-05"


@pytest.fixture(scope="session")
def sample_lake(tmp_path_factory) -> dict[str, str]:
    """``trailwatch sample`` (2 days, 150 events/day) ingested into a lake; returns its paths."""
    from toolkit.cloudtrail import ingest_day
    from toolkit.sample import generate_account

    root = tmp_path_factory.mktemp("cli_sample")
    generate_account(root / "sample", start=DAYS[0], days=2, events_per_day=150)
    lake = root / "lake"
    for day in DAYS:
        ingest_day(str(root / "sample" / "raw"), str(lake), day, threads=1)
    return {"root": str(root), "raw": str(root / "sample" / "raw"), "lake": str(lake),
            "keys": str(root / "sample" / "public-keys.json")}


def run_cli(*args: str, env: dict[str, str] | None = None, stdin=None, cwd=None,
            timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """``python -m toolkit ARGS`` in a child process (this worktree's code first on the path)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-m", "toolkit", *args], capture_output=True, text=True,
                          env=full_env, stdin=stdin, cwd=cwd, timeout=timeout, **kwargs)


def one_line_error(stderr: str, verb: str) -> str:
    """The error line of a failed run; asserts it is one line and carries no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith(f"trailwatch {verb}")]
    assert len(lines) == 1, stderr
    return lines[0]
