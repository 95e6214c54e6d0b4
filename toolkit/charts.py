"""altair chart builders: a DataFrame (polars or pandas) in, a Chart out.

Shared look: a title, axis titles with units, report width (``WIDTH``), UTC time axes. Render
offline with ``save_png(chart, path)`` (vl-convert; no CDN); in Jupyter every builder's chart
displays offline by itself (``@offline_chart``: the vega libraries travel with the output). Builders here so far:

* ``metric_with_band`` -- a metric line with its anomaly band, expected value, flagged points,
  alarm-state strips and change markers (CloudWatch + CloudTrail on one time axis), bounded in
  size (``bounded``: min/max per time bin past ``MAX_POINTS``).

Forensic charts live in ``toolkit.forensic_charts``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.jupyter.offline import offline_chart

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


MAX_POINTS = 2000  # a chart embeds its data: past this, a series is drawn from min/max per bin


def bounded(points, max_points: int = MAX_POINTS):
    """At most ``max_points`` rows of a series: above that, each time bin keeps its minimum and
    maximum (spikes survive), the band's outer edges and the mean expected value."""
    import polars as pl

    data = _frame(points).sort("timestamp")
    if data.height <= max_points:
        return data
    span = (data["timestamp"].max() - data["timestamp"].min()).total_seconds()
    every = max(1, int(span // (max_points // 2)) + 1)
    extra = [c for c in ("lower", "upper", "expected") if c in data.columns]
    agg = {"lower": pl.col("lower").min(), "upper": pl.col("upper").max(), "expected": pl.col("expected").mean()}
    binned = data.group_by_dynamic("timestamp", every=f"{every}s").agg(
        pl.col("value").max().alias("high"), pl.col("value").min().alias("low"), *[agg[c] for c in extra])
    half = pl.duration(seconds=every // 2)
    return pl.concat([binned.select("timestamp", pl.col("high").alias("value"), *extra),
                      binned.select((pl.col("timestamp") + half).alias("timestamp"),
                                    pl.col("low").alias("value"), *extra)]).sort("timestamp")


def metric_with_band(points, *, title: str, unit: str = "", states=None, changes=None,
                     width: int = WIDTH, height: int = HEIGHT, max_points: int = MAX_POINTS) -> alt.Chart:
    """A metric series with its band, expected value, flags, alarm states and change markers.

    ``points``: timestamp, value and optionally lower, upper, expected, score, is_anomaly (an
    ``anomalies`` frame of one series fits). ``states``: alarm_states rows (timestamp, state,
    alarm_name). ``changes``: timestamp and label (e.g. CloudTrail event names from
    ``cur_resource_changes``). The embedded data stays under about ``max_points`` rows for the
    line and as many flags (the largest |score| first), whatever the series' length.
    """
    import altair as alt
    import polars as pl

    data = _frame(points)
    if data is None or data.is_empty():
        raise ValueError(f"no datapoints to chart for {title!r}")
    flags = data.filter(pl.col("is_anomaly")) if "is_anomaly" in data.columns else data.clear()
    if "score" in flags.columns:
        flags = flags.sort(pl.col("score").abs(), descending=True)
    flags = flags.head(max_points)
    data = bounded(data.select([c for c in ("timestamp", "value", "lower", "upper", "expected")
                                if c in data.columns]), max_points)
    y_title = f"value ({unit})" if unit else "value"
    x = _time_axis()
    layers = []
    if {"lower", "upper"} <= set(data.columns):
        layers.append(alt.Chart(data).mark_area(opacity=0.25, color="#4c78a8").encode(
            x=x, y=alt.Y("lower:Q", title=y_title), y2="upper:Q",
            tooltip=[alt.Tooltip("timestamp:T", format="%Y-%m-%d %H:%M"), "lower:Q", "upper:Q"]))
    if "expected" in data.columns:
        layers.append(alt.Chart(data).mark_line(color="#4c78a8", strokeDash=[4, 2], strokeWidth=1).encode(
            x=x, y=alt.Y("expected:Q", title=y_title)))
    layers.append(alt.Chart(data).mark_line(color="#1f3b73", strokeWidth=1.2).encode(
        x=x, y=alt.Y("value:Q", title=y_title)))
    if not flags.is_empty():
        tips = [alt.Tooltip("timestamp:T", format="%Y-%m-%d %H:%M"), "value:Q",
                *[f"{c}:Q" for c in ("expected", "score") if c in flags.columns]]
        layers.append(alt.Chart(flags.select([c for c in ("timestamp", "value", "expected", "score")
                                              if c in flags.columns])).mark_point(
            color="#d62728", filled=True, size=36).encode(x=x, y="value:Q", tooltip=tips))
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


# ---- report builders (cost bars, scan comparison, savings, findings) -------------------------

LABEL_LIMIT = 200  # pixels of a category label; longer ones end in "…" (bars keep WIDTH overall)
SEVERITY_COLORS = {"critical": "#7f0000", "high": "#d62728", "medium": "#ff7f0e",
                   "low": "#f2c94c", "informational": "#9e9e9e"}


@offline_chart
def cost_bars(frame, *, category: str, value: str = "monthly_usd", title: str,
              unit: str = "USD per month", color: str | None = None, top: int = 12,
              width: int = WIDTH) -> alt.Chart:
    """Horizontal bars of ``value`` per ``category``, largest first (top ``top``, zeros left out)."""
    import altair as alt
    import polars as pl

    data = _frame(frame).filter(pl.col(value) > 0).sort(value, descending=True).head(top)
    if data.is_empty():
        return empty_chart(title, "nothing to show for this window")
    data = data.with_columns(pl.col(category).cast(pl.String))
    encoding = {"x": alt.X(f"{value}:Q", title=unit),
                "y": alt.Y(f"{category}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
                "tooltip": [f"{category}:N", alt.Tooltip(f"{value}:Q", format=",.2f")]}
    if color:
        encoding["color"] = alt.Color(f"{color}:N", legend=alt.Legend(orient="bottom"))
    return alt.Chart(data).mark_bar().encode(**encoding).properties(
        width=width - LABEL_LIMIT, height=22 * data.height, title=title)


@offline_chart
def scan_comparison(frame, *, title: str = "Athena bytes scanned per question") -> alt.Chart:
    """Raw JSON vs curated Parquet megabytes per question, side by side."""
    import altair as alt
    import polars as pl

    data = _frame(frame)
    kinds = {"raw_json_bytes": "raw JSON (cloudtrail_raw)",
             "curated_columns_bytes": "lake Parquet (columns read)"}
    present = [c for c in kinds if c in data.columns and data[c].null_count() < data.height]
    long = (data.unpivot(index="question", on=present, variable_name="table", value_name="bytes")
            .with_columns((pl.col("bytes") / 1024**2).alias("megabytes"),
                          pl.col("table").replace(kinds)))
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("megabytes:Q", title="MB scanned per query"),
        y=alt.Y("question:N", title=None),
        yOffset=alt.YOffset("table:N"),
        color=alt.Color("table:N", legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["question:N", "table:N", alt.Tooltip("megabytes:Q", format=",.3f")],
    ).properties(width=WIDTH - 200, height=44 * data.height, title=title)


@offline_chart
def savings_bars(recommendations, *, title: str = "Recommendations by monthly savings") -> alt.Chart:
    """Ranked recommendations (rank, area, recommendation, monthly_savings_usd)."""
    import polars as pl

    data = _frame(recommendations).with_columns(
        (pl.col("rank").cast(pl.String) + ". " + pl.col("recommendation").str.slice(0, 70)).alias("action"))
    return cost_bars(data, category="action", value="monthly_savings_usd", color="area",
                     title=title, unit="USD saved per month")


@offline_chart
def empty_chart(title: str, message: str, width: int = WIDTH) -> alt.Chart:
    """A titled placeholder saying why there is no chart (keeps a report's layout readable)."""
    import altair as alt
    import polars as pl

    return alt.Chart(pl.DataFrame({"message": [message]})).mark_text(
        fontSize=13, color="#666666").encode(text="message:N").properties(
        width=width, height=60, title=title)


@offline_chart
def findings_by_severity(findings, *, title: str = "Findings by rule and severity",
                         top: int = 12) -> alt.Chart:
    """Bars of findings per rule, most severe rules first (not most frequent), top ``top``
    rules plus one "other rules" bar: a fixed maximum height whatever the count."""
    import altair as alt
    import polars as pl

    data = _frame(findings)
    if data is None or data.is_empty():
        return empty_chart(title, "no findings in this window")
    order = {s: i for i, s in enumerate(SEVERITY_COLORS)}
    counts = (data.group_by("rule_id", "severity").agg(pl.len().alias("findings"))
              .with_columns(pl.col("severity").replace_strict(order, default=len(order)).alias("rank"))
              .sort(["rank", "findings", "rule_id"], descending=[False, True, False]))
    if counts.height > top:
        rest = counts.slice(top)
        other = rest.group_by("severity", "rank").agg(pl.col("findings").sum()).with_columns(
            pl.lit(f"other rules ({rest['rule_id'].n_unique()})").alias("rule_id"))
        counts = pl.concat([counts.head(top), other.select(counts.columns)])
    rules = counts["rule_id"].unique(maintain_order=True).to_list()
    scale = alt.Scale(domain=list(SEVERITY_COLORS), range=list(SEVERITY_COLORS.values()))
    return alt.Chart(counts).mark_bar().encode(
        x=alt.X("findings:Q", title="findings (count)"),
        y=alt.Y("rule_id:N", sort=rules, title=None, axis=alt.Axis(labelLimit=220)),
        color=alt.Color("severity:N", scale=scale, legend=alt.Legend(orient="bottom")),
        tooltip=["rule_id:N", "severity:N", "findings:Q"],
    ).properties(width=WIDTH - 240, height=20 * len(rules), title=title)


@offline_chart
def daily_counts(frame, *, value: str, color: str, title: str, unit: str = "count") -> alt.Chart:
    """Stacked bars per day (``day``, a ``color`` column, ``value``); severity gets its palette."""
    import altair as alt
    import polars as pl

    data = _frame(frame)
    if data is None or data.is_empty():
        return empty_chart(title, "nothing to show for this window")
    data = data.with_columns(pl.col("day").cast(pl.String))
    scale = (alt.Scale(domain=list(SEVERITY_COLORS), range=list(SEVERITY_COLORS.values()))
             if color == "severity" else alt.Undefined)
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("day:O", title="day (UTC)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{value}:Q", title=unit),
        color=alt.Color(f"{color}:N", scale=scale, legend=alt.Legend(orient="bottom")),
        tooltip=["day:O", f"{color}:N", f"{value}:Q"],
    ).properties(width=WIDTH, height=HEIGHT, title=title)
