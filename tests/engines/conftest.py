"""Engine test fixtures."""

from __future__ import annotations

import pytest
from engine_data import write_days


@pytest.fixture(scope="module")
def days_lake(tmp_path_factory) -> str:
    lake = str(tmp_path_factory.mktemp("days_lake"))
    write_days(lake)
    return lake
