"""CLI verbs of toolkit.integrity (registered by toolkit.cli)."""

from __future__ import annotations


def register(subparsers) -> None:
    """Add this area's verbs to the trailwatch parser (none yet)."""
