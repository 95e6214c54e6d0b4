"""Alarm replay: CloudWatch's documented metric-alarm evaluation, run over history.

Sources (re-read 2026-12-07; each rule is a case in tests/cloudwatch/test_alarm_docs.py):

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
  * ``AWS/DynamoDB`` alarms "default to ignore missing data. You can override this" (the
    PutMetricAlarm page still says they "always ignore"; the user guide's override is followed).
* PutMetricAlarm (API reference): ``Period`` 10, 20, 30 or a multiple of 60 seconds;
  Period x EvaluationPeriods at most 86,400 s for periods under an hour, 604,800 s overall;
  ``Statistic`` or ``ExtendedStatistic``, not both; ``Threshold`` only for static thresholds,
  the band operators only with an anomaly detection band (``ThresholdMetricId``);
  ``EvaluateLowSampleCountPercentile`` ``ignore``: "the alarm state does not change during
  periods with too few data points to be statistically significant".
* "Percentile-based CloudWatch alarms and low data samples" (AlarmThatSendsEmail.html): too
  few is fewer than 10/(1-p) samples for 0.5 <= p < 1, fewer than 10/p for 0 < p < 0.5.
* "Create a CloudWatch alarm based on anomaly detection": "For an anomaly detection alarm, the
  evaluation period must be one minute or longer".
* The state reason follows the documented example "Threshold Crossed: 3 out of the last 3
  datapoints [20000.0 (08/11/22 11:25:00), ...] were greater than the threshold (0.0) (minimum 1
  datapoint for OK -> ALARM transition)." (newest datapoint first, day/month/year).

Evaluations run on the wall clock: every 10 s, minute or hour from 00:00 UTC, each over the
windows that end at that instant ("metrics up to the current hour at the :00 minute").
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
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
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
# ExtendedStatistic (PutMetricAlarm): pNN, tmNN, tcNN, tsNN, wmNN, IQM, PR(n:m), TC/TM/TS/WM(X%:X%).
_EXTENDED = re.compile(r"^(?:(?:p|tm|tc|ts|wm)(?:100(?:\.0+)?|\d{1,2}(?:\.\d+)?)|IQM|(?:PR|TC|TM|TS|WM)\(.+\))$")
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
    datapoints_to_alarm: int | None = None          # M; None = evaluation_periods
    treat_missing_data: str | None = None           # None = "missing" ("ignore" for AWS/DynamoDB)
    evaluation_range: int | None = None
    evaluate_low_sample_count_percentile: str = "evaluate"

    def __post_init__(self) -> None:
        where = f"alarm {self.name!r}"
        self._check_comparison(where)
        if self.treat_missing_data is None:
            object.__setattr__(self, "treat_missing_data",
                               "ignore" if self.namespace == "AWS/DynamoDB" else "missing")
        if self.treat_missing_data not in TREATMENTS:
            raise ValueError(f"{where}: treat_missing_data must be one of {', '.join(TREATMENTS)}")
        if self.evaluation_periods < 1 or not 1 <= self.m <= self.evaluation_periods:
            raise ValueError(f"{where}: need 1 <= datapoints_to_alarm <= evaluation_periods "
                             f"(got {self.datapoints_to_alarm} and {self.evaluation_periods})")
        if self.stat not in STATISTICS and not _EXTENDED.match(self.stat):
            raise ValueError(f"{where}: statistic {self.stat!r} is not one of {', '.join(STATISTICS)} "
                             "or an extended statistic (p0.0-p100, tm90, IQM, ...)")
        if self.evaluate_low_sample_count_percentile not in ("evaluate", "ignore"):
            raise ValueError(f"{where}: evaluate_low_sample_count_percentile must be one of evaluate, ignore")
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

    def _check_comparison(self, where: str) -> None:
        """A static operator takes a threshold; a band operator an anomaly band (ThresholdMetricId)."""
        if self.comparison in STATIC_OPERATORS:
            if self.threshold is None:
                raise ValueError(f"{where}: {self.comparison} needs a threshold")
            if self.band_width is not None:
                raise ValueError(f"{where}: band_width is only for the band operators "
                                 f"({', '.join(BAND_OPERATORS)}), not {self.comparison}")
        elif self.comparison in BAND_OPERATORS:
            if self.band_width is None or self.band_width <= 0:
                raise ValueError(f"{where}: {self.comparison} needs a positive band_width")
            if self.threshold is not None:
                raise ValueError(f"{where}: an anomaly detection alarm has no static threshold; "
                                 "drop threshold (the band is the threshold)")
            if self.period < 60:
                raise ValueError(f"{where}: for an anomaly detection alarm the period must be one "
                                 f"minute or longer (got {self.period}s)")
        else:
            known = ", ".join([*STATIC_OPERATORS, *BAND_OPERATORS])
            raise ValueError(f"{where}: unknown comparison {self.comparison!r}; use one of {known}")

    @property
    def m(self) -> int:
        return self.evaluation_periods if self.datapoints_to_alarm is None else self.datapoints_to_alarm

    @property
    def range_size(self) -> int:
        return self.evaluation_range or self.evaluation_periods + 2

    def describe(self) -> str:
        if self.comparison in STATIC_OPERATORS:
            return f"{STATIC_OPERATORS[self.comparison][1]} the threshold ({float(self.threshold)!r})"
        return f"{BAND_OPERATORS[self.comparison]} (width {self.band_width:g})"


def min_samples(stat: str) -> float:
    """Samples a percentile datapoint needs to be statistically significant (0: no such rule)."""
    from toolkit.cloudwatch.statistics import percentile_level

    level = percentile_level(stat)
    if level is None or level in (0.0, 1.0):
        return 0
    return 10 / (1 - level) if level >= 0.5 else 10 / level


def load_alarms(path: str | Path | None = None) -> list[Alarm]:
    """Alarms from a file: trailwatch YAML (``alarms: [...]``) or DescribeAlarms output
    (``{"MetricAlarms": [...]}``, as ``aws cloudwatch describe-alarms`` prints it); the packaged
    defaults when ``path`` is None."""
    import yaml

    path = Path(path) if path else DEFAULT_ALARMS
    if not path.exists():
        raise FileNotFoundError(f"alarm file {path} does not exist")
    doc = yaml.safe_load(path.read_text()) or {}
    if isinstance(doc, dict) and "MetricAlarms" in doc:
        try:
            alarms = alarms_from_describe(doc)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    else:
        alarms = _alarms_from_yaml(path, doc)
    names = [a.name for a in alarms]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: alarm names must be unique")
    return alarms


def _alarms_from_yaml(path: Path, doc) -> list[Alarm]:
    items = doc.get("alarms") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a mapping with an 'alarms' list (or DescribeAlarms output)")
    alarms = []
    for i, item in enumerate(items):
        try:
            alarms.append(Alarm(**item))
        except TypeError as exc:
            raise ValueError(f"{path}: alarm #{i + 1}: {exc}") from None
    return alarms


_BAND = re.compile(r"^\s*ANOMALY_DETECTION_BAND\(\s*(\w+)\s*(?:,\s*(\d*\.?\d+)\s*)?\)\s*$")
# ANOMALY_DETECTION_BAND(m1) without a width: 2, as CDK's stdDevs default (not re-read on AWS's page).
BAND_DEFAULT_WIDTH = 2.0


def alarms_from_describe(doc: dict) -> list[Alarm]:
    """Alarms from DescribeAlarms output: the ``MetricAlarms`` list in the shape AWS returns.

    A single-metric alarm, or a ``Metrics`` array of one ``MetricStat`` plus the
    ``ANOMALY_DETECTION_BAND`` named by ``ThresholdMetricId``. Omitted ``TreatMissingData`` is
    ``missing`` (``ignore`` on AWS/DynamoDB), omitted ``DatapointsToAlarm`` is ``EvaluationPeriods``.
    Metric math, Metrics Insights, PromQL and wall-clock-window alarms are refused by name.
    Composite alarms (``CompositeAlarms``) combine other alarms' states and are not read.
    """
    return [_from_metric_alarm(item) for item in doc.get("MetricAlarms") or []]


def _from_metric_alarm(item: dict) -> Alarm:
    name = item.get("AlarmName") or "?"
    where = f"alarm {name!r}"
    if item.get("EvaluationCriteria"):
        raise ValueError(f"{where}: PromQL alarms are not replayed")
    if "WallClockWindow" in (item.get("EvaluationWindow") or {}):
        raise ValueError(f"{where}: wall clock evaluation windows are not replayed (sliding windows only)")
    metric, band_width = item, None
    if item.get("Metrics"):
        metric, band_width = _metric_and_band(item, where)
    statistic, extended = metric.get("Statistic"), metric.get("ExtendedStatistic")
    if bool(statistic) == bool(extended):
        raise ValueError(f"{where}: give either Statistic or ExtendedStatistic, not both or neither")
    fields = {
        "name": name, "namespace": metric.get("Namespace"), "metric_name": metric.get("MetricName"),
        "dimensions": {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []},
        "stat": statistic or extended, "period": metric.get("Period"),
        "comparison": item.get("ComparisonOperator"), "threshold": item.get("Threshold"),
        "band_width": band_width, "evaluation_periods": item.get("EvaluationPeriods"),
        "datapoints_to_alarm": item.get("DatapointsToAlarm"),
        "treat_missing_data": item.get("TreatMissingData"),
        "evaluate_low_sample_count_percentile": item.get("EvaluateLowSampleCountPercentile") or "evaluate"}
    missing = [k for k in ("namespace", "metric_name", "period", "comparison", "evaluation_periods")
               if fields[k] is None]
    if missing:
        raise ValueError(f"{where}: no {', '.join(missing)} in the definition")
    return Alarm(**fields)


def _metric_and_band(item: dict, where: str) -> tuple[dict, float | None]:
    """(the watched metric as flat fields, band width) of an alarm defined by a Metrics array."""
    stats = [q for q in item["Metrics"] if q.get("MetricStat")]
    rest = [q for q in item["Metrics"] if not q.get("MetricStat")]
    band = _BAND.match(rest[0].get("Expression") or "") if len(rest) == 1 else None
    simple = len(stats) == 1 and (not rest or (band and rest[0].get("Id") == item.get("ThresholdMetricId")
                                               and band.group(1) == stats[0].get("Id")))
    if not simple:
        raise ValueError(f"{where}: metric math alarms (expressions other than one metric and its "
                         "ANOMALY_DETECTION_BAND) are not replayed; leave it out of the file")
    stat = stats[0]["MetricStat"]
    metric = {**stat.get("Metric", {}), "Period": stat.get("Period")}
    metric["ExtendedStatistic" if _EXTENDED.match(stat.get("Stat", "")) else "Statistic"] = stat.get("Stat")
    width = float(band.group(2) or BAND_DEFAULT_WIDTH) if band else None
    return metric, width


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


def evaluation_times(start: dt.datetime, end: dt.datetime, step: int):
    """Evaluation times in [start, end): the wall-clock multiples of ``step`` seconds (UTC)."""
    delta = dt.timedelta(seconds=step)
    t = start + dt.timedelta(seconds=-start.timestamp() % step)
    while t < end:
        yield t
        t += delta


def replay_series(alarm: Alarm, points: list[tuple[dt.datetime, float, float | None, float | None]],
                  start: dt.datetime, end: dt.datetime, *, step: int | None = None,
                  initial: Checkpoint = Checkpoint(), note: str = "",
                  samples: dict[dt.datetime, float] | None = None) -> tuple[list[dict], Checkpoint]:
    """State transitions of ``alarm`` at every evaluation in [start, end), and the end state.

    ``points`` are (window start, value, lower, upper): the statistic over
    ``[window start, window start + period)``, for window starts on the wall-clock grid of
    ``step`` seconds (the evaluation cadence; default: the alarm's period). Points before
    ``start`` prime the first evaluations. ``initial`` is the state carried over from the
    previous day. ``samples`` (SampleCount by window start) drives the low-sample rule of
    percentile alarms set to ``evaluate_low_sample_count_percentile: ignore``.
    """
    period = dt.timedelta(seconds=alarm.period)
    by_slot = {ts: (v, lo, up) for ts, v, lo, up in points}
    state, since, rows = initial.state, initial.since, []
    for t in evaluation_times(start, end, step or alarm.period):
        slots = [t - period * k for k in range(alarm.range_size, 0, -1)]
        real = [s for s in slots if s in by_slot]
        window = [None if s not in by_slot else is_breaching(alarm, *by_slot[s]) for s in slots]
        decision = evaluate(window, alarm.evaluation_periods, alarm.m, alarm.treat_missing_data, state)
        if decision.state == state or _too_few_samples(alarm, real[-alarm.evaluation_periods:], samples):
            continue
        shown = [(s, by_slot[s][0]) for s in real[-alarm.evaluation_periods:]]
        rows.append({"timestamp": t, "state": decision.state, "previous_state": state,
                     "reason": _reason(alarm, decision, shown, state) + note,
                     "breaching": decision.breaching, "evaluated": decision.evaluated,
                     "last_value": shown[-1][1] if shown else None})
        state, since = decision.state, t
    return rows, Checkpoint(state, since)


def _too_few_samples(alarm: Alarm, evaluated: list[dt.datetime], samples) -> bool:
    """EvaluateLowSampleCountPercentile ``ignore``: keep the state while the evaluated
    datapoints hold fewer samples than the percentile needs (unknown counts: evaluate)."""
    needed = min_samples(alarm.stat)
    if alarm.evaluate_low_sample_count_percentile != "ignore" or not needed or samples is None or not evaluated:
        return False
    return sum(samples.get(s, math.inf) for s in evaluated) < needed


def _reason(alarm: Alarm, d: Decision, shown: list[tuple[dt.datetime, float]], previous: str) -> str:
    """The state reason, worded like CloudWatch's (newest datapoint first)."""
    listed = ", ".join(f"{float(v)!r} ({ts:%d/%m/%y %H:%M:%S})" for ts, v in reversed(shown))
    n = alarm.evaluation_periods
    if d.state == INSUFFICIENT:
        return (f"Insufficient Data: {d.evaluated} datapoint(s) in the last {alarm.range_size} "
                f"periods, none conclusive (treat_missing_data={alarm.treat_missing_data}).")
    filled = f" and {d.filled} missing treated as {alarm.treat_missing_data}" if d.filled else ""
    verb = "was" if d.breaching == 1 else "were"
    if d.state == ALARM:
        return (f"Threshold Crossed: {d.breaching} out of the last {n} datapoints [{listed}]{filled} "
                f"{verb} {alarm.describe()} (minimum {alarm.m} datapoint{'s' * (alarm.m != 1)} for "
                f"{previous} -> ALARM transition).")
    return (f"Threshold Crossed: {d.breaching} out of the last {n} datapoints [{listed}]{filled} "
            f"{verb} {alarm.describe()}, fewer than the {alarm.m} needed for ALARM "
            f"({previous} -> OK transition).")
