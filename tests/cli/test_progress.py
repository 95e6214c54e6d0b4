"""Progress off a terminal is log lines with rate and time left (Airflow logs, Jupyter, pipes)."""

from __future__ import annotations

import logging

from tests.cli.conftest import DAYS, run_cli
from toolkit.progress import LogLines, progress


def test_log_lines_every_tenth_with_rate_and_eta(caplog):
    now = [0.0]
    lines = LogLines("ingest 2025-03-03", clock=lambda: now[0])
    total = 100_000_000
    with caplog.at_level(logging.INFO, logger="toolkit.progress"):
        for step in range(1, 41):  # 2.5 MB per second for 40 s
            now[0] = float(step)
            lines(step * 2_500_000, total)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 10  # at every 10 % (the 30 s rule never fires first here)
    assert messages[0] == "ingest 2025-03-03: 10.0/100.0 MB (10%), 2.5 MB/s, about 36 s left"
    assert messages[-1] == "ingest 2025-03-03: 100.0/100.0 MB (100%), 2.5 MB/s, done"


def test_slow_progress_still_logs_every_30_seconds(caplog):
    now = [0.0]
    lines = LogLines("day", clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="toolkit.progress"):
        for second in range(1, 91):
            now[0] = float(second)
            lines(second, 1000)  # under 10 % after 90 s
    assert len(caplog.records) == 3


def test_terminal_gets_a_bar_and_a_pipe_gets_log_lines():
    assert isinstance(progress("x", terminal=False), LogLines)
    assert not isinstance(progress("x", terminal=True), LogLines)


def test_ingest_logs_progress_when_stderr_is_not_a_terminal(sample_lake, tmp_path):
    done = run_cli("ingest", "--raw", sample_lake["raw"], "--lake", str(tmp_path / "lake"),
                   "--date", DAYS[0])
    assert done.returncode == 0, done.stderr
    assert f"INFO toolkit.progress: ingest {DAYS[0]}: " in done.stderr and "MB/s, done" in done.stderr
