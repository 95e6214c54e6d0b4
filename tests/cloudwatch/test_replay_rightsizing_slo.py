"""Alarm replay over a lake, rightsizing and SLOs on small constructed metric frames."""

from __future__ import annotations

import datetime as dt
import textwrap

import polars as pl
import pytest

from toolkit.cloudwatch.alarms import Alarm, load_alarms, replay_series
from toolkit.cloudwatch.replay import replay_alarms
from toolkit.cloudwatch.rightsizing import one_size_down, rightsizing
from toolkit.cloudwatch.schema import METRICS_SCHEMA
from toolkit.cloudwatch.slo import slo_report
from toolkit.lake import Lake

T0 = dt.datetime(2025, 3, 4, tzinfo=dt.UTC)
FIVE = dt.timedelta(minutes=5)


def rows(metric, values, *, ns="AWS/EC2", dims=None, stat="Average", start=T0, step=FIVE, period=300):
    dims = dims or {"InstanceId": "i-1"}
    import json

    rid = next(iter(dims.values()))
    return pl.DataFrame({
        "timestamp": [start + step * i for i in range(len(values))], "account_id": "1",
        "region": "us-east-1", "namespace": ns, "metric_name": metric,
        "dimensions": json.dumps(dims, sort_keys=True, separators=(",", ":")), "resource_id": rid,
        "stat": stat, "period_s": period, "value": [float(v) for v in values], "unit": None},
        schema=pl.from_arrow(METRICS_SCHEMA.empty_table()).schema)


def test_replay_series_transitions_with_time_and_reason():
    alarm = Alarm(name="cpu", namespace="AWS/EC2", metric_name="CPUUtilization",
                  comparison="GreaterThanThreshold", threshold=80, evaluation_periods=3,
                  datapoints_to_alarm=3)
    values = [10, 10, 10, 90, 90, 90, 10]
    points = [(T0 + FIVE * i, v, None, None) for i, v in enumerate(values)]
    out, end = replay_series(alarm, points, T0, T0 + FIVE * 8)
    assert (end.state, end.since) == ("OK", T0 + FIVE * 7)
    assert [(r["timestamp"], r["state"]) for r in out] == [
        (T0 + FIVE, "OK"), (T0 + FIVE * 6, "ALARM"), (T0 + FIVE * 7, "OK")]  # one real 0 settles OK
    assert ("3 out of the last 3 datapoints [90.0 (04/03/25 00:25:00), 90.0 (04/03/25 00:20:00), "
            "90.0 (04/03/25 00:15:00)] were greater than the threshold (80.0)") in out[1]["reason"]


def test_replay_alarms_writes_state_timeline_per_day(tmp_path):
    lake = Lake.at(str(tmp_path / "lake"))
    cpu = rows("CPUUtilization", [10] * 100 + [95] * 10 + [10] * 178, dims={"InstanceId": "i-1"})
    cpu2 = rows("CPUUtilization", [5] * 288, dims={"InstanceId": "i-2"})
    lake.write_parquet("metrics", T0.date(), pl.concat([cpu, cpu2]).to_arrow().cast(METRICS_SCHEMA))
    alarms = tmp_path / "alarms.yml"
    alarms.write_text(textwrap.dedent("""
        alarms:
          - {name: hot, namespace: AWS/EC2, metric_name: CPUUtilization, dimensions: {InstanceId: "*"},
             comparison: GreaterThanThreshold, threshold: 80, evaluation_periods: 3, datapoints_to_alarm: 2}
    """))
    states = replay_alarms(str(lake.root), T0.date(), T0.date(), alarms)
    fired = states.filter(pl.col("state") == "ALARM")
    assert fired["alarm_name"].to_list() == ["hot/i-1"]
    assert fired["timestamp"][0] == T0 + FIVE * 102  # 2 of 3 breaching after the 2nd hot period
    written = pl.read_parquet(lake.files("alarm_states", T0.date()))
    assert written.height == states.height
    again = replay_alarms(str(lake.root), T0.date(), T0.date(), alarms)
    assert again.equals(states)
    assert pl.read_parquet(lake.files("alarm_states", T0.date())).height == states.height


def test_band_alarm_uses_the_seasonal_baseline(tmp_path):
    lake = Lake.at(str(tmp_path / "lake"))
    day = [20 + (i % 4) for i in range(288)]
    for d in range(3):
        start = T0 + dt.timedelta(days=d)
        values = day if d < 2 else day[:200] + [90] * 6 + day[206:]
        lake.write_parquet("metrics", start.date(), rows("CPUUtilization", values, start=start)
                           .to_arrow().cast(METRICS_SCHEMA))
    alarms = tmp_path / "band.yml"
    alarms.write_text("alarms:\n  - {name: band, namespace: AWS/EC2, metric_name: CPUUtilization,"
                      " dimensions: {InstanceId: i-1}, comparison: LessThanLowerOrGreaterThanUpperThreshold,"
                      " band_width: 3, evaluation_periods: 2}\n")
    day3 = (T0 + dt.timedelta(days=2)).date()
    states = replay_alarms(str(lake.root), day3, day3, alarms, history_days=2)
    assert states.filter(pl.col("state") == "ALARM")["timestamp"].to_list() == [
        dt.datetime.combine(day3, dt.time(), tzinfo=dt.UTC) + FIVE * 202]


def test_alarm_definitions_are_validated(tmp_path):
    assert {a.name for a in load_alarms()} >= {"ec2-cpu-high", "ec2-cpu-anomaly"}
    with pytest.raises(ValueError, match="needs a threshold"):
        Alarm(name="x", namespace="n", metric_name="m", comparison="GreaterThanThreshold")
    with pytest.raises(ValueError, match="treat_missing_data"):
        Alarm(name="x", namespace="n", metric_name="m", comparison="LessThanThreshold", threshold=1,
              treat_missing_data="zero")
    with pytest.raises(ValueError, match="datapoints_to_alarm"):
        Alarm(name="x", namespace="n", metric_name="m", comparison="LessThanThreshold", threshold=1,
              evaluation_periods=2, datapoints_to_alarm=3)
    bad = tmp_path / "bad.yml"
    bad.write_text("alarms:\n  - {name: a, namespace: n, metric_name: m, comparison: Nope, threshold: 1}\n")
    with pytest.raises(ValueError, match="unknown comparison"):
        load_alarms(bad)


def _two_weeks(instance, cpu, peak, mem=None):
    n = 14 * 24
    frames = [rows("CPUUtilization", [cpu] * n, dims={"InstanceId": instance}, step=dt.timedelta(hours=1)),
              rows("CPUUtilization", [peak] * n, dims={"InstanceId": instance}, stat="Maximum",
                   step=dt.timedelta(hours=1))]
    if mem is not None:
        frames.append(rows("mem_used_percent", [mem] * n, ns="CWAgent",
                           dims={"InstanceId": instance}, step=dt.timedelta(hours=1)))
    return frames


def test_rightsizing_recommends_one_size_down_with_savings():
    metrics = pl.concat([*_two_weeks("i-idle", 5, 20), *_two_weeks("i-busy", 70, 99),
                         *_two_weeks("i-memhog", 5, 20, mem=85), *_two_weeks("i-odd", 5, 20)])
    types = {"i-idle": "m5.xlarge", "i-busy": "m5.xlarge", "i-memhog": "r5.large", "i-odd": "x9.huge"}
    out = {r["instance_id"]: r for r in rightsizing(metrics, types).iter_rows(named=True)}
    idle = out["i-idle"]
    assert idle["action"] == "downsize" and idle["recommended_type"] == "m5.large"
    assert idle["monthly_savings_usd"] == pytest.approx((0.192 - 0.096) * 730)
    assert out["i-busy"]["action"] == "keep" and out["i-memhog"]["action"] == "keep"
    assert out["i-odd"]["action"] == "unknown_type"
    assert one_size_down("t3.nano") is None and one_size_down("c5.9xlarge") == "c5.4xlarge"


def test_slo_availability_latency_and_burn_rates():
    lb = {"LoadBalancer": "app/web/1"}
    n = 24 * 12
    errors = [0] * (n - 12) + [50] * 12          # last hour: 5 % errors
    metrics = pl.concat([
        rows("RequestCount", [1000] * n, ns="AWS/ApplicationELB", dims=lb, stat="Sum"),
        rows("HTTPCode_Target_5XX_Count", errors, ns="AWS/ApplicationELB", dims=lb, stat="Sum"),
        rows("TargetResponseTime", [0.2] * (n - 3) + [0.9] * 3, ns="AWS/ApplicationELB", dims=lb)])
    out = {r["slo"]: r for r in slo_report(metrics).iter_rows(named=True)}
    avail = out["availability"]
    assert avail["attained"] == pytest.approx(1 - 600 / (1000 * n))
    assert avail["burn_rate_short"] == pytest.approx(0.05 / 0.001)
    assert avail["burn_rate_long"] == pytest.approx(600 / 72000 / 0.001)
    assert avail["page"] is False  # short window burns at 50x, the 6 h window only at 8.3x
    lat = out["latency"]
    assert lat["attained"] == pytest.approx(1 - 3 / n)
    assert lat["burn_rate_short"] == pytest.approx((3 / 12) / 0.01)
