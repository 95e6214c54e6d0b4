"""CloudWatch's documented missing-data table, every row and column, as test cases.

Source: "How alarm state is evaluated when data is missing",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
(awsdocs/amazon-cloudwatch-user-guide, doc_source/AlarmThatSendsEmail.md). Data points are
oldest first: 0 non-breaching, X breaching, - missing; 5 datapoints are retrieved for N = 3.
"""

from __future__ import annotations

import pytest

from toolkit.cloudwatch.alarms import ALARM, INSUFFICIENT, OK, evaluate

RETAIN = "retain"
COLUMNS = ("missing", "ignore", "breaching", "notBreaching")

# (M, N, data points, # missing, MISSING, IGNORE, BREACHING, NOT BREACHING)
TABLE = [
    (3, 3, "0 - X - X", 2, OK, OK, OK, OK),
    (3, 3, "0 - - - -", 4, OK, OK, OK, OK),
    (3, 3, "- - - - -", 5, INSUFFICIENT, RETAIN, ALARM, OK),
    (3, 3, "0 X X - X", 1, ALARM, ALARM, ALARM, ALARM),
    (3, 3, "- - - - X", 4, INSUFFICIENT, RETAIN, ALARM, OK),
    (3, 3, "X - - - -", 4, ALARM, RETAIN, ALARM, OK),
    (2, 3, "0 - X - X", 2, ALARM, ALARM, ALARM, ALARM),
    (2, 3, "0 0 X 0 X", 0, ALARM, ALARM, ALARM, ALARM),
    (2, 3, "0 - X - -", 3, OK, OK, ALARM, OK),
    (2, 3, "- - - - 0", 4, OK, OK, ALARM, OK),
    (2, 3, "- - - - X", 4, INSUFFICIENT, RETAIN, ALARM, OK),
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


def test_missing_counts_match_the_table():
    assert all(window(points).count(None) == missing for _, _, points, missing, *_ in TABLE)


def test_fills_only_as_few_missing_datapoints_as_needed():
    # one real datapoint, N = 3: exactly two are filled
    assert evaluate(window("- - - - 0"), 3, 3, "breaching", OK).filled == 2
    assert evaluate(window("0 X X - X"), 3, 3, "breaching", OK).filled == 0
