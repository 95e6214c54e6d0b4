"""CloudWatch's documented metric-alarm behaviour, one case per table row, column or sentence.

Every case names the page and section it encodes. Pages read on 2026-12-07 (stored copies of
docs.aws.amazon.com; dates of the copies where the copy carried one):

* MISSING = "Configuring how CloudWatch alarms treat missing data",
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
  (sections "How alarm state is evaluated when data is missing" -- both tables -- and
  "Avoiding premature transitions to alarm state").
* EVALUATION = "Alarm evaluation",
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html
  (sections "Alarm evaluation settings", "High-resolution alarms", "Example of evaluating a
  multi-day alarm").
* USING = "Using Amazon CloudWatch alarms",
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
  (sections "How partial data from a Metrics Insights query is evaluated" -- the example state
  reason -- and "Percentile-based CloudWatch alarms and low data samples").
* PUT = PutMetricAlarm, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
  (copy fetched 2026-09-26; parameters Period, EvaluationPeriods, DatapointsToAlarm,
  ComparisonOperator, Threshold, ThresholdMetricId, Statistic, ExtendedStatistic,
  EvaluateLowSampleCountPercentile, TreatMissingData).
* METRICALARM = MetricAlarm data type (DescribeAlarms output),
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html
* ANOMALY = "Create a CloudWatch alarm based on anomaly detection",
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Anomaly_Detection_Alarm.html
  and "Using CloudWatch anomaly detection" (CloudWatch_Anomaly_Detection.html).

Data points are written oldest first: 0 non-breaching, X breaching, - missing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from toolkit.cloudwatch.alarms import (
    ALARM,
    INSUFFICIENT,
    OK,
    Alarm,
    Checkpoint,
    alarms_from_describe,
    evaluate,
    evaluation_interval,
    is_breaching,
    min_samples,
    replay_series,
)

READ = "read 2026-12-07"
MISSING = f"alarms-and-missing-data.html ({READ})"
EVALUATION = f"alarm-evaluation.html ({READ})"
USING = f"AlarmThatSendsEmail.html ({READ})"
PUT = f"API_PutMetricAlarm.html ({READ})"
METRICALARM = f"API_MetricAlarm.html ({READ})"
ANOMALY = f"Create_Anomaly_Detection_Alarm.html ({READ})"
RETAIN = "retain current state"
MODES = ("missing", "ignore", "breaching", "notBreaching")
T0 = dt.datetime(2025, 3, 4, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def window(points: str) -> list[bool | None]:
    return [{"0": False, "X": True, "-": None}[p] for p in points.split()]


def alarm(**fields) -> Alarm:
    base = {"name": "a", "namespace": "AWS/EC2", "metric_name": "CPUUtilization",
            "comparison": "GreaterThanThreshold", "threshold": 80.0}
    return Alarm(**{**base, **fields})


# --- MISSING, "How alarm state is evaluated when data is missing": the two tables -------------
# (M, N, data points, # of data points that must be filled, MISSING, IGNORE, BREACHING, NOT BREACHING)
TABLES = [
    ("table 1 row 1", 3, 3, "0 - X - X", 0, OK, OK, OK, OK),
    ("table 1 row 2", 3, 3, "0 - - - -", 2, OK, OK, OK, OK),
    ("table 1 row 3", 3, 3, "- - - - -", 3, INSUFFICIENT, RETAIN, ALARM, OK),
    ("table 1 row 4", 3, 3, "0 X X - X", 0, ALARM, ALARM, ALARM, ALARM),
    ("table 1 row 5", 3, 3, "- - X - -", 2, ALARM, RETAIN, ALARM, OK),
    ("table 2 row 1", 2, 3, "0 - X - X", 0, ALARM, ALARM, ALARM, ALARM),
    ("table 2 row 2", 2, 3, "0 0 X 0 X", 0, ALARM, ALARM, ALARM, ALARM),
    ("table 2 row 3", 2, 3, "0 - X - -", 1, OK, OK, ALARM, OK),
    ("table 2 row 4", 2, 3, "- - - - 0", 2, OK, OK, ALARM, OK),
    ("table 2 row 5", 2, 3, "- - - X -", 2, ALARM, RETAIN, ALARM, OK),
]

# --- MISSING: the bullets above the tables and "Avoiding premature transitions to alarm state"
# (citation, M, N, data points, treat_missing_data, expected state)
SENTENCES = [
    ("bullet 1: no data points missing, the extra ones from farther back are ignored",
     3, 3, "X X 0 0 0", "breaching", OK),
    ("bullet 1: the N most recent data points decide", 3, 3, "0 0 X X X", "missing", ALARM),
    ("bullet 2: enough real points, reach back past missing ones", 3, 3, "X X - X -", "notBreaching", ALARM),
    ("bullet 2: enough real points, treat_missing_data is ignored", 3, 3, "X 0 - X X", "breaching", OK),
    ("bullet 3: all real data points in the range are included", 3, 3, "X - - - -", "breaching", ALARM),
    ("bullet 3: fill as few missing points as possible", 3, 3, "X - - - -", "notBreaching", OK),
    ("premature: - - - - X with Datapoints to Alarm 3 does not alarm", 3, 3, "- - - - X", "missing", INSUFFICIENT),
    ("premature: - - - X - with Datapoints to Alarm 3 does not alarm", 3, 3, "- - - X -", "missing", INSUFFICIENT),
    ("premature: the next non-breaching point makes - - - X 0", 3, 3, "- - - X 0", "missing", OK),
    ("premature: the next non-breaching point makes - - X - 0", 3, 3, "- - X - 0", "missing", OK),
    ("premature: oldest breaching at least as old as M, more recent breaching or missing",
     3, 3, "- X - X -", "missing", ALARM),
    ("premature: oldest breaching in the evaluation range", 3, 3, "X - - - -", "missing", ALARM),
    ("premature, M out of N: a breach just reported is younger than M=2", 2, 3, "- - - - X", "missing", INSUFFICIENT),
    ("premature, M out of N: old enough for M=2", 2, 3, "- - X - -", "missing", ALARM),
    ("treat options: ignore -- the current alarm state is maintained", 3, 3, "- - - - X", "ignore", RETAIN),
]


def _table_cases():
    for cite, m, n, points, _, *states in TABLES:
        for treat, expected in zip(MODES, states, strict=True):
            yield pytest.param(m, n, points, treat, expected, id=f"{MISSING} {cite} [{points}] {treat}")
    for cite, m, n, points, treat, expected in SENTENCES:
        yield pytest.param(m, n, points, treat, expected, id=f"{MISSING} {cite} [{points}] {treat}")


@pytest.mark.parametrize(("m", "n", "points", "treat", "expected"), list(_table_cases()))
def test_missing_data_tables_and_sentences(m, n, points, treat, expected):
    for current in (OK, ALARM, INSUFFICIENT):
        want = current if expected == RETAIN else expected
        assert evaluate(window(points), n, m, treat, current).state == want


@pytest.mark.parametrize(("m", "n", "points", "filled"), [
    pytest.param(*row[1:5], id=f"{MISSING} {row[0]} column 2") for row in TABLES])
def test_number_of_points_that_must_be_filled(m, n, points, filled):
    """Column 2: "the number of data points that must be "filled in"" (breaching/notBreaching)."""
    for treat in ("breaching", "notBreaching"):
        assert evaluate(window(points), n, m, treat, OK).filled == filled


# --- defaults of TreatMissingData ---------------------------------------------------------------
@pytest.mark.parametrize(("namespace", "given", "expected"), [
    pytest.param("AWS/EC2", None, "missing", id=f"{PUT} TreatMissingData: omitted -> missing"),
    pytest.param("AWS/DynamoDB", None, "ignore",
                 id=f"{MISSING} Important: AWS/DynamoDB alarms default to ignore missing data"),
    pytest.param("AWS/DynamoDB", "breaching", "breaching",
                 id=f"{MISSING} Important: AWS/DynamoDB -- you can override this"),
])
def test_treat_missing_data_defaults(namespace, given, expected):
    extra = {"treat_missing_data": given} if given else {}
    assert alarm(namespace=namespace, **extra).treat_missing_data == expected


# --- EVALUATION: cadence, windows, M out of N ---------------------------------------------------
@pytest.mark.parametrize(("period", "n", "seconds"), [
    pytest.param(10, 6, 10, id=f"{EVALUATION} period 10 s: evaluated every 10 seconds"),
    pytest.param(20, 3, 10, id=f"{EVALUATION} period 20 s: evaluated every 10 seconds"),
    pytest.param(30, 3, 10, id=f"{EVALUATION} period 30 s: evaluated every 10 seconds"),
    pytest.param(60, 1, 60, id=f"{EVALUATION} period of one minute or longer: every minute"),
    pytest.param(300, 288, 60, id=f"{EVALUATION} N x period = one day: still every minute"),
    pytest.param(3600, 25, 3600, id=f"{EVALUATION} N x period exceeds one day: once per hour"),
])
def test_evaluation_cadence(period, n, seconds):
    assert evaluation_interval(period, n) == seconds


def _minutes(values, start=T0):
    """Five-minute windows starting every minute from one-minute values (what replay builds)."""
    return [(start + MINUTE * i, v, None, None) for i, v in enumerate(values)]


def test_evaluated_every_minute_over_the_last_period():
    """EVALUATION, "Alarm evaluation settings": "at the end of minute 5 the alarm evaluates based
    on data from minutes 1 to 5. Then at the end of minute 6, ... minutes 2 to 6"."""
    minute_values = [10.0] * 6 + [95.0] * 5 + [10.0] * 10     # hot minutes 6..10 straddle 5-min buckets
    windows = [(T0 + MINUTE * i, max(minute_values[i:i + 5]), None, None) for i in range(len(minute_values) - 4)]
    a = alarm(period=300, stat="Maximum")
    out, _ = replay_series(a, windows, T0 + 5 * MINUTE, T0 + 20 * MINUTE, step=60)
    assert [(r["timestamp"] - T0, r["state"]) for r in out] == [
        (5 * MINUTE, OK), (7 * MINUTE, ALARM), (16 * MINUTE, OK)]


def test_m_out_of_n_breaching_points_need_not_be_consecutive():
    """EVALUATION: "The breaching data points don't have to be consecutive, but they must all be
    within the last number of data points equal to Evaluation Period"."""
    assert evaluate(window("- - X 0 X"), 3, 2, "missing", OK).state == ALARM
    assert evaluate(window("X 0 X 0 0"), 3, 2, "missing", ALARM).state == OK


def test_the_figure_three_of_three():
    """EVALUATION figure: threshold 3, N = M = 3: ALARM in periods 3-5, OK at period 6 when the
    value dips, a single breach in period 9 leaves it OK."""
    a = alarm(threshold=3, evaluation_periods=3, period=60)
    values = [1, 2, 4, 4, 4, 2, 1, 1, 4, 1, 1]
    points = [(T0 + MINUTE * i, float(v), None, None) for i, v in enumerate(values)]
    out, _ = replay_series(a, points, T0 + MINUTE, T0 + 11 * MINUTE)
    assert [(r["timestamp"] - T0, r["state"]) for r in out] == [
        (1 * MINUTE, OK), (5 * MINUTE, ALARM), (6 * MINUTE, OK)]


def test_multi_day_alarm_sees_data_up_to_the_hour():
    """EVALUATION, "Example of evaluating a multi-day alarm": evaluated once per hour, "only the
    metrics up to the current hour at the :00 minute": a failure at 10:02 is seen at 11:00."""
    a = alarm(stat="Maximum", threshold=0, period=3600, evaluation_periods=25,
              datapoints_to_alarm=1, treat_missing_data="notBreaching")
    hour = dt.timedelta(hours=1)
    points = [(T0 + hour * h, 1.0 if h == 10 else 0.0, None, None) for h in range(24)]
    out, _ = replay_series(a, points, T0, T0 + dt.timedelta(days=1), step=3600)
    assert [(r["timestamp"] - T0, r["state"]) for r in out] == [(0 * hour, OK), (11 * hour, ALARM)]


# --- PUT: validation ----------------------------------------------------------------------------
@pytest.mark.parametrize("period", [
    pytest.param(p, id=f"{PUT} Period {p}: valid (10, 20, 30, and any multiple of 60)")
    for p in (10, 20, 30, 60, 120, 300, 3600, 86400)])
def test_valid_periods(period):
    alarm(period=period)


@pytest.mark.parametrize("period", [
    pytest.param(p, id=f"{PUT} Period {p}: not valid") for p in (0, 5, 15, 45, 90, 150)])
def test_invalid_periods(period):
    with pytest.raises(ValueError, match="10, 20, 30 or a multiple of 60"):
        alarm(period=period)


@pytest.mark.parametrize(("period", "n", "ok"), [
    pytest.param(300, 288, True, id=f"{PUT} Period: under an hour, total one day: accepted"),
    pytest.param(300, 289, False, id=f"{PUT} Period: under an hour, total over one day: rejected"),
    pytest.param(300, 1000, False, id=f"{PUT} Period: 1000 x 300 s rejected"),
    pytest.param(60, 1440, True, id=f"{PUT} Period: 1440 x 60 s accepted"),
    pytest.param(3540, 25, False, id=f"{PUT} Period: 59 minutes x 25 exceeds one day"),
    pytest.param(3600, 168, True, id=f"{PUT} Period: one hour x 168 = seven days accepted"),
    pytest.param(3600, 169, False, id=f"{PUT} Period: no longer than seven days"),
    pytest.param(86400, 7, True, id=f"{PUT} Period: one day x 7 accepted"),
    pytest.param(86400, 8, False, id=f"{PUT} Period: one day x 8 rejected"),
])
def test_total_evaluation_period_limits(period, n, ok):
    if ok:
        alarm(period=period, evaluation_periods=n)
    else:
        with pytest.raises(ValueError, match="exceeds CloudWatch's limit"):
            alarm(period=period, evaluation_periods=n)


@pytest.mark.parametrize(("fields", "message"), [
    pytest.param({"evaluation_periods": 3, "datapoints_to_alarm": 4}, "datapoints_to_alarm",
                 id=f"{PUT} DatapointsToAlarm is the M of M out of N (M > N rejected)"),
    pytest.param({"evaluation_periods": 3, "datapoints_to_alarm": 0}, "datapoints_to_alarm",
                 id=f"{PUT} DatapointsToAlarm: minimum value of 1"),
    pytest.param({"evaluation_periods": 0}, "evaluation_periods",
                 id=f"{PUT} EvaluationPeriods: minimum value of 1"),
    pytest.param({"threshold": None}, "threshold",
                 id=f"{PUT} Threshold: required for alarms based on static thresholds"),
    pytest.param({"comparison": "LessThanLowerThreshold", "band_width": 2.0}, "threshold",
                 id=f"{PUT} Threshold: should not be used for alarms based on anomaly detection models"),
    pytest.param({"comparison": "GreaterThanThreshold", "threshold": 1.0, "band_width": 2.0}, "band",
                 id=f"{PUT} ComparisonOperator: band operators used only for anomaly detection models"),
    pytest.param({"comparison": "GreaterThanUpperThreshold", "threshold": None, "band_width": None}, "band_width",
                 id=f"{PUT} ThresholdMetricId: a band alarm needs its ANOMALY_DETECTION_BAND"),
    pytest.param({"comparison": "LessThanLowerOrGreaterThanUpperThreshold", "threshold": None,
                  "band_width": 2.0, "period": 30}, "one minute or longer",
                 id=f"{ANOMALY} the evaluation period must be one minute or longer"),
    pytest.param({"stat": "Avg"}, "statistic",
                 id=f"{PUT} Statistic: SampleCount | Average | Sum | Minimum | Maximum"),
    pytest.param({"stat": "p101"}, "statistic",
                 id=f"{METRICALARM} ExtendedStatistic: a value between p0.0 and p100"),
    pytest.param({"stat": "p95", "evaluate_low_sample_count_percentile": "sometimes"}, "evaluate, ignore",
                 id=f"{PUT} EvaluateLowSampleCountPercentile: evaluate | ignore"),
    pytest.param({"treat_missing_data": "Missing"}, "treat_missing_data",
                 id=f"{PUT} TreatMissingData: breaching | notBreaching | ignore | missing"),
])
def test_invalid_definitions_are_rejected(fields, message):
    with pytest.raises(ValueError, match=message):
        alarm(**fields)


@pytest.mark.parametrize("stat", [
    pytest.param(s, id=f"{PUT} statistic {s} accepted")
    for s in ("SampleCount", "Average", "Sum", "Minimum", "Maximum", "p90", "p99.9", "p0.0", "p100", "tm90")])
def test_valid_statistics(stat):
    alarm(stat=stat)


# --- ANOMALY: band operators ---------------------------------------------------------------------
@pytest.mark.parametrize(("comparison", "value", "expected"), [
    pytest.param("GreaterThanUpperThreshold", 11.0, True, id=f"{ANOMALY} above the band"),
    pytest.param("GreaterThanUpperThreshold", 4.0, False, id=f"{ANOMALY} above: below the band is fine"),
    pytest.param("GreaterThanUpperThreshold", 10.0, False, id=f"{ANOMALY} above: on the upper edge"),
    pytest.param("LessThanLowerThreshold", 4.0, True, id=f"{ANOMALY} below the band"),
    pytest.param("LessThanLowerThreshold", 11.0, False, id=f"{ANOMALY} below: above the band is fine"),
    pytest.param("LessThanLowerOrGreaterThanUpperThreshold", 4.0, True, id=f"{ANOMALY} outside: below"),
    pytest.param("LessThanLowerOrGreaterThanUpperThreshold", 11.0, True, id=f"{ANOMALY} outside: above"),
    pytest.param("LessThanLowerOrGreaterThanUpperThreshold", 7.0, False, id=f"{ANOMALY} outside: inside"),
])
def test_band_operators(comparison, value, expected):
    a = alarm(comparison=comparison, threshold=None, band_width=2.0)
    assert is_breaching(a, value, 5.0, 10.0) is expected


# --- USING: percentile alarms and low data samples ------------------------------------------------
@pytest.mark.parametrize(("stat", "needed"), [
    pytest.param("p99", 1000, id=f"{USING} low samples: p99 needs 1000 samples"),
    pytest.param("p90", 100, id=f"{USING} low samples: 10/(1-percentile) for 0.5 <= p < 1"),
    pytest.param("p50", 20, id=f"{USING} low samples: 0.5 inclusive uses 10/(1-percentile)"),
    pytest.param("p10", 100, id=f"{USING} low samples: 10/percentile for 0 < p < 0.5"),
    pytest.param("Average", 0, id=f"{PUT} EvaluateLowSampleCountPercentile: used only for percentiles"),
])
def test_low_sample_thresholds(stat, needed):
    assert min_samples(stat) == pytest.approx(needed)


@pytest.mark.parametrize(("setting", "expected"), [
    pytest.param("ignore", [], id=f"{PUT} EvaluateLowSampleCountPercentile ignore: state does not change"),
    pytest.param("evaluate", [ALARM], id=f"{PUT} EvaluateLowSampleCountPercentile evaluate: always evaluated"),
])
def test_low_sample_percentile_alarm(setting, expected):
    a = alarm(stat="p99", period=60, evaluate_low_sample_count_percentile=setting)
    points = [(T0, 95.0, None, None)]
    out, end = replay_series(a, points, T0 + MINUTE, T0 + 2 * MINUTE, initial=Checkpoint(OK),
                             samples={T0: 50.0})
    assert [r["state"] for r in out] == expected
    enough, _ = replay_series(a, points, T0 + MINUTE, T0 + 2 * MINUTE, initial=Checkpoint(OK),
                              samples={T0: 1000.0})
    assert [r["state"] for r in enough] == [ALARM]


# --- USING: the state reason ----------------------------------------------------------------------
def test_state_reason_reads_like_cloudwatch():
    """USING, partial-data example: "Threshold Crossed: 3 out of the last 3 datapoints
    [20000.0 (08/11/22 11:25:00), 20000.0 (08/11/22 11:24:00), 20000.0 (08/11/22 11:23:00)] were
    greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition)."."""
    a = alarm(threshold=0.0, period=60, evaluation_periods=3, datapoints_to_alarm=1)
    start = dt.datetime(2022, 11, 8, 11, 23, tzinfo=dt.UTC)
    points = [(start + MINUTE * i, 20000.0, None, None) for i in range(3)]
    out, _ = replay_series(a, points, start + 3 * MINUTE, start + 4 * MINUTE, initial=Checkpoint(OK))
    assert out[0]["reason"] == (
        "Threshold Crossed: 3 out of the last 3 datapoints [20000.0 (08/11/22 11:25:00), "
        "20000.0 (08/11/22 11:24:00), 20000.0 (08/11/22 11:23:00)] were greater than the threshold "
        "(0.0) (minimum 1 datapoint for OK -> ALARM transition).")


# --- METRICALARM / PUT: DescribeAlarms output as the alarm definitions --------------------------------
STATIC = {
    "AlarmName": "web-cpu", "AlarmArn": "arn:aws:cloudwatch:us-east-1:111122223333:alarm:web-cpu",
    "ActionsEnabled": True, "OKActions": [], "AlarmActions": [], "InsufficientDataActions": [],
    "StateValue": "OK", "StateReason": "Threshold Crossed", "StateUpdatedTimestamp": "2025-03-01T00:00:00.000Z",
    "MetricName": "CPUUtilization", "Namespace": "AWS/EC2", "Statistic": "Average",
    "Dimensions": [{"Name": "InstanceId", "Value": "i-0abc"}], "Period": 300, "EvaluationPeriods": 3,
    "Threshold": 80.0, "ComparisonOperator": "GreaterThanThreshold",
}
BAND = {
    "AlarmName": "web-cpu-band", "StateValue": "INSUFFICIENT_DATA", "EvaluationPeriods": 2,
    "DatapointsToAlarm": 2, "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
    "TreatMissingData": "ignore", "ThresholdMetricId": "ad1",
    "Metrics": [
        {"Id": "m1", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
                       "Dimensions": [{"Name": "InstanceId", "Value": "i-0abc"}]},
            "Period": 300, "Stat": "Average"}},
        {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 3)", "Label": "expected", "ReturnData": True}],
}


def _describe(*alarms) -> dict:
    return {"MetricAlarms": list(alarms), "CompositeAlarms": []}


@pytest.mark.parametrize(("doc", "field", "expected"), [
    pytest.param(STATIC, "dimensions", {"InstanceId": "i-0abc"}, id=f"{METRICALARM} Dimensions list"),
    pytest.param(STATIC, "treat_missing_data", "missing", id=f"{METRICALARM} TreatMissingData omitted -> missing"),
    pytest.param(STATIC, "m", 3, id=f"{METRICALARM} DatapointsToAlarm omitted -> EvaluationPeriods"),
    pytest.param(STATIC, "stat", "Average", id=f"{METRICALARM} Statistic"),
    pytest.param({**STATIC, "Statistic": None, "ExtendedStatistic": "p95"}, "stat", "p95",
                 id=f"{METRICALARM} ExtendedStatistic"),
    pytest.param({**STATIC, "ExtendedStatistic": "p99", "EvaluateLowSampleCountPercentile": "ignore",
                  "Statistic": None}, "evaluate_low_sample_count_percentile", "ignore",
                 id=f"{METRICALARM} EvaluateLowSampleCountPercentile"),
    pytest.param(BAND, "band_width", 3.0, id=f"{PUT} Anomaly Detection Model Alarm: ANOMALY_DETECTION_BAND(m1, 3)"),
    pytest.param(BAND, "period", 300, id=f"{PUT} Metrics: the period of the MetricStat"),
    pytest.param(BAND, "threshold", None, id=f"{PUT} ThresholdMetricId: no static threshold"),
])
def test_describe_alarms_output_is_accepted(doc, field, expected):
    (parsed,) = alarms_from_describe(_describe({k: v for k, v in doc.items() if v is not None}))
    assert getattr(parsed, field) == expected


@pytest.mark.parametrize(("doc", "message"), [
    pytest.param({**STATIC, "ExtendedStatistic": "p95"}, "either Statistic or ExtendedStatistic",
                 id=f"{PUT} Statistic or ExtendedStatistic but not both"),
    pytest.param({**STATIC, "Period": 45}, "10, 20, 30 or a multiple of 60", id=f"{PUT} Period 45 from describe"),
    pytest.param({"AlarmName": "math", "EvaluationPeriods": 1, "Threshold": 1.0,
                  "ComparisonOperator": "GreaterThanThreshold",
                  "Metrics": [{"Id": "e1", "Expression": "m1 + m2", "ReturnData": True}]},
                 "metric math", id=f"{PUT} Metrics: math expressions are not replayed"),
])
def test_describe_alarms_definitions_that_cannot_be_replayed(doc, message):
    with pytest.raises(ValueError, match=message):
        alarms_from_describe(_describe(doc))
