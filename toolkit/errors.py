"""Errors the CLI turns into one-line messages and documented exit codes.

Library code raises these; ``toolkit.cli`` maps each class to its exit code. The Python API lets
them propagate (or returns empty frames with a logged warning where the docstring says so).
"""

from __future__ import annotations

# Exit codes (documented in the README): 0 ok, 1 unexpected failure, 2 bad input or location,
# 3 the answer is empty because data is missing (rerun with --allow-empty to accept it) -- the
#   Athena scan guard's refusal (--allow-scan) shares it: both are "refused without an override",
# 4 a conflicting concurrent write (retry), 5 verification found tampering or gaps.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_EMPTY = 3
EXIT_CONFLICT = 4
EXIT_INTEGRITY = 5


class TrailwatchError(Exception):
    """Base class: a failure with a message fit for one line on stderr."""

    exit_code = EXIT_FAILURE


class UsageError(TrailwatchError, ValueError):
    """Bad argument, path or value; the message names it and the fix."""

    exit_code = EXIT_USAGE


class NotALakeError(UsageError):
    """A lake URL that is not a trailwatch lake (mistyped path, never ingested)."""


class MissingDataError(TrailwatchError):
    """A read over tables/days that hold no data. ``missing`` maps table -> missing days."""

    exit_code = EXIT_EMPTY

    def __init__(self, message: str, missing: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.missing = missing or {}


class CommitConflictError(TrailwatchError):
    """Another writer committed the same partition first and a retry did not resolve it."""

    exit_code = EXIT_CONFLICT
