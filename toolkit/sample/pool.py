"""Run the sample's work units on the machine's cores (or in-process for small samples).

Results come back in submission order, so whatever uses them (digest chains, counts) sees the
same sequence whichever worker ran which unit. Workers are forked when the caller runs a
single thread (fast, and works from any script); a caller with threads (Airflow, an in-process
moto server) gets ``spawn`` workers instead, since forking a threaded process can deadlock.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

PARALLEL_MIN_EVENTS = 25_000  # below this, starting processes costs more than it saves

_context = None  # the Context of this worker process (set by _init)


def default_workers(events: int, units: int) -> int:
    """Worker processes for a sample of ``events`` events split in ``units`` units."""
    if events < PARALLEL_MIN_EVENTS:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), units))


@contextlib.contextmanager
def results(units: list, ctx, workers: int) -> Iterator[Iterator[dict]]:
    """Yield an iterator of ``unit.run(ctx)`` results, in order; work starts on entry."""
    if workers <= 1:
        yield (unit.run(ctx) for unit in units)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if threading.active_count() == 1 and os.name == "posix" else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                               initializer=_init, initargs=(ctx,))
    try:
        yield pool.map(_run, units)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _init(ctx) -> None:
    global _context
    _context = ctx


def _run(unit) -> dict:
    return unit.run(_context)
