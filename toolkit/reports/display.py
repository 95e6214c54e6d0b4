"""Display set-up for report notebooks: static chart images and readable tables.

Called once at the top of every report notebook. Charts render as PNG (vl-convert, offline)
so the exported HTML needs no JavaScript; polars tables show enough rows and full strings.
"""

from __future__ import annotations

import html
from typing import Any

PNG_SCALE = 1.5  # sharp on high-DPI screens, still small in the HTML


def setup() -> None:
    """Altair -> static PNG; polars frames -> plain HTML tables sized for a report page."""
    import altair as alt
    import polars as pl

    alt.renderers.enable("png", scale_factor=PNG_SCALE)
    alt.data_transformers.disable_max_rows()
    pl.Config.set_tbl_rows(MAX_ROWS)
    pl.Config.set_fmt_str_lengths(90)
    _register_table_formatter()


def parameters_table(**parameters: Any):
    """The run's parameters as a two-column frame (shown at the top of each report)."""
    import polars as pl

    return pl.DataFrame({"parameter": list(parameters),
                         "value": [str(v) for v in parameters.values()]})


def markdown(text: str):
    """A Markdown display object (for sentences built from computed figures)."""
    from IPython.display import Markdown

    return Markdown(text)


MAX_ROWS = 25


def _cell(value: Any) -> str:
    """One table cell as escaped text: thousands separators, floats to 4 significant places."""
    if value is None:
        return '<span style="color:#999">–</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return html.escape(", ".join(str(v) for v in value))
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    return html.escape(str(value))


LONG_TEXT = 80  # characters from which a text cell wraps instead of widening the table
SHORT_TEXT = 20  # characters up to which a text cell never wraps (times, ids, short words)
MAX_CELL = 200  # characters shown per cell; the full value is in the report's evidence export


def _cut(value: Any) -> Any:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) > MAX_CELL:
        return value[:MAX_CELL - 1] + "…"
    return value


def _td(value: Any) -> str:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    size = len(str(value))
    kind = "num" if numeric else ("txt long" if size > LONG_TEXT else "txt short" if size <= SHORT_TEXT else "txt")
    return f'<td class="{kind}">{_cell(value)}</td>'


def frame_html(frame, max_rows: int = MAX_ROWS) -> str:
    """A polars frame as a plain HTML table (no quotes around strings, no dtype row)."""
    # a header may break after an underscore (raw_json_bytes) rather than widen its column
    head = "".join(f"<th>{html.escape(c).replace('_', '_<wbr>')}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(_td(_cut(v)) for v in row) + "</tr>"
                   for row in frame.head(max_rows).iter_rows())
    more = (f'<p style="color:#666">… {frame.height - max_rows:,} more rows</p>'
            if frame.height > max_rows else "")
    if frame.height == 0:
        more = '<p style="color:#666">(no rows)</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}"


def _register_table_formatter() -> None:
    """Show every polars DataFrame through ``frame_html`` in this kernel."""
    import polars as pl
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(pl.DataFrame, frame_html)
