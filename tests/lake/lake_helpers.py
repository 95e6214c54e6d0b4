"""Lake (Iceberg) test helpers: forced interleavings of concurrent writers, sample events."""

from __future__ import annotations

import threading

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


def day_events(day: str, n: int, tag: str = "e"):
    """``n`` realistic minimal CloudTrail events on ``day`` through the ingest's flattening."""
    from toolkit.cloudtrail import events_from_records

    records = [{
        "eventVersion": "1.09", "eventTime": f"{day}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
        "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2",
        "eventID": f"{tag}-{day}-{i:06d}", "eventType": "AwsApiCall", "readOnly": True,
        "recipientAccountId": "123456789012",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice",
                         "accountId": "123456789012", "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                         "principalId": "AIDAEXAMPLE", "userName": "alice"},
    } for i in range(n)]
    return events_from_records(records)
