"""Chart builders: they take frames, return altair charts, and render offline to real PNGs."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from toolkit.charts import alarm_intervals, metric_with_band, save_png

T0 = dt.datetime(2025, 3, 4, tzinfo=dt.UTC)


def _points(n=48):
    return pl.DataFrame({
        "timestamp": [T0 + dt.timedelta(minutes=5 * i) for i in range(n)],
        "value": [10.0 + (30 if i == 20 else i % 3) for i in range(n)],
        "lower": [8.0] * n, "upper": [14.0] * n}).with_columns(
        ((pl.col("value") < pl.col("lower")) | (pl.col("value") > pl.col("upper"))).alias("is_anomaly"))


def test_metric_with_band_states_and_changes_renders_png(tmp_path):
    states = pl.DataFrame({"alarm_name": ["cpu", "cpu", "cpu"], "state": ["OK", "ALARM", "OK"],
                           "timestamp": [T0 + dt.timedelta(minutes=m) for m in (5, 105, 120)]})
    changes = pl.DataFrame({"timestamp": [T0 + dt.timedelta(minutes=95)], "label": ["ModifyInstanceAttribute"]})
    chart = metric_with_band(_points(), title="CPUUtilization i-1", unit="Percent", states=states, changes=changes)
    spec = json.loads(chart.to_json())
    text = json.dumps(spec)
    assert "value (Percent)" in text and "ModifyInstanceAttribute" in text and "alarm state" in text
    path = save_png(chart, tmp_path / "chart.png")
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_alarm_intervals_close_at_next_transition():
    states = pl.DataFrame({"alarm_name": ["a", "a"], "state": ["OK", "ALARM"],
                           "timestamp": [T0, T0 + dt.timedelta(hours=1)]})
    out = alarm_intervals(states, T0 + dt.timedelta(hours=2))
    assert [(r["state"], r["end"]) for r in out] == [("OK", T0 + dt.timedelta(hours=1)),
                                                    ("ALARM", T0 + dt.timedelta(hours=2))]


def test_empty_series_is_a_clear_error():
    with pytest.raises(ValueError, match="no datapoints"):
        metric_with_band(_points().clear(), title="empty")


def test_metric_chart_stays_bounded_and_keeps_spikes_and_flags():
    """Two weeks of 1-minute data (20,160 points) with one spike: the chart embeds at most
    ~MAX_POINTS line rows, the spike survives the binning, every flag is drawn."""
    from toolkit.charts import MAX_POINTS, bounded

    n = 14 * 1440
    frame = pl.DataFrame({"timestamp": [T0 + dt.timedelta(minutes=i) for i in range(n)],
                          "value": [50.0 if i == 7777 else 10.0 + i % 3 for i in range(n)],
                          "expected": [11.0] * n, "lower": [8.0] * n, "upper": [14.0] * n,
                          "score": [26.0 if i == 7777 else 0.0 for i in range(n)]}).with_columns(
        (pl.col("score") > 3).alias("is_anomaly"))
    small = bounded(frame)
    assert small.height <= MAX_POINTS + 2 and small["value"].max() == 50.0
    states = pl.DataFrame({"alarm_name": ["cpu", "cpu"], "state": ["OK", "ALARM"],
                           "timestamp": [T0, T0 + dt.timedelta(minutes=7778)]})
    spec = json.loads(metric_with_band(frame, title="CPU", unit="Percent", states=states).to_json())
    rows = sum(len(v) for v in spec["datasets"].values())
    assert rows < 2 * MAX_POINTS + 10
    assert any(r.get("score") == 26.0 for v in spec["datasets"].values() for r in v)
