"""Fixtures for report tests (helpers live in reports_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from reports_helpers import write_notebook


@pytest.fixture
def tiny_notebook(tmp_path) -> Path:
    return write_notebook(
        tmp_path / "tiny.ipynb",
        'lake: str = "./lake"  # lake URL\nn: int = 3  # bars to draw\nscale: float = 1.0  # y scale\n'
        'loud: bool = False  # print a line',
        "from toolkit.reports import display\ndisplay.setup()",
        "import altair as alt\nimport polars as pl\n"
        "frame = pl.DataFrame({'x': list(range(n)), 'y': [i * scale for i in range(n)]})\n"
        "alt.Chart(frame).mark_bar().encode(x='x:O', y='y:Q')",
        "print('bars', n, type(n).__name__, type(scale).__name__, loud)",
    )
