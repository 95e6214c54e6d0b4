"""`trailwatch demo`: a sample AWS account through the whole product, driven by Airflow.

Steps: generate a sample account (with its incident and metric shift) ending yesterday, start
moto's server on 127.0.0.1 acting as the sample account, load the sample's CloudWatch datapoints
(a small set into moto for the DAG's export step, the rest straight into the lake: see
``toolkit.demo.sample_metrics``), run the DAGs for each day through Airflow, run the cost and
forensic reports, verify the digests, stop the server by PID, and print a summary.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_DAYS = 7
DEFAULT_EVENTS_PER_DAY = 5_000


def demo_environment(out: Path, endpoint_url: str | None) -> dict[str, str]:
    """Environment for the demo's Airflow and toolkit processes (no real AWS credentials)."""
    from toolkit.resources import folder

    env = dict(os.environ)
    env.update(
        TRAILWATCH_LAKE=str(out / "lake"),
        TRAILWATCH_RAW=str(out / "sample" / "raw"),
        TRAILWATCH_REPORTS=str(out / "reports"),
        TRAILWATCH_ENGINE="duckdb",
        AIRFLOW_HOME=str(out / "airflow"),
        AIRFLOW__CORE__DAGS_FOLDER=str(folder("dags")),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1",
    )
    for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        env.pop(key, None)
    if endpoint_url:
        env["AWS_ENDPOINT_URL"] = endpoint_url
        env["AIRFLOW_CONN_AWS_DEFAULT"] = json.dumps(
            {"conn_type": "aws", "extra": {"endpoint_url": endpoint_url, "region_name": "us-east-1"}})
    return env


def run_demo(out: Path, days: int = DEFAULT_DAYS, events_per_day: int = DEFAULT_EVENTS_PER_DAY,
             seed: int = 7) -> dict:
    """Run the whole demo into ``out``; return the summary it prints."""
    from toolkit.demo.sample_metrics import load_sample_metrics
    from toolkit.demo.services import MotoServer
    from toolkit.sample import generate_account

    out = Path(out).resolve()
    started = time.monotonic()
    print(f"trailwatch demo: writing everything under {out}")
    # The window ends yesterday so CloudWatch's retention rules treat the data as recent.
    end = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=days - 1)
    generate_account(out / "sample", start=start, days=days, events_per_day=events_per_day, seed=seed)
    truth = json.loads((out / "sample" / "truth" / "incident.json").read_text())
    account = truth["accounts"][0]["account_id"]
    with MotoServer(account_id=account) as moto:
        env = demo_environment(out, moto.url)
        # This process talks only to the loopback moto server too: same fake credentials.
        os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                               "AWS_DEFAULT_REGION")})
        os.environ.pop("AWS_SESSION_TOKEN", None)
        loaded = load_sample_metrics(out / "sample", env["TRAILWATCH_LAKE"], moto.url,
                                     account_id=account, region=env["AWS_REGION"])
        env.update(loaded["env"], TRAILWATCH_ACCOUNT_ID=account)
        forensic = {"subject_type": "access_key", "subject": truth["incident"]["access_key_id"],
                    "start": start.isoformat(), "end": end.isoformat()}
        runs = _run_dags(env, start, end, forensic)
    verification = _verify(out, start, end)
    summary = _summary(out, start, end, runs, verification, time.monotonic() - started)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _run_dags(env: dict, start: dt.date, end: dt.date, forensic: dict) -> list[dict]:
    cmd = [sys.executable, "-m", "toolkit.demo.airflow_runs", "--start", start.isoformat(),
           "--end", end.isoformat(), "--forensic-conf", json.dumps(forensic)]
    log = Path(env["AIRFLOW_HOME"]) / "demo-runs.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=fh, text=True)
    runs = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    for r in runs:
        mark = "ok " if r["state"].endswith("success") else "FAILED"
        print(f"  airflow {mark} {r['dag_id']:<24} {r['day'] or ''} {' '.join(r['failed_tasks'])}")
    if proc.returncode != 0:
        raise RuntimeError(f"a DAG run failed; Airflow's log: {log}")
    return runs


def _verify(out: Path, start: dt.date, end: dt.date):
    """Validate the sample's digests over its days. The sample trail stops delivering about an
    hour after ``end``, so a range reaching into ``end+1`` would rightly be reported as a digest
    chain that ends early (``verify`` expects digests up to the end of the range, or now)."""
    from toolkit.integrity.verify import verify

    keys = json.loads((out / "sample" / "public-keys.json").read_text())
    return verify(str(out / "sample" / "raw"), start, end, keys)


def _summary(out: Path, start: dt.date, end: dt.date, runs: list[dict], verification,
             seconds: float) -> dict:
    """What the demo made: counts from the run manifests and findings, report paths, timing."""
    import polars as pl

    from toolkit.lake import Lake, day_range

    lake = Lake.at(str(out / "lake"))
    manifests = [json.loads(Path(lake.partition("ingest_runs", d) + ".json").read_text())
                 for d in day_range(start, end)]
    findings = pl.read_parquet(lake.files("findings")) if lake.files("findings") else pl.DataFrame()
    by_severity = dict(findings.group_by("severity").len().rows()) if findings.height else {}
    summary = {
        "window": f"{start} .. {end}",
        "events_ingested": sum(m["records_written"] for m in manifests),
        "duplicates_dropped": sum(m["duplicates_dropped"] for m in manifests),
        "files_quarantined": sum(m["files_quarantined"] for m in manifests),
        "records_quarantined": sum(m["records_quarantined"] for m in manifests),
        "findings_by_severity": by_severity,
        "top_cost_items": _top_cost_items(lake, start, end),
        "digests": verification.as_dict() | {"problems": verification.problems[:5]},
        "reports": sorted(str(p) for p in (out / "reports").rglob("*.html")),
        "airflow_runs": len(runs),
        "seconds": round(seconds, 1),
    }
    _print_summary(out, summary)
    return summary


def _top_cost_items(lake, start: dt.date, end: dt.date, top: int = 5) -> list[dict]:
    """The largest monthly logging/monitoring lines, from the same estimators as the cost report."""
    from toolkit.cloudwatch import read_metrics
    from toolkit.config import Settings
    from toolkit.cost.trail_logging import (
        cloudtrail_logging_cost,
        cloudwatch_monitoring_cost,
        cloudwatch_usage,
        logging_totals,
    )
    from toolkit.engines import connect
    from toolkit.reports.cost import logging_volume

    days = (end - start).days + 1
    volume = logging_volume(connect(Settings.from_env({}, lake=lake.root)), start, end)
    watch = cloudwatch_monitoring_cost(cloudwatch_usage(read_metrics(lake.root, start, end)))
    totals = logging_totals(cloudtrail_logging_cost(volume, days), watch)
    return totals.filter(totals["monthly_usd"] > 0).head(top).select("item", "monthly_usd").to_dicts()


def _print_summary(out: Path, s: dict) -> None:
    sev = ", ".join(f"{k}: {v}" for k, v in sorted(s["findings_by_severity"].items())) or "none"
    print(f"""
trailwatch demo — {s['window']}, done in {s['seconds']} s ({s['airflow_runs']} Airflow DAG runs)
  events ingested      {s['events_ingested']:,} ({s['duplicates_dropped']:,} duplicate deliveries dropped)
  quarantined          {s['files_quarantined']} files, {s['records_quarantined']} records
  findings             {sev}
  digests              {'all valid' if s['digests']['ok'] else s['digests']['problem_counts']} \
({s['digests']['log_files_checked']} log files, {s['digests']['digests_checked']} digests)
  top cost items""")
    for item in s["top_cost_items"]:
        print(f"    {item['item']:<48} ${item['monthly_usd']:>10,.2f}/month")
    print("  reports")
    for path in s["reports"]:
        print(f"    {path}")
    print(f"""
Next:
  JupyterLab: .venv/bin/pip install jupyterlab && .venv/bin/jupyter lab
      then, with the "trailwatch (Python 3)" kernel:
      from toolkit.engines import connect; from toolkit.config import Settings
      engine = connect(Settings.from_env(lake="{out / 'lake'}"))
      engine.query("select event_name, count(*) n from events group by 1 order by n desc")
  Airflow UI: make airflow-ui   (http://127.0.0.1:8080, Ctrl-C to stop)
  Summary:    {out / 'summary.json'}""")  # noqa: S608 - a printed hint, not executed
