"""Display set-up for report notebooks: static chart images and readable tables.

Called once at the top of every report notebook. Charts render as PNG (vl-convert, offline)
so the exported HTML needs no JavaScript; polars tables show enough rows and full strings.
"""

from __future__ import annotations

from typing import Any

PNG_SCALE = 1.5  # sharp on high-DPI screens, still small in the HTML


def setup() -> None:
    """Altair -> static PNG; polars tables sized for a report page."""
    import altair as alt
    import polars as pl

    alt.renderers.enable("png", scale_factor=PNG_SCALE)
    alt.data_transformers.disable_max_rows()
    pl.Config.set_tbl_rows(25)
    pl.Config.set_fmt_str_lengths(90)
    pl.Config.set_tbl_hide_dataframe_shape(True)


def parameters_table(**parameters: Any):
    """The run's parameters as a two-column frame (shown at the top of each report)."""
    import polars as pl

    return pl.DataFrame({"parameter": list(parameters),
                         "value": [str(v) for v in parameters.values()]})


def markdown(text: str):
    """A Markdown display object (for sentences built from computed figures)."""
    from IPython.display import Markdown

    return Markdown(text)
