"""Lake (Iceberg) test helpers: forced interleavings of concurrent writers, sample events."""

from __future__ import annotations

import threading

from tests.event_rows import day_events  # noqa: F401 - the lake tests import it from here
from toolkit.lake import iceberg

DAY = "2025-03-06"
WAIT = 60  # seconds a forced ordering may wait for the other writer before the test fails


class Interleaving:
    """Forces the order in which two writer threads (named A and B) commit one table.

    ``both``: each waits at "planned" (files written, commit not sent) until the other has
    planned too, so both commits are built on the same snapshot and the second must conflict.
    ``first`` commits, then ``second``. ``both=False``: only the second waits for the first's
    commit (it planned on the old snapshot before the first committed). Only the first
    attempt of each thread waits; a retry after a conflict runs freely.
    """

    def __init__(self, table: str, first: str, both: bool):
        self.table, self.first, self.both = table, first, both
        self.second = "B" if first == "A" else "A"
        self.planned = {n: threading.Event() for n in "AB"}
        self.committed = {n: threading.Event() for n in "AB"}
        self.attempts = {"A": 0, "B": 0}

    def __call__(self, stage: str, table: str, label: str) -> None:
        me = threading.current_thread().name
        if table != self.table or me not in self.attempts:
            return
        if stage == "committed":
            self.committed[me].set()
            return
        self.attempts[me] += 1
        if self.attempts[me] > 1:
            return
        self.planned[me].set()
        if self.both:
            assert self.planned["B" if me == "A" else "A"].wait(WAIT), "the other writer never planned"
        if me == self.second:
            assert self.committed[self.first].wait(WAIT), "the first writer never committed"


def run_pair(work, interleaving: Interleaving) -> list:
    """Run ``work()`` in threads A and B under ``interleaving``; their results (errors raised)."""
    results, errors = {}, []

    def target(name):
        try:
            results[name] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)
            interleaving.planned[name].set()
            interleaving.committed[name].set()

    iceberg.HOOKS.append(interleaving)
    try:
        threads = [threading.Thread(target=target, args=(n,), name=n) for n in "AB"]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT * 2)
    finally:
        iceberg.HOOKS.remove(interleaving)
    if errors:
        raise errors[0]
    return [results["A"], results["B"]]


ORDERINGS = [("A", True), ("B", True), ("A", False), ("B", False)]
