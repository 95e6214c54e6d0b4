"""CloudWatch's documented alarm-evaluation rules, every table row and column, as test cases.

Sources, seen 2026-11-29:

* "Configuring how CloudWatch alarms treat missing data", section "How alarm state is
  evaluated when data is missing" (both tables: Datapoints to Alarm = Evaluation Periods = 3,
  and 2 out of 3) and section "Avoiding premature transitions to alarm state",
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
  Data points are oldest first: 0 non-breaching, X breaching, - missing; the evaluation range
  is 5 for N = 3. The second column is "# of data points that must be filled" (the current
  page; the January 2019 revision counted every missing datapoint of the range instead and had
  ``- - X - -`` / ``- - - X -`` go to INSUFFICIENT_DATA under MISSING -- replaced here).
* PutMetricAlarm, parameter ``Period`` (API reference):
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
* "Alarm evaluation" (evaluation every minute / 10 s / hour):
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html
"""

from __future__ import annotations

import pytest

from toolkit.cloudwatch.alarms import ALARM, INSUFFICIENT, OK, Alarm, evaluate, evaluation_interval

RETAIN = "retain"
COLUMNS = ("missing", "ignore", "breaching", "notBreaching")

# (M, N, data points, # that must be filled, MISSING, IGNORE, BREACHING, NOT BREACHING)
TABLE = [
    (3, 3, "0 - X - X", 0, OK, OK, OK, OK),
    (3, 3, "0 - - - -", 2, OK, OK, OK, OK),
    (3, 3, "- - - - -", 3, INSUFFICIENT, RETAIN, ALARM, OK),
    (3, 3, "0 X X - X", 0, ALARM, ALARM, ALARM, ALARM),
    (3, 3, "- - X - -", 2, ALARM, RETAIN, ALARM, OK),
    (2, 3, "0 - X - X", 0, ALARM, ALARM, ALARM, ALARM),
    (2, 3, "0 0 X 0 X", 0, ALARM, ALARM, ALARM, ALARM),
    (2, 3, "0 - X - -", 1, OK, OK, ALARM, OK),
    (2, 3, "- - - - 0", 2, OK, OK, ALARM, OK),
    (2, 3, "- - - X -", 2, ALARM, RETAIN, ALARM, OK),
]
CASES = [pytest.param(m, n, points, treat, expected, id=f"{m}of{n} [{points}] {treat}")
         for m, n, points, _, *states in TABLE for treat, expected in zip(COLUMNS, states, strict=True)]


def window(points: str) -> list[bool | None]:
    return [{"0": False, "X": True, "-": None}[p] for p in points.split()]


@pytest.mark.parametrize(("m", "n", "points", "treat", "expected"), CASES)
def test_documented_missing_data_table(m, n, points, treat, expected):
    for current in (OK, ALARM, INSUFFICIENT):
        want = current if expected == RETAIN else expected
        assert evaluate(window(points), n, m, treat, current).state == want


@pytest.mark.parametrize(("m", "n", "points", "filled"), [row[:4] for row in TABLE])
def test_fills_as_few_missing_datapoints_as_the_table_says(m, n, points, filled):
    """"CloudWatch uses missing data points only as few times as possible" (same section)."""
    for treat in ("breaching", "notBreaching"):
        assert evaluate(window(points), n, m, treat, OK).filled == filled


@pytest.mark.parametrize(("m", "points"), [(3, "- - - - X"), (3, "- - - X -"), (2, "- - - - X")])
def test_a_breach_just_reported_does_not_alarm_prematurely(m, points):
    """Section "Avoiding premature transitions to alarm state": "the alarm does not go
    immediately into ALARM state when the data is either - - - - X or - - - X - and
    Datapoints to Alarm is 3"."""
    assert evaluate(window(points), 3, m, "missing", OK).state == INSUFFICIENT


@pytest.mark.parametrize(("m", "points"), [(3, "- - X - -"), (3, "- X - X -"), (2, "- - - X -"),
                                           (2, "- - X - -")])
def test_an_old_enough_breach_alarms_under_missing(m, points):
    """Same section: "alarms are designed to always go into ALARM state when the oldest
    available breaching datapoint ... is at least as old as the value of Datapoints to Alarm,
    and all other more recent data points are breaching or missing"."""
    assert evaluate(window(points), 3, m, "missing", OK).state == ALARM
    assert evaluate(window(points), 3, m, "ignore", OK).state == OK  # IGNORE: retain


def test_real_datapoints_reach_back_past_missing_ones():
    """"...evaluates the alarm state based on the most recent real data points that were
    successfully retrieved, including the necessary extra data points from farther back"."""
    d = evaluate(window("X X - X -"), 3, 3, "notBreaching", OK)
    assert (d.state, d.evaluated, d.filled) == (ALARM, 3, 0)


@pytest.mark.parametrize("period", [10, 20, 30, 60, 300, 3600, 86400])
def test_documented_periods_are_accepted(period):
    Alarm(name="a", namespace="n", metric_name="m", comparison="GreaterThanThreshold", threshold=1,
          period=period)


@pytest.mark.parametrize("period", [0, 5, 45, 90, 150])
def test_other_periods_are_rejected_with_the_rule(period):
    """PutMetricAlarm Period: "Valid values are 10, 20, 30, and any multiple of 60"."""
    with pytest.raises(ValueError, match="10, 20, 30 or a multiple of 60"):
        Alarm(name="a", namespace="n", metric_name="m", comparison="GreaterThanThreshold", threshold=1,
              period=period)


@pytest.mark.parametrize(("period", "n", "ok"), [
    (300, 288, True), (300, 289, False), (300, 1000, False), (60, 1440, True), (3540, 25, False),
    (3600, 168, True), (3600, 169, False), (86400, 7, True), (86400, 8, False)])
def test_evaluation_range_limits(period, n, ok):
    """PutMetricAlarm Period: Period x EvaluationPeriods at most 604,800 s, and at most
    86,400 s for periods under one hour."""
    def make():
        return Alarm(name="a", namespace="n", metric_name="m", comparison="GreaterThanThreshold",
                     threshold=1, period=period, evaluation_periods=n)
    if ok:
        make()
    else:
        with pytest.raises(ValueError, match="exceeds CloudWatch's limit"):
            make()


def test_evaluation_cadence():
    """"Alarm evaluation": every minute for periods of a minute or more, every 10 s for
    10/20/30 s periods, every hour when N x period exceeds one day."""
    assert evaluation_interval(300, 3) == 60
    assert evaluation_interval(10, 6) == 10
    assert evaluation_interval(3600, 48) == 3600
    assert evaluation_interval(3600, 24) == 60
