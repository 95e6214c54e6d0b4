"""altair chart builders: a DataFrame (polars or pandas) in, a Chart out.

Shared look: a title, axis titles with units, report width (``WIDTH``), UTC time axes. Render
offline with ``save_png(chart, path)`` (vl-convert; no CDN); in Jupyter every builder's chart
displays offline by itself (``@offline_chart``: the vega libraries travel with the output). Builders here so far:

* ``metric_with_band`` -- a metric line with its anomaly band, expected value, flagged points,
  alarm-state strips and change markers (CloudWatch + CloudTrail on one time axis), bounded in
  size (``bounded``: min/max per time bin past ``MAX_POINTS``).
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
                "y": alt.Y(f"{category}:N", sort="-x", title=None),
                "tooltip": [f"{category}:N", alt.Tooltip(f"{value}:Q", format=",.2f")]}
    if color:
        encoding["color"] = alt.Color(f"{color}:N", legend=alt.Legend(orient="bottom"))
    return alt.Chart(data).mark_bar().encode(**encoding).properties(
        width=width, height=22 * data.height, title=title)


@offline_chart
def scan_comparison(frame, *, title: str = "Athena bytes scanned per question") -> alt.Chart:
    """Raw JSON vs curated Parquet megabytes per question, side by side."""
    import altair as alt
    import polars as pl

    data = _frame(frame)
    kinds = {"raw_json_bytes": "raw JSON (cloudtrail_raw)",
             "curated_columns_bytes": "curated Parquet (events, columns read)"}
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
def findings_by_severity(findings, *, title: str = "Findings by rule and severity") -> alt.Chart:
    """Stacked bars: findings per rule, coloured by severity (a findings-table frame)."""
    import altair as alt
    import polars as pl

    data = _frame(findings)
    if data is None or data.is_empty():
        return empty_chart(title, "no findings in this window")
    counts = data.group_by("rule_id", "severity").agg(pl.len().alias("findings"))
    scale = alt.Scale(domain=list(SEVERITY_COLORS), range=list(SEVERITY_COLORS.values()))
    return alt.Chart(counts).mark_bar().encode(
        x=alt.X("findings:Q", title="findings (count)"),
        y=alt.Y("rule_id:N", sort="-x", title=None),
        color=alt.Color("severity:N", scale=scale, legend=alt.Legend(orient="bottom")),
        tooltip=["rule_id:N", "severity:N", "findings:Q"],
    ).properties(width=WIDTH - 200, height=18 * counts["rule_id"].n_unique(), title=title)


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


# ---- forensic builders (timeline, activity heatmap, identity chain) -------------------------

@offline_chart
def event_timeline(events, *, title: str = "Subject's events over time", width: int = WIDTH) -> alt.Chart:
    """One tick per event: time (UTC) against API call, red when the call failed.

    ``events``: an investigation timeline (event_time, event_source, event_name, error_code).
    """
    import altair as alt
    import polars as pl

    data = _frame(events)
    if data is None or data.is_empty():
        raise ValueError(f"no events to chart for {title!r}")
    data = data.select(
        "event_time", "event_name", "source_ip_address",
        pl.col("event_source").str.replace(r"\.amazonaws\.com$", "").alias("service"),
        pl.when(pl.col("error_code").is_null()).then(pl.lit("succeeded"))
        .otherwise(pl.col("error_code")).alias("outcome"))
    calls = data["event_name"].n_unique()
    return alt.Chart(data).mark_tick(thickness=2).encode(
        x=alt.X("event_time:T", title="time (UTC)", axis=alt.Axis(format="%b %d %H:%M", labelAngle=0)),
        y=alt.Y("event_name:N", title="API call", sort=alt.EncodingSortField("event_time", op="min")),
        color=alt.Color("outcome:N", legend=alt.Legend(orient="bottom", title="outcome")),
        tooltip=[alt.Tooltip("event_time:T", format="%Y-%m-%d %H:%M:%S"), "service:N", "event_name:N",
                 "outcome:N", "source_ip_address:N"],
    ).properties(width=width, height=max(120, 14 * calls), title=title)


@offline_chart
def activity_heatmap(events, *, title: str = "Activity by day and hour (UTC)",
                     width: int = WIDTH) -> alt.Chart:
    """Events per day and hour of day (UTC): when the subject was active."""
    import altair as alt
    import polars as pl

    data = _frame(events)
    if data is None or data.is_empty():
        raise ValueError(f"no events to chart for {title!r}")
    counts = (data.group_by(pl.col("event_time").dt.date().alias("day"),
                            pl.col("event_time").dt.hour().alias("hour"))
              .agg(pl.len().alias("events")).with_columns(pl.col("day").cast(pl.String)))
    return alt.Chart(counts).mark_rect().encode(
        x=alt.X("hour:O", title="hour of day (UTC)", scale=alt.Scale(domain=list(range(24)))),
        y=alt.Y("day:O", title="day"),
        color=alt.Color("events:Q", title="events", scale=alt.Scale(scheme="orangered")),
        tooltip=["day:O", "hour:O", "events:Q"],
    ).properties(width=width, height=max(60, 22 * counts["day"].n_unique()), title=title)


CHAIN_COLORS = {"access_key": "#1f77b4", "iam_user": "#2ca02c", "assumed_role_session": "#9467bd",
                "role": "#8c564b", "source_identity": "#e377c2", "root": "#d62728",
                "federated_user": "#17becf", "principal": "#7f7f7f"}


def chain_layout(nodes, edges):
    """Node positions (column = hop from the subject, row = order within it) and edge segments."""
    import polars as pl

    placed = (_frame(nodes).sort(["depth", "node_type", "node_id"])
              .with_columns(pl.int_range(pl.len()).over("depth").alias("row"),
                            pl.col("depth").alias("column")))
    pos = placed.select("node_id", "column", "row")
    segments = (_frame(edges).join(pos.rename({"node_id": "src"}), on="src")
                .join(pos.rename({"node_id": "dst", "column": "column2", "row": "row2"}), on="dst"))
    return placed, segments


@offline_chart
def identity_chain(nodes, edges, *, title: str = "Identity chain", width: int = WIDTH) -> alt.Chart:
    """The identity chain as a graph: columns are hops from the subject (ancestors left).

    ``nodes``/``edges``: an investigation's ``chain_nodes`` and ``chain_edges``.
    """
    import altair as alt
    import polars as pl

    placed, segments = chain_layout(nodes, edges)
    if placed.is_empty():
        raise ValueError(f"no identity chain to chart for {title!r}")
    placed = placed.with_columns(
        pl.col("node_id").str.replace(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:", "").alias("label"))
    x = alt.X("column:Q", title="hops from the subject", axis=alt.Axis(tickMinStep=1))
    y = alt.Y("row:Q", title=None, axis=None, scale=alt.Scale(reverse=True))
    lines = alt.Chart(segments).mark_rule(color="#9e9e9e").encode(
        x=x, y=y, x2="column2:Q", y2="row2:Q", tooltip=["relation:N", "event_name:N", "src:N", "dst:N"])
    points = alt.Chart(placed).mark_circle(size=140).encode(
        x=x, y=y, color=alt.Color("node_type:N", title="node",
                                  scale=alt.Scale(domain=list(CHAIN_COLORS), range=list(CHAIN_COLORS.values())),
                                  legend=alt.Legend(orient="bottom")),
        tooltip=["node_id:N", "node_type:N", "role_in_chain:N", "events:Q"])
    labels = alt.Chart(placed).mark_text(align="left", dx=9, fontSize=10).encode(x=x, y=y, text="label:N")
    rows = int(placed["row"].max()) + 1
    return alt.layer(lines, points, labels).properties(width=width, height=max(120, 30 * rows), title=title)
