"""Alarm replay at CloudWatch's cadence and across days: per-minute evaluation, the 00:00
evaluation, state carried over midnight, multi-day alarms, absent metrics, composed statistics.

The cadence follows "Alarm evaluation" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/
monitoring/alarm-evaluation.html, seen 2026-11-29): "at the end of minute 5, the alarm evaluates
based on data from minutes 1 to 5 ... at the end of minute 6, ... data from minutes 2 to 6".
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tests.cloudwatch.test_replay_rightsizing_slo import rows
from toolkit.cloudwatch.replay import checkpoint_url, read_checkpoints, replay_alarms
from toolkit.cloudwatch.schema import ALARM_STATES_SCHEMA, METRICS_SCHEMA
from toolkit.cloudwatch.statistics import window_values
from toolkit.cloudwatch.store import read_days
from toolkit.lake import Lake

D1 = dt.datetime(2025, 3, 4, tzinfo=dt.UTC)
MINUTE, HOUR, DAY = dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)
FIVE = 5 * MINUTE


def alarm_file(tmp_path, **fields) -> str:
    base = {"name": "hot", "namespace": "AWS/EC2", "metric_name": "CPUUtilization",
            "dimensions": {"InstanceId": "i-1"}, "comparison": "GreaterThanThreshold", "threshold": 80,
            "period": 300, "evaluation_periods": 1}
    base.update(fields)
    import yaml

    path = tmp_path / f"alarms-{abs(hash(str(sorted(base.items())))) % 10**8}.yml"
    path.write_text(yaml.safe_dump({"alarms": [base]}))
    return str(path)


def write_days(lake: Lake, frame: pl.DataFrame) -> None:
    for (day,), part in frame.group_by(pl.col("timestamp").dt.date()):
        lake.write_parquet("metrics", day, part.to_arrow().cast(METRICS_SCHEMA))


def minute_stats(values, start=D1) -> pl.DataFrame:
    """1-minute datapoints, one sample each: Average, Sum and SampleCount."""
    return pl.concat([rows("CPUUtilization", values, stat="Average", start=start, step=MINUTE, period=60),
                      rows("CPUUtilization", values, stat="Sum", start=start, step=MINUTE, period=60),
                      rows("CPUUtilization", [1] * len(values), stat="SampleCount", start=start,
                           step=MINUTE, period=60)])


def test_breach_straddling_two_five_minute_buckets_alarms_at_the_minute(tmp_path):
    lake = Lake.at(str(tmp_path / "lake"))
    values = [10.0] * 1440
    values[13:18] = [95.0] * 5  # 00:13-00:17: three minutes in one bucket, two in the next
    write_days(lake, minute_stats(values))
    states = replay_alarms(str(lake.root), D1.date(), D1.date(), alarm_file(tmp_path))
    assert states.select("timestamp", "state").rows() == [
        (D1 + 5 * MINUTE, "OK"), (D1 + 18 * MINUTE, "ALARM"), (D1 + 19 * MINUTE, "OK")]
    assert "[95.0 (04/03/25 00:13:00)]" in states["reason"][1] and "approximate" not in states["reason"][1]


def _three_days(tmp_path) -> tuple[pl.DataFrame, dict]:
    values = [20.0] * (3 * 288)
    values[287] = 95.0             # 23:55-24:00 on day 1: seen only by the 00:00 evaluation
    values[2 * 288 - 30:2 * 288] = [95.0] * 30  # day 2 evening into midnight
    frame = rows("CPUUtilization", values)
    frame = frame.filter(~pl.col("timestamp").is_between(D1 + DAY + 23 * HOUR, D1 + DAY + 23.5 * HOUR,
                                                          closed="left"))  # a gap: ignore keeps ALARM
    files = {"n1": alarm_file(tmp_path),
             "ignore": alarm_file(tmp_path, name="hot-ignore", evaluation_periods=3, datapoints_to_alarm=2,
                                  treat_missing_data="ignore"),
             "multi-day": alarm_file(tmp_path, name="hot-2d", period=3600, evaluation_periods=30,
                                     datapoints_to_alarm=1, stat="Maximum")}
    return frame, files


@pytest.mark.parametrize("which", ["n1", "ignore", "multi-day"])
def test_day_by_day_replay_equals_one_range_replay(tmp_path, which):
    frame, files = _three_days(tmp_path)
    once, daily = Lake.at(str(tmp_path / "once")), Lake.at(str(tmp_path / "daily"))
    write_days(once, frame)
    write_days(daily, frame)
    whole = replay_alarms(str(once.root), D1.date(), (D1 + 2 * DAY).date(), files[which])
    parts = pl.concat([replay_alarms(str(daily.root), d, d, files[which])
                       for d in [(D1 + k * DAY).date() for k in range(3)]])
    assert whole.drop("reason").equals(parts.drop("reason"))
    assert (whole["state"] != whole["previous_state"]).all()   # no midnight ALARM -> ALARM rows
    for k in range(3):
        day = (D1 + k * DAY).date()
        a = pl.read_parquet(once.partition("alarm_states", day))
        b = pl.read_parquet(daily.partition("alarm_states", day))
        assert a.equals(b)
        assert read_checkpoints(once, day) == read_checkpoints(daily, day)


def test_the_midnight_evaluation_is_made_and_belongs_to_the_next_day(tmp_path):
    frame, files = _three_days(tmp_path)
    lake = Lake.at(str(tmp_path / "lake"))
    write_days(lake, frame)
    states = replay_alarms(str(lake.root), D1.date(), (D1 + DAY).date(), files["n1"])
    alarms = states.filter(pl.col("state") == "ALARM")["timestamp"].to_list()
    assert alarms[0] == D1 + DAY  # the 23:55-24:00 breach, evaluated at 00:00
    day2 = pl.read_parquet(lake.partition("alarm_states", (D1 + DAY).date()))
    assert D1 + DAY in day2["timestamp"].to_list()


def test_ignore_carries_the_alarm_state_over_midnight(tmp_path):
    frame, files = _three_days(tmp_path)
    lake = Lake.at(str(tmp_path / "lake"))
    frame = frame.filter(pl.col("timestamp") < D1 + 2 * DAY - 10 * MINUTE)  # data stops in ALARM
    write_days(lake, frame)
    for k in range(3):
        replay_alarms(str(lake.root), D1 + k * DAY, D1 + k * DAY, files["ignore"])
    end_day2 = read_checkpoints(lake, (D1 + DAY).date())[("hot-ignore", '{"InstanceId":"i-1"}')]
    assert end_day2.state == "ALARM"
    assert pl.read_parquet(lake.partition("alarm_states", (D1 + 2 * DAY).date())).is_empty()


def test_two_day_alarm_is_primed_on_day_three(tmp_path):
    lake = Lake.at(str(tmp_path / "lake"))
    write_days(lake, rows("CPUUtilization", [90.0] * 72, step=HOUR, period=3600))
    path = alarm_file(tmp_path, period=3600, evaluation_periods=48)
    states = replay_alarms(str(lake.root), D1 + 2 * DAY, D1 + 2 * DAY, path)
    assert states.select("timestamp", "state").rows()[0] == (D1 + 2 * DAY, "ALARM")
    assert states["timestamp"].dt.minute().max() == 0  # N x period > 1 day: evaluated hourly


@pytest.mark.parametrize(("treat", "expected"), [("breaching", [(D1, "ALARM")]), ("notBreaching", [(D1, "OK")]),
                                                 ("missing", []), ("ignore", [])])
def test_metric_absent_for_the_whole_replay(tmp_path, treat, expected):
    """The documented "- - - - -" row: breaching -> ALARM, notBreaching -> OK."""
    lake = Lake.at(str(tmp_path / "lake"))
    write_days(lake, rows("CPUUtilization", [5.0] * 288, dims={"InstanceId": "i-other"}))
    states = replay_alarms(str(lake.root), D1.date(), D1.date(), alarm_file(tmp_path, treat_missing_data=treat))
    assert states.select("timestamp", "state").rows() == expected
    if expected:
        assert states["resource_id"][0] == "i-1" and "no datapoints" in states["reason"][0]


def test_average_composes_from_sum_and_samplecount():
    one = pl.concat([rows("M", [10, 1000], stat="Sum", step=MINUTE, period=60),
                     rows("M", [1, 10], stat="SampleCount", step=MINUTE, period=60),
                     rows("M", [10, 100], stat="Average", step=MINUTE, period=60)])
    out, step, note = window_values(one, "Average", 120, 60)
    assert out["value"][0] == pytest.approx(1010 / 11) and note == "" and step == 60
    naive, _, note = window_values(one.filter(pl.col("stat") == "Average"), "Average", 120, 60)
    assert naive["value"][0] == pytest.approx(55) and "approximate" in note


def test_percentile_from_raw_values_or_flagged_approximation():
    raw = pl.concat([rows("M", list(range(1, 21)), stat="Maximum", step=MINUTE, period=60),
                     rows("M", [1] * 20, stat="SampleCount", step=MINUTE, period=60)])
    out, _, note = window_values(raw, "p95", 1200, 60)
    assert out["value"][0] == 19 and note == ""
    finer = pl.concat([rows("M", [50, 90], stat="p95", step=MINUTE, period=60),
                       rows("M", [30, 10], stat="SampleCount", step=MINUTE, period=60)])
    out, _, note = window_values(finer, "p95", 120, 60)
    assert out["value"][0] == pytest.approx((50 * 30 + 90 * 10) / 40) and "approximate p95" in note
    exact = pl.concat([finer, rows("M", [77], stat="p95", step=2 * MINUTE, period=120)])
    out, step, note = window_values(exact, "p95", 120, 60)
    assert out["value"].to_list() == [77] and note == "" and step == 120


def test_high_resolution_alarm_is_evaluated_every_ten_seconds(tmp_path):
    """10/20/30 s periods: "the alarm is evaluated every 10 seconds" ("Alarm evaluation")."""
    lake = Lake.at(str(tmp_path / "lake"))
    ten = dt.timedelta(seconds=10)
    values = [10.0] * 360
    values[100:103] = [95.0] * 3   # 00:16:40-00:17:10
    frame = pl.concat([rows("CPUUtilization", values, stat="Maximum", step=ten, period=10),
                       rows("CPUUtilization", [1] * 360, stat="SampleCount", step=ten, period=10)])
    write_days(lake, frame)
    states = replay_alarms(str(lake.root), D1.date(), D1.date(),
                           alarm_file(tmp_path, stat="Maximum", period=30))
    assert states.select("timestamp", "state").rows()[1:3] == [
        (D1 + 101 * ten, "ALARM"), (D1 + 106 * ten, "OK")]


def test_missing_checkpoint_of_a_replayed_day_is_an_error_not_a_reset(tmp_path):
    frame, files = _three_days(tmp_path)
    lake = Lake.at(str(tmp_path / "lake"))
    write_days(lake, frame)
    def stored():
        return read_days(lake, "alarm_states", D1.date(), D1.date(), ALARM_STATES_SCHEMA)

    replay_alarms(str(lake.root), D1.date(), D1.date(), files["n1"])
    first = stored()
    replay_alarms(str(lake.root), D1.date(), D1.date(), files["n1"])        # re-run: same rows
    assert stored().equals(first) and first.height
    lake.fs.rm(checkpoint_url(lake, D1.date()))
    with pytest.raises(ValueError, match=r"checkpoint .*dt=2025-03-04.json is missing.*replay from 2025-03-04"):
        replay_alarms(str(lake.root), (D1 + DAY).date(), (D1 + DAY).date(), files["n1"])


def test_a_day_never_replayed_before_starts_fresh_with_a_warning(tmp_path, caplog):
    frame, files = _three_days(tmp_path)
    lake = Lake.at(str(tmp_path / "lake"))
    write_days(lake, frame)
    with caplog.at_level("WARNING", logger="toolkit.cloudwatch.replay"):
        replay_alarms(str(lake.root), (D1 + DAY).date(), (D1 + DAY).date(), files["n1"])
    assert "no saved state at the end of 2025-03-04 for 1 timeline(s) (hot)" in caplog.text


def test_timestamps_off_the_minute_count_in_the_minute_that_holds_them(tmp_path):
    """Raw datapoints at :37 s past each minute give the same transitions as aligned ones, at
    whole-minute evaluations ("Alarm evaluation": evaluated every minute)."""
    values = [10.0] * 1440
    values[13:18] = [95.0] * 5
    aligned, shifted = Lake.at(str(tmp_path / "a")), Lake.at(str(tmp_path / "b"))
    write_days(aligned, minute_stats(values))
    write_days(shifted, minute_stats(values, start=D1 + dt.timedelta(seconds=37)))
    path = alarm_file(tmp_path)
    a = replay_alarms(str(aligned.root), D1.date(), D1.date(), path)
    b = replay_alarms(str(shifted.root), D1.date(), D1.date(), path)
    assert b.select("timestamp", "state").rows() == a.select("timestamp", "state").rows() == [
        (D1 + 5 * MINUTE, "OK"), (D1 + 18 * MINUTE, "ALARM"), (D1 + 19 * MINUTE, "OK")]


def test_multi_day_alarm_is_evaluated_on_the_hour_whatever_the_data_start(tmp_path):
    """"Example of evaluating a multi-day alarm": evaluated once per hour on the metrics "up to
    the current hour at the :00 minute" -- a failure at 10:02 is first seen at 11:00."""
    lake = Lake.at(str(tmp_path / "lake"))
    start = D1 + 7 * MINUTE                       # the data starts at 00:07
    values = [0.0] * (1440 - 7)
    values[10 * 60 + 2 - 7] = 1.0                 # 10:02
    write_days(lake, pl.concat([rows("CPUUtilization", values, stat="Maximum", start=start, step=MINUTE,
                                     period=60)]))
    path = alarm_file(tmp_path, stat="Maximum", threshold=0, period=3600, evaluation_periods=25,
                      datapoints_to_alarm=1, treat_missing_data="notBreaching")
    states = replay_alarms(str(lake.root), D1.date(), D1.date(), path)
    assert states.select("timestamp", "state").rows() == [(D1, "OK"), (D1 + 11 * HOUR, "ALARM")]


def test_low_sample_percentile_alarm_keeps_its_state(tmp_path):
    """PutMetricAlarm EvaluateLowSampleCountPercentile ``ignore``: "the alarm state does not change
    during periods with too few data points" -- a p99 over 60 samples (fewer than 10/(1-0.99) =
    1000) changes nothing, a p99 over 5000 samples does."""
    lake = Lake.at(str(tmp_path / "lake"))
    p99 = [10.0] * 288
    p99[100] = 95.0
    counts = [60.0] * 288
    counts[200] = 5000.0
    p99[200] = 95.0
    write_days(lake, pl.concat([rows("CPUUtilization", p99, stat="p99"),
                                rows("CPUUtilization", counts, stat="SampleCount")]))
    path = alarm_file(tmp_path, stat="p99", evaluate_low_sample_count_percentile="ignore")
    states = replay_alarms(str(lake.root), D1.date(), D1.date(), path)
    # the 08:20 breach (60 samples) and the 16:50 recovery (60 samples) change nothing
    assert states.select("timestamp", "state").rows() == [(D1 + 201 * FIVE, "ALARM")]


def test_cli_replays_describe_alarms_output(tmp_path):
    """``trailwatch alarms replay --alarms`` takes ``aws cloudwatch describe-alarms`` output as is."""
    import json

    from tests.cli.conftest import run_cli

    lake = Lake.at(str(tmp_path / "lake"))
    values = [10.0] * 288
    values[100:103] = [95.0] * 3
    write_days(lake, rows("CPUUtilization", values, dims={"InstanceId": "i-0abc"}))
    describe = {"MetricAlarms": [{
        "AlarmName": "web-cpu", "AlarmArn": "arn:aws:cloudwatch:us-east-1:111122223333:alarm:web-cpu",
        "StateValue": "OK", "MetricName": "CPUUtilization", "Namespace": "AWS/EC2", "Statistic": "Average",
        "Dimensions": [{"Name": "InstanceId", "Value": "i-0abc"}], "Period": 300, "EvaluationPeriods": 3,
        "Threshold": 80.0, "ComparisonOperator": "GreaterThanThreshold"}], "CompositeAlarms": []}
    path = tmp_path / "describe.json"
    path.write_text(json.dumps(describe))
    done = run_cli("alarms", "replay", "--lake", str(lake.root), "--start", "2025-03-04", "--end", "2025-03-04",
                   "--alarms", str(path))
    assert done.returncode == 0, done.stderr
    assert "3 state transitions" in done.stdout and "alarms that fired: web-cpu" in done.stdout
    states = pl.read_parquet(lake.partition("alarm_states", D1.date()))
    assert states.select("timestamp", "state").rows() == [
        (D1 + FIVE, "OK"), (D1 + 103 * FIVE, "ALARM"), (D1 + 104 * FIVE, "OK")]
