"""Alarm replay: CloudWatch's documented metric-alarm evaluation, run over history.

Sources (seen 2026-11-29):

* "Alarm evaluation" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html):
  an alarm with a period of a minute or more is evaluated every minute over the last N periods
  ("at the end of minute 6 ... data from minutes 2 to 6"); 10/20/30 s periods every 10 s;
  alarms whose N x period exceeds a day once an hour.
* "Configuring how CloudWatch alarms treat missing data"
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):
  each evaluation retrieves more datapoints than N -- the *evaluation range*; the documented
  tables use 5 for N = 3, and trailwatch uses N + 2 unless ``evaluation_range`` says otherwise.

  * N or more real datapoints in the range: the newest N real ones are evaluated (reaching
    back into the range past missing ones); M or more breaching -> ALARM, else OK.
  * fewer than N: ``breaching``/``notBreaching`` fill only as many missing datapoints as
    needed to make N. ``missing``/``ignore`` evaluate the real points: M breaching -> ALARM;
    a real non-breaching point -> OK; no real point -> INSUFFICIENT_DATA (``missing``) or the
    current state (``ignore``).
  * premature-alarm rule ("Avoiding premature transitions to alarm state", ``missing``): when
    every real datapoint of the range is breaching and the oldest of them "is at least as old
    as the value of Datapoints to Alarm" (the M-th newest slot or older), ALARM -- the
    ``- - X - -`` row (3 of 3) and the ``- - - X -`` row (2 of 3); a breach just reported
    (``- - - - X``, ``- - - X -`` for M = 3) waits in INSUFFICIENT_DATA.
* PutMetricAlarm (API reference, ``Period``): 10, 20, 30 or a multiple of 60 seconds;
  Period x EvaluationPeriods at most 86,400 s for periods under an hour, 604,800 s overall.

Every row of the documented tables is a test case (tests/cloudwatch/test_alarm_table.py).
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from pathlib import Path

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")
STATIC_OPERATORS = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
BAND_OPERATORS = {
    "LessThanLowerOrGreaterThanUpperThreshold": "outside the band",
    "LessThanLowerThreshold": "below the band",
    "GreaterThanUpperThreshold": "above the band",
}
DEFAULT_ALARMS = Path(__file__).with_name("alarms") / "default.yml"
DAY, WEEK = 86_400, 604_800


@dataclass(frozen=True)
class Decision:
    state: str
    breaching: int
    evaluated: int   # real datapoints among those evaluated
    filled: int      # missing datapoints filled by treat_missing_data


def evaluate(window: list[bool | None], n: int, m: int, treat: str, current: str) -> Decision:
    """One evaluation of an evaluation range (oldest first; True breaching, None missing)."""
    real = [b for b in window if b is not None]
    if len(real) >= n:
        newest = real[-n:]
        return Decision(ALARM if sum(newest) >= m else OK, sum(newest), n, 0)
    gap = n - len(real)
    if treat in ("breaching", "notBreaching"):
        breaching = sum(real) + (gap if treat == "breaching" else 0)
        return Decision(ALARM if breaching >= m else OK, breaching, len(real), gap)
    breaching = sum(real)
    if breaching >= m:
        state = ALARM
    elif len(real) > breaching:  # a real non-breaching datapoint settles it
        state = OK
    elif treat == "ignore":
        state = current
    elif breaching and _breach_age(window) >= m - 1:  # premature-alarm rule, see module doc
        state = ALARM
    else:
        state = INSUFFICIENT
    return Decision(state, breaching, len(real), 0)


def _breach_age(window: list[bool | None]) -> int:
    """Periods between the oldest breaching datapoint of the range and the newest slot."""
    return len(window) - 1 - window.index(True)


def evaluation_interval(period: int, evaluation_periods: int) -> int:
    """How often CloudWatch evaluates the alarm, in seconds (see the module docstring)."""
    if period < 60:
        return 10
    return 3600 if period * evaluation_periods > DAY else 60


@dataclass(frozen=True)
class Alarm:
    """A metric alarm as CloudWatch defines it (YAML keys are these field names)."""

    name: str
    namespace: str
    metric_name: str
    comparison: str
    dimensions: dict = field(default_factory=dict)   # a value "*" matches every resource
    stat: str = "Average"
    period: int = 300
    threshold: float | None = None
    band_width: float | None = None                  # anomaly band width (band operators)
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "missing"
    evaluation_range: int | None = None

    def __post_init__(self) -> None:
        where = f"alarm {self.name!r}"
        if self.comparison in STATIC_OPERATORS:
            if self.threshold is None:
                raise ValueError(f"{where}: {self.comparison} needs a threshold")
        elif self.comparison in BAND_OPERATORS:
            if self.band_width is None or self.band_width <= 0:
                raise ValueError(f"{where}: {self.comparison} needs a positive band_width")
        else:
            known = ", ".join([*STATIC_OPERATORS, *BAND_OPERATORS])
            raise ValueError(f"{where}: unknown comparison {self.comparison!r}; use one of {known}")
        if self.treat_missing_data not in TREATMENTS:
            raise ValueError(f"{where}: treat_missing_data must be one of {', '.join(TREATMENTS)}")
        if not 1 <= self.m <= self.evaluation_periods:
            raise ValueError(f"{where}: need 1 <= datapoints_to_alarm <= evaluation_periods")
        if self.period not in (10, 20, 30) and (self.period <= 0 or self.period % 60):
            raise ValueError(f"{where}: period {self.period}s is not valid; CloudWatch accepts "
                             "10, 20, 30 or a multiple of 60 seconds")
        span = self.period * self.evaluation_periods
        limit = DAY if self.period < 3600 else WEEK
        if span > limit:
            raise ValueError(
                f"{where}: period x evaluation_periods = {span:,}s exceeds CloudWatch's limit of "
                f"{limit:,}s ({'one day for periods under an hour' if limit == DAY else 'seven days'})")
        if self.evaluation_range is not None and self.evaluation_range < self.evaluation_periods:
            raise ValueError(f"{where}: evaluation_range must be at least evaluation_periods")

    @property
    def m(self) -> int:
        return self.datapoints_to_alarm or self.evaluation_periods

    @property
    def range_size(self) -> int:
        return self.evaluation_range or self.evaluation_periods + 2

    def describe(self) -> str:
        if self.comparison in STATIC_OPERATORS:
            return f"{STATIC_OPERATORS[self.comparison][1]} the threshold ({self.threshold:g})"
        return f"{BAND_OPERATORS[self.comparison]} (width {self.band_width:g})"


def load_alarms(path: str | Path | None = None) -> list[Alarm]:
    """Alarms from a YAML file (``alarms: [...]``); the packaged defaults when ``path`` is None."""
    import yaml

    path = Path(path) if path else DEFAULT_ALARMS
    if not path.exists():
        raise FileNotFoundError(f"alarm file {path} does not exist")
    doc = yaml.safe_load(path.read_text()) or {}
    items = doc.get("alarms") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a mapping with an 'alarms' list")
    alarms = []
    for i, item in enumerate(items):
        try:
            alarms.append(Alarm(**item))
        except TypeError as exc:
            raise ValueError(f"{path}: alarm #{i + 1}: {exc}") from None
    names = [a.name for a in alarms]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: alarm names must be unique")
    return alarms


def is_breaching(alarm: Alarm, value: float, lower: float | None = None,
                 upper: float | None = None) -> bool:
    """Does one datapoint breach? Band operators compare with that datapoint's band."""
    if alarm.comparison in STATIC_OPERATORS:
        return STATIC_OPERATORS[alarm.comparison][0](value, alarm.threshold)
    if lower is None or upper is None:
        return False
    if alarm.comparison == "LessThanLowerThreshold":
        return value < lower
    if alarm.comparison == "GreaterThanUpperThreshold":
        return value > upper
    return value < lower or value > upper


@dataclass(frozen=True)
class Checkpoint:
    """Where a timeline stands: its state and the evaluation at which it was reached."""

    state: str = INSUFFICIENT
    since: dt.datetime | None = None


def evaluation_times(start: dt.datetime, end: dt.datetime, step: int, anchor: dt.datetime | None):
    """Evaluation times in [start, end) every ``step`` seconds, on the grid of ``anchor``."""
    delta = dt.timedelta(seconds=step)
    t = start
    if anchor is not None:
        t = start + (anchor - start) % delta
    while t < end:
        yield t
        t += delta


def replay_series(alarm: Alarm, points: list[tuple[dt.datetime, float, float | None, float | None]],
                  start: dt.datetime, end: dt.datetime, *, step: int | None = None,
                  initial: Checkpoint = Checkpoint(), note: str = "") -> tuple[list[dict], Checkpoint]:
    """State transitions of ``alarm`` at every evaluation in [start, end), and the end state.

    ``points`` are (window start, value, lower, upper): the statistic over
    ``[window start, window start + period)``, for window starts every ``step`` seconds (the
    evaluation grid; default: the alarm's period). Points before ``start`` prime the first
    evaluations. ``initial`` is the state carried over from the previous day.
    """
    period = dt.timedelta(seconds=alarm.period)
    by_slot = {ts: (v, lo, up) for ts, v, lo, up in points}
    anchor = min(by_slot) if by_slot else None
    step = step or alarm.period
    state, since, rows = initial.state, initial.since, []
    for t in evaluation_times(start, end, step, anchor):
        slots = [t - period * k for k in range(alarm.range_size, 0, -1)]
        window = [None if s not in by_slot else is_breaching(alarm, *by_slot[s]) for s in slots]
        decision = evaluate(window, alarm.evaluation_periods, alarm.m, alarm.treat_missing_data, state)
        if decision.state != state:
            values = [by_slot[s][0] for s in slots if s in by_slot]
            rows.append({"timestamp": t, "state": decision.state, "previous_state": state,
                         "reason": _reason(alarm, decision, values, state) + note,
                         "breaching": decision.breaching, "evaluated": decision.evaluated,
                         "last_value": values[-1] if values else None})
            state, since = decision.state, t
    return rows, Checkpoint(state, since)


def _reason(alarm: Alarm, d: Decision, values: list[float], previous: str) -> str:
    shown = ", ".join(f"{v:g}" for v in values[-alarm.evaluation_periods:])
    if d.state == INSUFFICIENT:
        return (f"Insufficient Data: {d.evaluated} datapoint(s) in the last {alarm.range_size} "
                f"periods, none conclusive (treat_missing_data={alarm.treat_missing_data})")
    filled = f" ({d.filled} missing treated as {alarm.treat_missing_data})" if d.filled else ""
    if d.state == ALARM:
        return (f"Threshold Crossed: {d.breaching} out of the last {alarm.evaluation_periods} "
                f"datapoints [{shown}]{filled} were {alarm.describe()} "
                f"(minimum {alarm.m} datapoints for {previous} -> ALARM transition)")
    return (f"Threshold Crossed: {d.breaching} out of the last {alarm.evaluation_periods} "
            f"datapoints [{shown}]{filled} were {alarm.describe()}, fewer than the {alarm.m} "
            f"needed for ALARM ({previous} -> OK transition)")
