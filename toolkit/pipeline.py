"""The daily pipeline's steps, one function per DAG task (the DAGs only wire these).

Each step takes ``Settings`` and a day (or a window), reads and writes its own partitions, and
returns a small JSON-able dict of URLs and counts for XCom — never data.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from toolkit.config import Settings
from toolkit.lake import parse_day

AWS_CONN_ID = "aws_default"
DEFAULT_ARGS = {"owner": "trailwatch", "retries": 2, "retry_delay": dt.timedelta(minutes=5)}


def daily_dag(*tags: str) -> dict:
    """``@dag`` arguments shared by the daily DAGs: one run per UTC day, after the day ends."""
    import pendulum
    from airflow.sdk import CronDataIntervalTimetable

    return {"schedule": CronDataIntervalTimetable("@daily", timezone="UTC"),
            "start_date": pendulum.datetime(2025, 1, 1, tz="UTC"), "catchup": False,
            "max_active_runs": 1, "default_args": DEFAULT_ARGS, "tags": ["trailwatch", *tags]}


def day_task(step: str):
    """A TaskFlow task running ``pipeline.<step>(settings, day)`` for the data interval's day.

    Each task reads and writes its own partitions and returns a small dict (XCom).
    """
    from airflow.sdk import task

    @task(task_id=step)
    def run(data_interval_start=None) -> dict:
        from toolkit import pipeline

        return getattr(pipeline, step)(pipeline.task_settings(), data_interval_start.date())

    run.__doc__ = globals()[step].__doc__
    return run()


def task_settings(conn_id: str = AWS_CONN_ID) -> Settings:
    """Settings inside an Airflow task: environment, then the AWS connection's extras.

    The connection is optional (local runs need none). Its ``endpoint_url`` extra points boto3,
    s3fs and DuckDB at moto's server or another S3-compatible store; its login/password, when
    set, become the AWS credentials of this task process only. Nothing is logged.
    """
    settings = Settings.from_env()
    conn = _connection(conn_id)
    if conn is None:
        return settings
    extra = conn.extra_dejson or {}
    endpoint = extra.get("endpoint_url") or extra.get("host")
    region = extra.get("region_name")
    if conn.login and conn.password:
        os.environ["AWS_ACCESS_KEY_ID"] = conn.login
        os.environ["AWS_SECRET_ACCESS_KEY"] = conn.password
    if endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
    return settings.with_overrides(endpoint_url=endpoint, region=region)


def _connection(conn_id: str):
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception:  # AirflowNotFoundException: no connection configured is fine locally
        return None


def report_period(params: dict[str, Any] | None, interval_end: dt.date) -> tuple[dt.date, dt.date]:
    """The report window: explicit ``start``/``end`` params, else ``days`` up to the interval end."""
    params = params or {}
    if params.get("start") and params.get("end"):
        return parse_day(params["start"]), parse_day(params["end"])
    days = int(params.get("days") or 7)
    end = interval_end - dt.timedelta(days=1)
    return end - dt.timedelta(days=days - 1), end


def _previous(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=1)


def create_tables(settings: Settings, day: dt.date | None = None) -> dict:
    """On Athena, create the Glue database and tables if missing (DuckDB needs nothing)."""
    if settings.engine != "athena":
        return {"engine": settings.engine, "created": False}
    from toolkit.engines import connect

    connect(settings).create_tables()
    return {"engine": "athena", "created": True}


def ingest(settings: Settings, day: dt.date) -> dict:
    """Ingest ``day`` and re-ingest the day before (late deliveries); return both manifests' counts."""
    if settings.engine == "athena":
        from toolkit.engines import connect

        engine = connect(settings)
        return {d.isoformat(): {"url": engine.run_model("events_from_raw", d)}
                for d in (_previous(day), day)}
    if not settings.raw:
        raise ValueError("no raw CloudTrail location: set TRAILWATCH_RAW")
    from toolkit.cloudtrail import ingest_day

    counts = ("files_read", "files_quarantined", "records_written", "duplicates_dropped",
              "records_quarantined")
    result = {}
    for d in (_previous(day), day):
        manifest = ingest_day(settings.raw, settings.lake, d, endpoint_url=settings.endpoint_url)
        result[d.isoformat()] = {k: manifest[k] for k in counts}
    return result


def build_models(settings: Settings, day: dt.date) -> dict:
    """Compute every curated model's partition for ``day`` (checks run in their own task)."""
    from toolkit.engines import connect
    from toolkit.engines.build import build_day

    built = build_day(connect(settings), day, check=False)
    return {model: r["url"] for model, r in built.items()}


def check_models(settings: Settings, day: dt.date) -> dict:
    """Run every model's contract checks on ``day``; fail the task if any check fails."""
    from toolkit.engines import check_model, connect
    from toolkit.sqlfiles import model_names

    engine = connect(settings)
    failed = {model: [r.check for r in check_model(engine, model, day) if not r.passed]
              for model in model_names()}
    failed = {m: checks for m, checks in failed.items() if checks}
    if failed:
        raise RuntimeError(f"contract checks failed for {day}: {failed}")
    return {"day": day.isoformat(), "models_checked": len(model_names())}


def detect(settings: Settings, day: dt.date) -> dict:
    """Run the rule library over ``day``; return findings counted by severity."""
    from toolkit.detections import run_detections

    findings = run_detections(settings.lake, day, day, settings=settings)
    by_severity = findings.group_by("severity").len().rows() if findings.height else []
    return {"day": day.isoformat(), "findings": findings.height, "by_severity": dict(by_severity)}


def maintain_lake(settings: Settings, day: dt.date | None = None) -> dict:
    """Expire Iceberg snapshots older than 7 days and remove orphan files (``lake maintain``)."""
    from toolkit.lake.maintenance import maintain

    results = maintain(settings.lake_handle(), dt.timedelta(days=7))
    return {"tables": len(results),
            "snapshots_expired": sum(r["snapshots_expired"] for r in results.values()),
            "files_removed": sum(r["files_removed"] for r in results.values())}


def export_metrics(settings: Settings, day: dt.date) -> dict:
    """Export ``day``'s CloudWatch metrics of every configured region into the lake."""
    from toolkit.cloudwatch import export_metrics as export

    result = {}
    for region in settings.metric_regions or (settings.region,):
        summary = _as_dict(export(settings.lake, day, region=region, account_id=settings.account_id,
                                  endpoint_url=settings.endpoint_url))
        result[region] = {k: summary[k] for k in ("metrics_requested", "rows_written", "api_cost_usd",
                                                  "warnings")}
    return result


def anomaly_bands(settings: Settings, day: dt.date) -> dict:
    """Score ``day``'s metrics against their seasonal baseline (writes the anomalies partition)."""
    from toolkit.cloudwatch import detect_anomalies

    return _as_dict(detect_anomalies(settings.lake, day, endpoint_url=settings.endpoint_url))


def replay_alarms(settings: Settings, day: dt.date) -> dict:
    """Replay the alarm definitions over ``day`` (writes the alarm_states partition)."""
    from toolkit.cloudwatch import replay_alarms as replay

    transitions = replay(settings.lake, day, day, endpoint_url=settings.endpoint_url)
    return {"day": day.isoformat(), "transitions": transitions.height}


def rightsizing(settings: Settings, day: dt.date) -> dict:
    """Rightsizing recommendations over the 14 days ending on ``day`` (a count and the savings)."""
    from toolkit.cloudwatch import rightsizing_from_lake

    recs = rightsizing_from_lake(settings.lake, day)
    downsize = recs.filter(recs["action"] == "downsize")
    return {"day": day.isoformat(), "instances": recs.height, "downsize": downsize.height,
            "monthly_savings_usd": round(float(downsize["monthly_savings_usd"].sum()), 2)}


def cost_report(settings: Settings, start: dt.date, end: dt.date, run_id: str) -> dict:
    """Render the cost notebook for [start, end] under its own path per run."""
    return _report(settings, "cost", {"start": start.isoformat(), "end": end.isoformat()}, run_id)


def investigate(settings: Settings, params: dict[str, Any], run_id: str) -> dict:
    """Investigate the subject in ``params``; evidence and tables go under the run's path."""
    from toolkit.forensics import investigate as run_investigation
    from toolkit.lake import join

    out = join(settings.reports_root, "forensic", _safe(run_id), "investigation")
    result = run_investigation(settings.lake, (params["subject_type"], params["subject"]),
                               params["start"], params["end"], settings=settings, out=out)
    return {"out": out, "events": result.timeline.height}


def forensic_report(settings: Settings, params: dict[str, Any], run_id: str) -> dict:
    """Render the forensic notebook for the subject in ``params``."""
    keys = ("subject", "subject_type", "start", "end")
    return _report(settings, "forensic", {k: params[k] for k in keys}, run_id)


def _report(settings: Settings, report: str, parameters: dict[str, Any], run_id: str) -> dict:
    from toolkit.lake import join
    from toolkit.reports import run_report

    out = join(settings.reports_root, report, _safe(run_id))
    run = run_report(report, out, {"lake": settings.lake, "engine": settings.engine, **parameters},
                     run_id=_safe(run_id))
    return {"html": run.html, "notebook": run.notebook}


def _safe(run_id: str) -> str:
    """A run id usable as one path segment (Airflow's contain ':' and '+')."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)


def _as_dict(summary: Any) -> dict:
    if isinstance(summary, dict):
        return summary
    if hasattr(summary, "as_dict"):
        return summary.as_dict()
    from dataclasses import asdict

    return asdict(summary)
