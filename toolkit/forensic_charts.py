"""altair builders for the forensic report, bounded by design whatever the subject's volume.

Every chart has a fixed maximum size: categories are cut to the top ``TOP`` plus an "other"
bucket, time is binned (hour, or day for long windows), facets and rows have a fixed height,
and labels are truncated to a pixel limit so they never overlap. A subject with 100k events
and 300 temporary keys draws the same size of picture as one with 100 events.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from toolkit.charts import _frame, empty_chart
from toolkit.jupyter.offline import offline_chart

if TYPE_CHECKING:
    import altair as alt
    import polars as pl

WIDTH = 640              # plot width: with axis labels and legends the PNG stays <= 1400 px
TOP = 12                 # categories shown per chart (then "other")
ROW = 20                 # pixels per category row
MAX_HOURLY_DAYS = 14     # longer windows are binned by day
MAX_HEATMAP_ROWS = 45    # longer windows show weeks instead of days in the heatmap
OUTCOME_COLORS = {"succeeded": "#4c78a8", "denied": "#d62728", "failed": "#ff9f40"}
NODE_COLORS = {"access_key": "#1f77b4", "iam_user": "#2ca02c", "role": "#8c564b",
               "assumed_role_session": "#9467bd", "source_identity": "#e377c2", "root": "#7f0000",
               "federated_user": "#17becf", "principal": "#7f7f7f", "more": "#bdbdbd"}
MARK_COLORS = {"subject": "#000000", "created": "#d62728", "chained": "#ff7f0e"}


def top_other(frame: pl.DataFrame, column: str, weight: str, n: int = TOP,
              other: str = "other") -> pl.DataFrame:
    """``column`` kept for the ``n`` heaviest values, the rest renamed ``"<other> (k)"``."""
    import polars as pl

    totals = frame.group_by(column).agg(pl.col(weight).sum()).sort([weight, column], descending=[True, False])
    keep = totals.head(n)[column]
    rest = totals.height - keep.len()
    label = f"{other} ({rest:,})"
    return frame.with_columns(pl.when(pl.col(column).is_in(keep.implode())).then(pl.col(column))
                              .otherwise(pl.lit(label)).alias(column))


def _outcome() -> pl.Expr:
    import polars as pl

    return (pl.when(pl.col("error_code").is_null()).then(pl.lit("succeeded"))
            .when(pl.col("access_denied")).then(pl.lit("denied")).otherwise(pl.lit("failed"))
            .alias("outcome"))


def _bin(events: pl.DataFrame) -> tuple[str, str]:
    """Time bin for the window: ("1h", label) up to MAX_HOURLY_DAYS days, else ("1d", ...)."""
    span = events["event_time"].max() - events["event_time"].min()
    return ("1h", "hour") if span.days < MAX_HOURLY_DAYS else ("1d", "day")


@offline_chart
def activity_by_service(events, *, title: str, width: int = WIDTH) -> alt.Chart:
    """Calls per time bin stacked by outcome, above a service x time grid (top services).

    ``events``: a timeline (event_time, event_source, error_code, access_denied).
    """
    import altair as alt
    import polars as pl

    data = _frame(events)
    if data is None or data.is_empty():
        raise ValueError(f"no events to chart for {title!r}")
    every, unit = _bin(data)
    binned = (data.select(pl.col("event_time").dt.truncate(every).alias("bin"),
                          pl.col("event_source").str.replace(r"\.amazonaws\.com$", "").alias("service"),
                          _outcome()))
    per_outcome = binned.group_by("bin", "outcome").len("events")
    per_service = top_other(binned.group_by("bin", "service").agg(
        pl.len().alias("events"), (pl.col("outcome") == "denied").sum().alias("denied")),
        "service", "events", other="other services")
    per_service = (per_service.group_by("bin", "service").agg(pl.col("events", "denied").sum())
                   .with_columns(pl.col("bin").dt.offset_by(every).alias("bin_end")))
    x = alt.X("bin:T", title=f"time (UTC, per {unit})", axis=alt.Axis(format="%b %d %H:%M", labelAngle=0,
                                                                       labelOverlap=True))
    scale = alt.Scale(domain=list(OUTCOME_COLORS), range=list(OUTCOME_COLORS.values()))
    bars = alt.Chart(per_outcome).mark_bar().encode(
        x=x, y=alt.Y("events:Q", title=f"calls per {unit}"),
        color=alt.Color("outcome:N", scale=scale, legend=alt.Legend(orient="top", title=None)),
        tooltip=[alt.Tooltip("bin:T", format="%Y-%m-%d %H:%M"), "outcome:N", "events:Q"],
    ).properties(width=width, height=110)
    services = per_service["service"].n_unique()
    grid = alt.Chart(per_service).mark_rect().encode(
        x=x, x2="bin_end:T", y=alt.Y("service:N", title=None, sort="-color", axis=alt.Axis(labelLimit=140)),
        color=alt.Color("events:Q", scale=alt.Scale(type="log", scheme="blues"), title="calls"),
        stroke=alt.condition("datum.denied > 0", alt.value("#d62728"), alt.value(None)),
        tooltip=[alt.Tooltip("bin:T", format="%Y-%m-%d %H:%M"), "service:N", "events:Q", "denied:Q"],
    ).properties(width=width, height=ROW * services)
    return alt.vconcat(bars, grid, title=title).resolve_scale(x="shared", color="independent")


@offline_chart
def activity_heatmap(events, *, title: str = "Activity by day and hour (UTC)",
                     width: int = WIDTH) -> alt.Chart:
    """Calls per day (or week, for long windows) and hour of day: when the subject was active."""
    import altair as alt
    import polars as pl

    data = _frame(events)
    if data is None or data.is_empty():
        raise ValueError(f"no events to chart for {title!r}")
    days = data["event_time"].dt.date().n_unique()
    every, label = ("1w", "week of") if days > MAX_HEATMAP_ROWS else ("1d", "day")
    counts = (data.group_by(pl.col("event_time").dt.truncate(every).dt.date().cast(pl.String).alias("day"),
                            pl.col("event_time").dt.hour().alias("hour"))
              .agg(pl.len().alias("events")))
    rows = counts["day"].n_unique()
    return alt.Chart(counts).mark_rect().encode(
        x=alt.X("hour:O", title="hour of day (UTC)", scale=alt.Scale(domain=list(range(24))),
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("day:O", title=label, axis=alt.Axis(labelOverlap=True)),
        color=alt.Color("events:Q", title="calls", scale=alt.Scale(scheme="orangered")),
        tooltip=["day:O", "hour:O", "events:Q"],
    ).properties(width=width, height=min(max(60, 18 * rows), 18 * MAX_HEATMAP_ROWS // 2), title=title)


def _short(node_id: str) -> str:
    """An ARN without its partition/service/account prefix; other ids unchanged."""
    return re.sub(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:", "", node_id)


def layers(nodes: pl.DataFrame, edges: pl.DataFrame, max_columns: int) -> dict[str, int]:
    """Column per node: the longest path of edges leading to it (so every edge points right),
    capped at ``max_columns - 1`` (which also ends cycles)."""
    column = dict.fromkeys(nodes["node_id"], 0)
    pairs = [(a, b) for a, b in edges.select("src", "dst").iter_rows() if a in column and b in column]
    for _ in range(max_columns):
        changed = False
        for a, b in pairs:
            if column[b] < min(column[a] + 1, max_columns - 1):
                column[b], changed = column[a] + 1, True
        if not changed:
            break
    return column


def layered(nodes: pl.DataFrame, edges: pl.DataFrame, per_column: int = 7,
            max_columns: int = 5) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Place collapsed chain nodes in columns (``layers``) and rows; overflow -> "+N more".

    Each column keeps its ``per_column`` busiest nodes (subject/created/chained first).
    """
    import polars as pl

    column = layers(nodes, edges, max_columns)
    nodes = nodes.with_columns(pl.col("node_id").replace_strict(column, return_dtype=pl.Int64).alias("column"))
    priority = (pl.col("mark") != "").cast(pl.Int8)
    nodes = nodes.sort([priority, "events", "node_id"], descending=[True, True, False]).with_columns(
        pl.int_range(pl.len()).over("column").alias("row"))
    shown = nodes.filter(pl.col("row") < per_column)
    more = (nodes.filter(pl.col("row") >= per_column).group_by("column")
            .agg(pl.len().alias("n"), pl.col("events").sum())
            .select(pl.format("+{} more", "n").alias("node_id"), pl.lit("more").alias("node_type"),
                    "column", pl.lit(per_column).cast(pl.Int64).alias("row"), "events",
                    pl.lit("").alias("mark"), pl.format("{} events", "events").alias("detail")))
    placed = pl.concat([shown.select("node_id", "node_type", "column", pl.col("row").cast(pl.Int64),
                                     "events", "mark", "detail"), more.cast({"column": pl.Int64})],
                       how="vertical_relaxed")
    placed = placed.with_columns(pl.col("node_id").map_elements(_short, return_dtype=pl.String).alias("label"))
    pos = placed.select("node_id", "column", "row")
    segments = (edges.join(pos.rename({"node_id": "src"}), on="src")
                .join(pos.rename({"node_id": "dst", "column": "column2", "row": "row2"}), on="dst")
                .filter((pl.col("column") != pl.col("column2")) | (pl.col("row") != pl.col("row2"))))
    return placed, segments


@offline_chart
def identity_structure(nodes, edges, *, title: str = "Identity chain", width: int = WIDTH) -> alt.Chart:
    """The collapsed identity chain: principal -> keys -> roles (sessions folded) -> created.

    ``nodes``/``edges``: ``toolkit.forensics.structure.collapsed_chain`` output. Ring colour
    marks the subject (black), created identities (red) and chained roles (orange).
    """
    import altair as alt

    placed, segments = layered(_frame(nodes), _frame(edges))
    if placed.is_empty():
        raise ValueError(f"no identity chain to chart for {title!r}")
    columns = int(placed["column"].max()) + 1
    x = alt.X("column:Q", axis=None, scale=alt.Scale(domain=[-0.1, columns - 0.1]))
    y = alt.Y("row:Q", axis=None, scale=alt.Scale(reverse=True, domain=[-0.5, int(placed["row"].max()) + 0.5]))
    lines = alt.Chart(segments).mark_rule(color="#9e9e9e").encode(
        x=x, y=y, x2="column2:Q", y2="row2:Q", strokeWidth=alt.value(1.2),
        tooltip=["relation:N", "count:Q", "src:N", "dst:N"])
    points = alt.Chart(placed).mark_point(filled=True, size=220, strokeWidth=3).encode(
        x=x, y=y,
        fill=alt.Color("node_type:N", title="node", legend=alt.Legend(orient="bottom"),
                       scale=_present(NODE_COLORS, placed["node_type"])),
        stroke=alt.condition("datum.mark == ''", alt.value("#ffffff"), alt.Stroke(
            "mark:N", title="marked", legend=alt.Legend(orient="bottom"),
            scale=_present(MARK_COLORS, placed["mark"]))),
        tooltip=["node_id:N", "node_type:N", "detail:N", "mark:N"])
    limit = int(width / columns) - 14
    labels = alt.Chart(placed).mark_text(align="left", dx=12, dy=-6, fontSize=10.5, limit=limit).encode(
        x=x, y=y, text="label:N")
    details = alt.Chart(placed).mark_text(align="left", dx=12, dy=8, fontSize=9, color="#555555",
                                          limit=limit).encode(x=x, y=y, text="detail:N")
    rows = int(placed["row"].max()) + 1
    return alt.layer(lines, points, labels, details).properties(
        width=width, height=max(90, 46 * rows), title=title)


def _present(colors: dict[str, str], values: pl.Series) -> alt.Scale:
    """A colour scale limited to the values present (the legend lists only those)."""
    import altair as alt

    domain = [k for k in colors if k in set(values)] or list(colors)
    return alt.Scale(domain=domain, range=[colors[k] for k in domain])


@offline_chart
def blast_by_service(by_service, *, title: str = "Calls per service: succeeded vs denied",
                     width: int = WIDTH) -> alt.Chart:
    """Horizontal bars per service (top ``TOP`` + other): succeeded and denied calls."""
    import altair as alt
    import polars as pl

    data = _frame(by_service)
    if data is None or data.is_empty():
        return empty_chart(title, "the subject made no calls in the window")
    data = data.with_columns((pl.col("succeeded_events") + pl.col("denied_events")).alias("total"))
    data = top_other(data, "service", "total", other="other services").group_by("service").agg(
        pl.col("succeeded_events", "denied_events", "total").sum())
    long = data.unpivot(index=["service", "total"], on=["succeeded_events", "denied_events"],
                        variable_name="outcome", value_name="calls").with_columns(
        pl.col("outcome").str.replace("_events", ""))
    scale = alt.Scale(domain=["succeeded", "denied"], range=[OUTCOME_COLORS["succeeded"], OUTCOME_COLORS["denied"]])
    return alt.Chart(long).mark_bar().encode(
        x=alt.X("calls:Q", title="calls", scale=alt.Scale(type="symlog")),
        y=alt.Y("service:N", sort=alt.EncodingSortField("total", order="descending"), title=None,
                axis=alt.Axis(labelLimit=160)),
        color=alt.Color("outcome:N", scale=scale, legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["service:N", "outcome:N", "calls:Q"],
    ).properties(width=width - 200, height=ROW * data.height, title=title)
