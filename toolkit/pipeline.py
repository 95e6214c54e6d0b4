"""The daily pipeline's steps, one function per DAG task (the DAGs only wire these).

Each step takes ``Settings`` and a day (or a window), reads and writes its own partitions, and
returns a small JSON-able dict of URLs and counts for XCom — never data. Airflow specifics (the
day a run processes, retries, the AWS session) are in ``toolkit.orchestration``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict
from typing import Any

from toolkit.cloudwatch import detect_anomalies, rightsizing_from_lake
from toolkit.cloudwatch import export_metrics as export
from toolkit.cloudwatch import replay_alarms as replay
from toolkit.config import Settings
from toolkit.detections import run_detections
from toolkit.engines import check_model, connect
from toolkit.engines.build import build_day
from toolkit.forensics import investigate as run_investigation
from toolkit.lake import Lake, join, normalize
from toolkit.lake.maintenance import maintain
from toolkit.reports import run_report
from toolkit.sql.models import model_names
from toolkit.sql.queries import bound_query

log = logging.getLogger(__name__)


def _previous(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=1)


def create_tables(settings: Settings, day: dt.date | None = None) -> dict:
    """On Athena, create the Glue database and tables if missing (DuckDB needs nothing)."""
    if settings.engine != "athena":
        return {"engine": settings.engine, "created": False}

    connect(settings).create_tables()
    return {"engine": "athena", "created": True}


def ingest(settings: Settings, day: dt.date) -> dict:
    """Ingest ``day``; return the run's counts by day ingested.

    Locally the ingest reads the delivery folders ``day-1 .. day+1`` once each and routes every
    record to its own day, so late records of the day before land there without re-ingesting it
    (a re-ingest would read nothing new and overwrite that day's manifest with an empty run).
    Athena has no file index: it recomputes the day before as well."""
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
    manifest = ingest_day(settings.raw, settings.lake, day, endpoint_url=settings.endpoint_url)
    return {day.isoformat(): {k: manifest[k] for k in counts},
            "days_written": sorted(manifest.get("days_written", {}))}


def build_models(settings: Settings, day: dt.date) -> dict:
    """Compute every curated model's partition for ``day`` (checks run in their own task)."""
    built = build_day(connect(settings), day, check=False)
    return {model: r["url"] for model, r in built.items()}


def check_models(settings: Settings, day: dt.date) -> dict:
    """Run every model's contract checks on ``day``; fail the task if an ``error`` check fails
    (``warn`` checks are logged with sample event ids and keep the day)."""
    engine = connect(settings)
    results = {model: [r for r in check_model(engine, model, day) if not r.passed]
               for model in model_names()}
    for model, violated in results.items():
        for r in violated:
            log.warning("%s dt=%s: %s", model, day, r.describe())
    failed = {m: [r.describe() for r in v if r.fails_model] for m, v in results.items()}
    failed = {m: checks for m, checks in failed.items() if checks}
    if failed:  # a data/contract error: Airflow does not retry it (toolkit.orchestration)
        raise ValueError(f"contract checks failed for {day}: {failed}")
    return {"day": day.isoformat(), "models_checked": len(model_names())}


def detect(settings: Settings, day: dt.date) -> dict:
    """Run the rule library over ``day``; return findings counted by severity."""
    findings = run_detections(settings.lake, day, day, settings=settings)
    by_severity = findings.group_by("severity").len().rows() if findings.height else []
    return {"day": day.isoformat(), "findings": findings.height, "by_severity": dict(by_severity)}


def new_alert_findings(settings: Settings, day: dt.date) -> list[dict]:
    """``day``'s high/critical findings not alerted before (a rerun of the day alerts nothing)."""
    query = bound_query("pipeline/alert_findings", day=day.isoformat())
    rows = connect(settings).query(*query).to_dicts()
    sent = set(_alerted(settings, day))
    return [r for r in rows if r["finding_id"] not in sent]


def record_alerted(settings: Settings, day: dt.date, finding_ids: list[str]) -> None:
    """Remember which findings of ``day`` were alerted (``<lake>/_alerts/dt=D.json``)."""
    ids = sorted(set(_alerted(settings, day)) | set(finding_ids))
    Lake.at(settings.lake, settings.endpoint_url).write_text(_alerts_url(settings, day),
                                                            json.dumps(ids))


def _alerts_url(settings: Settings, day: dt.date) -> str:
    return join(normalize(settings.lake), "_alerts", f"dt={day.isoformat()}.json")


def _alerted(settings: Settings, day: dt.date) -> list[str]:
    lake, url = Lake.at(settings.lake, settings.endpoint_url), _alerts_url(settings, day)
    if not lake.exists(url):
        return []
    with lake.fs.open(url, "r") as fh:
        return json.load(fh)


def maintain_lake(settings: Settings, day: dt.date | None = None) -> dict:
    """Expire Iceberg snapshots older than 7 days and remove orphan files (``lake maintain``)."""
    results = maintain(settings.lake_handle(), dt.timedelta(days=7))
    return {"tables": len(results),
            "snapshots_expired": sum(r["snapshots_expired"] for r in results.values()),
            "files_removed": sum(r["files_removed"] for r in results.values())}


def export_metrics(settings: Settings, day: dt.date) -> dict:
    """Export ``day``'s CloudWatch metrics of every configured region into the lake."""
    result = {}
    chosen = {"namespaces": settings.metric_namespaces} if settings.metric_namespaces else {}
    for region in settings.metric_regions or (settings.region,):
        summary = _as_dict(export(settings.lake, day, region=region, account_id=settings.account_id,
                                  endpoint_url=settings.endpoint_url, **chosen))
        result[region] = {k: summary[k] for k in ("metrics_requested", "rows_written", "api_cost_usd",
                                                  "skipped_stats", "warnings")}
    return result


def anomaly_bands(settings: Settings, day: dt.date) -> dict:
    """Score ``day``'s metrics against their seasonal baseline (writes the anomalies partition)."""
    return _as_dict(detect_anomalies(settings.lake, day, endpoint_url=settings.endpoint_url))


def replay_alarms(settings: Settings, day: dt.date) -> dict:
    """Replay the alarm definitions over ``day`` (writes the alarm_states partition)."""
    transitions = replay(settings.lake, day, day, endpoint_url=settings.endpoint_url)
    return {"day": day.isoformat(), "transitions": transitions.height}


def rightsizing(settings: Settings, day: dt.date) -> dict:
    """Rightsizing recommendations over the 14 days ending on ``day`` (a count and the savings)."""
    recs = rightsizing_from_lake(settings.lake, day)
    downsize = recs.filter(recs["action"] == "downsize")
    return {"day": day.isoformat(), "instances": recs.height, "downsize": downsize.height,
            "monthly_savings_usd": round(float(downsize["monthly_savings_usd"].sum()), 2)}


def cost_report(settings: Settings, start: dt.date, end: dt.date, run_id: str) -> dict:
    """Render the cost notebook for [start, end] under its own path per run."""
    return _report(settings, "cost", {"start": start.isoformat(), "end": end.isoformat()}, run_id)


def investigate(settings: Settings, params: dict[str, Any], run_id: str) -> dict:
    """Investigate the subject in ``params``; evidence and tables go under the run's path."""
    out = join(settings.reports_root, "forensic", _safe(run_id), "investigation")
    result = run_investigation(settings.lake, (params["subject_type"], params["subject"]),
                               params["start"], params["end"], settings=settings, out=out)
    return {"out": out, "events": result.timeline.height}


def forensic_report(settings: Settings, params: dict[str, Any], run_id: str,
                    investigation: str = "") -> dict:
    """Render the forensic notebook for the subject in ``params``; with ``investigation`` (the
    folder ``investigate`` saved) the notebook loads it instead of investigating again."""
    keys = ("subject", "subject_type", "start", "end")
    return _report(settings, "forensic", {**{k: params[k] for k in keys},
                                          "investigation": investigation}, run_id)


def _report(settings: Settings, report: str, parameters: dict[str, Any], run_id: str) -> dict:
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

    return asdict(summary)
