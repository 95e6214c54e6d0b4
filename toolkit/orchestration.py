"""Airflow wiring shared by the DAGs: schedule, the day a run processes, retries, AWS session.

* The day: a ``day`` param if given; else the run's data interval (a scheduled run, or a manual
  run with a logical date) -- ``[D, D+1)`` processes D, so the run at D+1 00:00 UTC does D;
  else (a manual run without a logical date, Airflow 3's default) the latest complete UTC day
  before the run was triggered. The first task (``resolve_day``) decides it once per run.
* Retries: only transient failures (throttling, network, a concurrent commit) are retried,
  with exponential backoff; anything else (bad params, contract violations, missing data) fails
  the task at once with ``AirflowFailException``.
* AWS: ``task_settings`` builds the session from the amazon provider's ``AwsBaseHook``
  (``aws_conn_id``: keys, role assumption, region, ``endpoint_url``) and hands it to
  ``toolkit.aws``, which every client, s3fs, pyiceberg and pyathena use.

Nothing here runs at import time; Airflow is imported inside functions.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

from toolkit import aws, pipeline
from toolkit.config import Settings
from toolkit.lake import parse_day

log = logging.getLogger(__name__)

AWS_CONN_ID = "aws_default"
MAX_ACTIVE_RUNS = 4  # days run in parallel; each task writes only its own day's partitions

# Error codes AWS documents as retryable (throttling, capacity, transient server faults).
TRANSIENT_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestThrottled",
    "RequestThrottledException", "SlowDown", "ServiceUnavailable", "ServiceUnavailableException",
    "InternalError", "InternalFailure", "InternalServerError", "InternalServerException",
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
    "BandwidthLimitExceeded", "EC2ThrottledException",
})
TRANSIENT_TYPES = frozenset({  # by class name: botocore, aiohttp and urllib3 network errors
    "EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError", "ConnectTimeoutError",
    "ClientConnectionError", "ClientConnectorError", "ServerDisconnectedError",
    "ServerTimeoutError", "ProtocolError", "CommitConflictError",
})
TRANSIENT_PHRASES = ("throttl", "rate exceeded", "slow down", "too many requests",
                     "reduce your request rate")


def default_args() -> dict:
    """Task defaults: fail fast on deterministic errors (see ``run_step``), back off otherwise."""
    from toolkit.notify import FailureNotifier

    return {"owner": "trailwatch", "retries": 3, "retry_delay": dt.timedelta(seconds=30),
            "retry_exponential_backoff": True, "max_retry_delay": dt.timedelta(minutes=10),
            "on_failure_callback": FailureNotifier()}


def daily_dag(*tags: str) -> dict:
    """``@dag`` arguments shared by the daily DAGs: one run per UTC day, after the day ends."""
    import pendulum
    from airflow.sdk import CronDataIntervalTimetable, Param

    return {"schedule": CronDataIntervalTimetable("@daily", timezone="UTC"),
            "start_date": pendulum.datetime(2025, 1, 1, tz="UTC"), "catchup": False,
            "max_active_runs": MAX_ACTIVE_RUNS, "default_args": default_args(),
            "tags": ["trailwatch", *tags],
            "params": {"day": Param(None, type=["null", "string"], format="date",
                                    description="Day to process (YYYY-MM-DD); empty: the run's "
                                                "data interval, or the latest complete day")}}


def resolve_day(params: dict | None, data_interval_start: Any, run_after: Any,
                today: dt.date | None = None) -> dt.date:
    """The day a run processes (see the module doc); a future or unfinished day is refused."""
    today = today or dt.datetime.now(dt.UTC).date()
    if params and params.get("day"):
        day = parse_day(params["day"])
    elif data_interval_start is not None:
        day = data_interval_start.date()
    else:
        triggered = run_after.date() if run_after is not None else today
        day = triggered - dt.timedelta(days=1)
    if day >= today:
        raise ValueError(f"day {day} has not ended yet (UTC); the latest complete day is "
                         f"{today - dt.timedelta(days=1)}")
    return day


def day_tasks(*steps: str):
    """``resolve_day`` then one task per step; returns {step: task} for wiring."""
    from airflow.sdk import get_current_context, task

    @task(task_id="resolve_day")
    def resolve() -> str:
        context = get_current_context()
        dag_run = context["dag_run"]
        day = run_step(resolve_day, context.get("params"), context.get("data_interval_start"),
                       getattr(dag_run, "run_after", None))
        log.info("this run processes %s (UTC)", day)
        return day.isoformat()

    day = resolve()
    return day, {step: day_task(step, day) for step in steps}


# Steps whose day D continues from day D-1's result (alarm replay resumes the state checkpointed
# at the end of D-1): with parallel runs, each waits for the previous run's same step.
CHAINED_STEPS = frozenset({"replay_alarms"})


def day_task(step: str, day):
    """A task running ``pipeline.<step>(settings, day)`` for the day ``resolve_day`` chose."""
    from airflow.sdk import task

    @task(task_id=step, depends_on_past=step in CHAINED_STEPS)
    def run(day: str) -> dict:
        return run_step(getattr(pipeline, step), task_settings(), parse_day(day))

    run.__doc__ = getattr(pipeline, step).__doc__
    return run(day)


def alert_task(day):
    """Send the day's new high/critical findings to the alert channel (``toolkit.notify``)."""
    from airflow.sdk import get_current_context, task

    @task(task_id="alert_new_findings")
    def alert(day: str) -> dict:
        from toolkit.notify import findings_message, send

        settings, parsed = task_settings(), parse_day(day)
        new = run_step(pipeline.new_alert_findings, settings, parsed)
        if new:
            run_step(send, *findings_message(day, new), get_current_context())
            run_step(pipeline.record_alerted, settings, parsed, [f["finding_id"] for f in new])
        log.info("%d new high/critical finding(s) alerted for %s", len(new), day)
        return {"day": day, "new_findings_alerted": len(new)}

    return alert(day)


def run_step(function, *args, **kwargs):
    """Call a pipeline step; a non-transient error becomes AirflowFailException (no retry)."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        return function(*args, **kwargs)
    except AirflowFailException:
        raise
    except Exception as exc:
        if is_transient(exc):
            log.warning("transient failure, Airflow will retry: %s: %s", type(exc).__name__, exc)
            raise
        raise AirflowFailException(f"{type(exc).__name__}: {exc} (not retried: "
                                   "retrying cannot change this outcome)") from exc


def is_transient(exc: BaseException) -> bool:
    """Throttling, a network failure or a concurrent commit, anywhere in the cause chain."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return True
        if {c.__name__ for c in type(exc).__mro__} & TRANSIENT_TYPES:
            return True
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            error = response.get("Error") or {}
            status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
            if error.get("Code") in TRANSIENT_CODES or status in (500, 502, 503, 504):
                return True
        if any(p in str(exc).lower() for p in TRANSIENT_PHRASES):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def task_settings(conn_id: str | None = None) -> Settings:
    """Settings inside an Airflow task, the AWS session from the connection put in use.

    ``conn_id`` (default ``TRAILWATCH_AWS_CONN_ID`` or ``aws_default``) is read through
    ``AwsBaseHook``: access keys, ``role_arn`` (assumed), ``region_name``, ``endpoint_url``
    and profiles all work as the amazon provider documents. A missing ``aws_default`` means
    boto3's default chain (instance or pod role); a missing connection named explicitly is
    an error. Nothing is logged or put into ``os.environ``.
    """
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    explicit = conn_id or os.environ.get("TRAILWATCH_AWS_CONN_ID")
    conn_id = explicit or AWS_CONN_ID
    hook = AwsBaseHook(aws_conn_id=conn_id)
    config = hook.conn_config
    if not config and explicit and explicit != AWS_CONN_ID:  # wrapper is falsy: no connection
        raise ValueError(f"Airflow connection {explicit!r} (TRAILWATCH_AWS_CONN_ID) not found")
    settings = Settings.from_env()
    region = config.region_name or settings.region
    endpoint = config.endpoint_url or settings.endpoint_url
    aws.use_session(hook.get_session(region_name=region), region=region, endpoint_url=endpoint)
    return settings.with_overrides(endpoint_url=endpoint, region=region)


def report_period(params: dict | None, data_interval_end: Any, run_after: Any,
                  today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The report window: ``start``/``end`` params, else ``days`` up to the latest complete day.

    The end is the day before the data interval's end (a scheduled or dated run), else the day
    before the run was triggered. Both or neither of ``start``/``end``; start <= end.
    """
    params = params or {}
    if bool(params.get("start")) != bool(params.get("end")):
        raise ValueError("give both params start and end, or neither (then `days` is used)")
    if params.get("start"):
        start, end = parse_day(params["start"]), parse_day(params["end"])
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        return start, end
    days = int(params.get("days") or 7)
    anchor = data_interval_end or run_after
    last = (anchor.date() if anchor is not None else today or dt.datetime.now(dt.UTC).date())
    end = last - dt.timedelta(days=1)
    return end - dt.timedelta(days=days - 1), end
