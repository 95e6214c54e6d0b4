"""Forensics fixtures: lakes built once per session (crafted, and from the sample account)."""

from __future__ import annotations

import pytest
from forensics_crafted import crafted_records, write_events, write_findings


@pytest.fixture(scope="session")
def crafted_lake(tmp_path_factory) -> str:
    """A lake with the crafted events and findings; returns its path."""
    lake = str(tmp_path_factory.mktemp("forensics") / "lake")
    records = crafted_records()
    write_events(lake, records)
    write_findings(lake, records)
    return lake
