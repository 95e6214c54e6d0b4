"""altair chart builders: a DataFrame (polars or pandas) in, a Chart out.

Shared look: a title, axis titles with units, report width (``WIDTH``), UTC time axes. Render
offline with ``save_png(chart, path)`` (vl-convert; no CDN). Builders here so far:

* ``metric_with_band`` -- a metric line with its anomaly band, anomalous points, alarm-state
  strips and change markers (CloudWatch + CloudTrail on one time axis).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import altair as alt

WIDTH = 760
HEIGHT = 260
STATE_COLORS = {"OK": "#2ca02c", "ALARM": "#d62728", "INSUFFICIENT_DATA": "#9e9e9e"}


def _frame(frame):
    """A polars DataFrame (altair reads polars natively through narwhals); None stays None."""
    import polars as pl

    if frame is None or isinstance(frame, pl.DataFrame):
        return frame
    return pl.DataFrame(frame)


def _time_axis(title: str = "time (UTC)"):
    import altair as alt

    return alt.X("timestamp:T", title=title, axis=alt.Axis(format="%b %d %H:%M", labelAngle=0))


def alarm_intervals(states, end) -> list[dict]:
    """Alarm transitions -> [start, end) state intervals (for the state strip)."""
    rows = _frame(states).sort("timestamp").to_dicts()
    return [{"start": r["timestamp"], "end": rows[i + 1]["timestamp"] if i + 1 < len(rows) else end,
             "state": r["state"], "alarm_name": r["alarm_name"]} for i, r in enumerate(rows)]


def metric_with_band(points, *, title: str, unit: str = "", states=None, changes=None,
                     width: int = WIDTH, height: int = HEIGHT) -> alt.Chart:
    """A metric series with its band, anomalies, alarm states and change markers.

    ``points``: timestamp, value and optionally lower, upper, is_anomaly (an ``anomalies``
    frame fits). ``states``: alarm_states rows (timestamp, state, alarm_name). ``changes``:
    timestamp and label (e.g. CloudTrail event names from ``cur_resource_changes``).
    """
    import altair as alt
    import polars as pl

    data = _frame(points)
    if data is None or data.is_empty():
        raise ValueError(f"no datapoints to chart for {title!r}")
    y_title = f"value ({unit})" if unit else "value"
    x = _time_axis()
    layers = []
    if {"lower", "upper"} <= set(data.columns):
        layers.append(alt.Chart(data).mark_area(opacity=0.25, color="#4c78a8").encode(
            x=x, y=alt.Y("lower:Q", title=y_title), y2="upper:Q",
            tooltip=[alt.Tooltip("timestamp:T", format="%Y-%m-%d %H:%M"), "lower:Q", "upper:Q"]))
    layers.append(alt.Chart(data).mark_line(color="#1f3b73", strokeWidth=1.2).encode(
        x=x, y=alt.Y("value:Q", title=y_title)))
    if "is_anomaly" in data.columns and data["is_anomaly"].any():
        layers.append(alt.Chart(data.filter(pl.col("is_anomaly"))).mark_point(
            color="#d62728", filled=True, size=36).encode(
            x=x, y="value:Q", tooltip=[alt.Tooltip("timestamp:T", format="%Y-%m-%d %H:%M"), "value:Q"]))
    changes = _frame(changes)
    if changes is not None and not changes.is_empty():
        layers += change_markers(changes)
    main = alt.layer(*layers).properties(width=width, height=height, title=title)
    states = _frame(states)
    if states is None or states.is_empty():
        return main
    strip = pl.DataFrame(alarm_intervals(states, data["timestamp"].max()))
    legend = alt.Legend(title="alarm state", orient="bottom")
    band = alt.Chart(strip).mark_rect().encode(
        x=alt.X("start:T", title=None, axis=alt.Axis(format="%b %d %H:%M", labelAngle=0)), x2="end:T",
        y=alt.Y("alarm_name:N", title=None),
        color=alt.Color("state:N", scale=alt.Scale(domain=list(STATE_COLORS), range=list(STATE_COLORS.values())),
                        legend=legend),
        tooltip=["alarm_name:N", "state:N", alt.Tooltip("start:T", format="%Y-%m-%d %H:%M")])
    rows = strip["alarm_name"].n_unique()
    return alt.vconcat(main, band.properties(width=width, height=18 * rows)).resolve_scale(x="shared")


def change_markers(changes) -> list:
    """Vertical rules with labels at change times (``timestamp``, ``label``)."""
    import altair as alt

    data = _frame(changes)
    rule = alt.Chart(data).mark_rule(color="#ff7f0e", strokeDash=[4, 3], strokeWidth=1.5).encode(
        x="timestamp:T", tooltip=[alt.Tooltip("timestamp:T", format="%Y-%m-%d %H:%M"), "label:N"])
    text = alt.Chart(data).mark_text(align="left", dx=3, dy=-4, color="#ff7f0e", fontSize=10).encode(
        x="timestamp:T", y=alt.value(8), text="label:N")
    return [rule, text]


def save_png(chart: alt.Chart, path, scale: float = 1.5) -> str:
    """Render a chart to PNG offline (vl-convert)."""
    import vl_convert as vlc

    png = vlc.vegalite_to_png(chart.to_json(), scale=scale)
    with open(path, "wb") as fh:
        fh.write(png)
    return str(path)
