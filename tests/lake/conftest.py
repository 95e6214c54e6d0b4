"""Lake (Iceberg) test fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture
def snitch_raw(real_cloudtrail_dir):
    """Real public deliveries: 21 events on 2025-03-06."""
    return str(real_cloudtrail_dir / "cloud-snitch")
