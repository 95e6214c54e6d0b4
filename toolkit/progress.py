"""Progress for long steps: a bar on a terminal, log lines with rate and ETA everywhere else.

``progress(label)`` returns a ``(done, total)`` callback (bytes). On a terminal it draws a
``tqdm`` bar (tqdm ships with papermill, a core dependency). Off a terminal (Airflow task logs,
Jupyter, a pipe) it logs an INFO line on ``toolkit.progress`` at every tenth of the work or
every 30 seconds, whichever comes first, with the rate and the time left.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

log = logging.getLogger("toolkit.progress")
LOG_EVERY_S = 30.0
TENTHS = 10  # a line each time another tenth of the work is done


def progress(label: str, *, terminal: bool | None = None) -> Callable[[int, int], None]:
    """A ``(done_bytes, total_bytes)`` callback reporting ``label``'s progress."""
    terminal = sys.stderr.isatty() if terminal is None else terminal
    return _bar(label) if terminal else LogLines(label)


class LogLines:
    """Logs ``label: 12.3/45.0 MB (27%), 3.1 MB/s, about 11 s left`` now and then."""

    def __init__(self, label: str, clock: Callable[[], float] = time.monotonic):
        self.label, self.clock = label, clock
        self.started = clock()
        self.last_time, self.last_tenth = self.started, 0

    def __call__(self, done: int, total: int) -> None:
        now, fraction = self.clock(), (done / total if total else 1.0)
        finished, tenth = done >= total, int(fraction * TENTHS)
        if not finished and now - self.last_time < LOG_EVERY_S and tenth <= self.last_tenth:
            return
        self.last_time, self.last_tenth = now, tenth
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        left = (total - done) / rate if rate else 0.0
        log.info("%s: %.1f/%.1f MB (%.0f%%), %.1f MB/s, %s", self.label, done / 1e6, total / 1e6,
                 100 * fraction, rate / 1e6, "done" if finished else f"about {left:.0f} s left")


def _bar(label: str) -> Callable[[int, int], None]:
    from tqdm import tqdm

    bar = None

    def draw(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, unit="B", unit_scale=True, file=sys.stderr, leave=True)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return draw
