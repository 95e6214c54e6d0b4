"""End to end through Airflow: dag.test() of the daily DAGs on a sample account day.

Real Airflow (SQLite metadata DB), real moto server over HTTP for CloudWatch and for the alert
channel (SNS topic -> SQS queue), DuckDB for SQL. CloudWatch is split as in the demo
(``toolkit.demo.sample_metrics``): the DAG's export step reads the home region's RDS series back
from moto over HTTP; the sample's other series are written straight into the lake. The
incident day is run so detections have something to find; it is run the way
`airflow dags trigger` runs it in Airflow 3 -- without a logical date -- so it must resolve to
the latest complete day (the sample ends yesterday).
"""

from __future__ import annotations

import datetime as dt
import json
import os

import pendulum
import polars as pl
import pytest

from toolkit.lake import Lake

pytestmark = pytest.mark.slow

DAYS = 2  # the sample's incident falls on its last day for a 2-day account


@pytest.fixture(scope="module")
def sample_env(airflow_home, tmp_path_factory):
    from toolkit.demo.sample_metrics import load_sample_metrics
    from toolkit.demo.services import MotoServer
    from toolkit.sample import generate_account

    out = tmp_path_factory.mktemp("dag_sample")
    end = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=DAYS - 1)
    generate_account(out / "sample", start=start, days=DAYS, events_per_day=1500, seed=11)
    truth = json.loads((out / "sample" / "truth" / "incident.json").read_text())
    account = truth["accounts"][0]["account_id"]
    with MotoServer(account_id=account) as moto:
        loaded = load_sample_metrics(out / "sample", str(out / "lake"), moto.url, account_id=account,
                                     region="us-east-1")
        topic, queue = _alert_topic(moto.url)
        saved = dict(os.environ)
        os.environ.update(
            TRAILWATCH_ALERT_CHANNEL="sns", TRAILWATCH_ALERT_TARGET=topic,
            TRAILWATCH_LAKE=str(out / "lake"), TRAILWATCH_RAW=str(out / "sample" / "raw"),
            TRAILWATCH_REPORTS=str(out / "reports"), TRAILWATCH_ENGINE="duckdb",
            TRAILWATCH_ACCOUNT_ID=account, **loaded["env"],
            AIRFLOW_CONN_AWS_DEFAULT=json.dumps({"conn_type": "aws", "extra": {"endpoint_url": moto.url}}),
        )
        yield {"out": out, "start": start, "end": end, "truth": truth,
               "lake": Lake.at(str(out / "lake")), "queue": queue, "moto": moto.url}
        os.environ.clear()
        os.environ.update(saved)


def _alert_topic(endpoint: str) -> tuple[str, str]:
    """An SNS topic delivering to an SQS queue on moto's server: what an operator subscribes."""
    import boto3

    sns = boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    topic = sns.create_topic(Name="trailwatch-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="trailwatch-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, queue


def _after(day: dt.date):
    """dag.test infers the manual interval ending at its logical date: D+1 00:00 runs day D."""
    return pendulum.datetime(day.year, day.month, day.day, tz="UTC").add(days=1)


def _succeeded(dag_run) -> None:
    """Check right after the run: a later dag.test(logical_date=None) clears every task instance
    of the DAG (Airflow's test harness), so states are read before that."""
    failed = {ti.task_id: ti.state for ti in dag_run.get_task_instances() if ti.state != "success"}
    assert not failed, failed
    assert str(dag_run.state).endswith("success")


@pytest.fixture(scope="module")
def daily_runs(dagbag, sample_env):
    """Both sample days through cloudtrail_daily and cloudwatch_daily, as the scheduler would."""
    runs = {}
    for day in (sample_env["start"], sample_env["end"]):
        for dag_id in ("cloudtrail_daily", "cloudwatch_daily"):
            # The last day as `airflow dags trigger` does it in Airflow 3: no logical date.
            when = {"logical_date": None} if day == sample_env["end"] else {"logical_date": _after(day)}
            run = dagbag.dags[dag_id].test(**when)
            runs[dag_id, day] = {"run": run, "ok": _outcome(run), "day": _xcom(run, "resolve_day")}
    return runs


def _outcome(run):
    try:
        _succeeded(run)
        return True
    except AssertionError as exc:
        return str(exc)


def _xcom(dag_run, task_id):
    ti = next(t for t in dag_run.get_task_instances() if t.task_id == task_id)
    return ti.xcom_pull(task_ids=task_id)


def test_cloudtrail_daily_end_to_end(dagbag, sample_env, daily_runs):
    day, lake = sample_env["end"], sample_env["lake"]
    for d in (sample_env["start"], day):
        assert daily_runs["cloudtrail_daily", d]["ok"] is True, daily_runs["cloudtrail_daily", d]
        assert daily_runs["cloudtrail_daily", d]["day"] == d.isoformat()
    assert daily_runs["cloudtrail_daily", sample_env["start"]]["run"].data_interval_start.date() == \
        sample_env["start"]
    assert daily_runs["cloudtrail_daily", day]["run"].logical_date is None  # latest complete day
    # The day and the day before (late deliveries) are ingested, with their manifests.
    for d in (day, day - dt.timedelta(days=1)):
        assert lake.files("events", d), f"no events partition for {d}"
    from toolkit.sql.models import model_names

    for model in model_names():
        if model.startswith("cur_"):
            assert lake.exists(lake.partition(f"curated/{model}", day)), model
    findings = pl.read_parquet(lake.files("findings", day))
    found = {e for ids in findings["event_ids"].to_list() for e in ids}
    steps = sample_env["truth"]["incident"]["steps"]
    missed = [s["step"] for s in steps if not set(s["event_ids"]) & found]
    assert not missed, f"incident steps without a finding: {missed}"
    # Re-running the day (a later manual run for the same interval) changes nothing.
    before = pl.read_parquet(lake.files("events", day)).sort("event_id")
    _succeeded(dagbag.dags["cloudtrail_daily"].test(logical_date=_after(day).add(minutes=5)))
    assert pl.read_parquet(lake.files("events", day)).sort("event_id").equals(before)


def test_cloudwatch_daily_end_to_end(sample_env, daily_runs):
    lake = sample_env["lake"]
    for day in (sample_env["start"], sample_env["end"]):
        assert daily_runs["cloudwatch_daily", day]["ok"] is True, daily_runs["cloudwatch_daily", day]
    day = sample_env["end"]
    metrics = pl.read_parquet(lake.files("metrics", day))
    assert {"AWS/EC2", "AWS/RDS", "AWS/Lambda", "AWS/ApplicationELB"} <= set(metrics["namespace"])
    assert lake.files("anomalies", day)
    # The export step read the RDS series back from moto's server; moto refuses percentiles.
    exported = _xcom(daily_runs["cloudwatch_daily", day]["run"], "export_metrics")["us-east-1"]
    assert exported["metrics_requested"] > 0 and exported["skipped_stats"] == ["p95"]
    rds = metrics.filter((pl.col("namespace") == "AWS/RDS") & (pl.col("region") == "us-east-1"))
    assert rds.height > 0 and metrics.height == exported["rows_written"]  # the others were kept
    assert set(rds["stat"]) == {"Average", "Maximum", "Minimum", "Sum", "SampleCount"}


def test_forensic_investigation_with_params(dagbag, sample_env, daily_runs):
    truth = sample_env["truth"]["incident"]
    conf = {"subject_type": "access_key", "subject": truth["access_key_id"],
            "start": sample_env["start"].isoformat(), "end": sample_env["end"].isoformat()}
    _succeeded(dagbag.dags["forensic_investigation"].test(run_conf=conf))
    html = list((sample_env["out"] / "reports" / "forensic").rglob("*.html"))
    assert html, "the forensic report was not written"
    # Computed once: the investigate task's saved folder is the only investigation written
    # (the notebook loaded it), under TRAILWATCH_REPORTS, none under the lake.
    saved = list(sample_env["out"].rglob("summary.json"))
    assert len(saved) == 1 and saved[0].parent.name == "investigation", saved
    assert (saved[0].parent / "evidence-subject.json").exists()


@pytest.mark.parametrize("conf", [
    {"subject_type": "access_key", "subject": "AKIA' OR 1=1 --"},
    {"subject_type": "access_key", "subject": "AKIAIOSFODNN7EXAMPLE", "start": "yesterday"},
    {"subject_type": "user", "subject": "AKIAIOSFODNN7EXAMPLE"},
])
def test_forensic_investigation_rejects_bad_params(dagbag, airflow_home, conf):
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        dagbag.dags["forensic_investigation"].test(run_conf=conf)


def _alerts(sample_env) -> list[dict]:
    """Every alert SNS delivered to the subscribed queue so far (SNS JSON envelopes)."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=sample_env["moto"], region_name="us-east-1")
    got = []
    while True:
        batch = sqs.receive_message(QueueUrl=sample_env["queue"], MaxNumberOfMessages=10,
                                    WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            return got
        got += [json.loads(m["Body"]) for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=sample_env["queue"], ReceiptHandle=m["ReceiptHandle"])


def test_new_high_findings_are_alerted_once(dagbag, sample_env, daily_runs):
    day, lake = sample_env["end"], sample_env["lake"]
    findings = pl.read_parquet(lake.files("findings", day))
    high = findings.filter(pl.col("severity").is_in(["high", "critical"]))
    assert high.height, "the incident day has high/critical findings"
    # test_cloudtrail_daily_end_to_end re-ran the day: same findings, so still one alert.
    alerts = [a for a in _alerts(sample_env) if day.isoformat() in a["Subject"]]
    assert len(alerts) == 1, alerts
    assert all(fid in alerts[0]["Message"] for fid in high["finding_id"].head(20))


def test_deterministic_failure_is_not_retried_and_notifies(dagbag, sample_env, daily_runs):
    """A day that has not ended is bad input: the task fails on its first try (retries=3 are
    for throttling/network only) and the failure callback sends an alert."""
    today = dt.datetime.now(dt.UTC).date().isoformat()
    run = dagbag.dags["cloudtrail_daily"].test(run_conf={"day": today})
    ti = next(t for t in run.get_task_instances() if t.task_id == "resolve_day")
    assert str(ti.state).endswith("failed") and ti.try_number == 1 and ti.max_tries >= 3
    downstream = {t.task_id: str(t.state) for t in run.get_task_instances() if t.task_id != "resolve_day"}
    assert all(s.endswith("upstream_failed") for s in downstream.values()), downstream
    failures = [a for a in _alerts(sample_env) if "resolve_day failed" in a["Subject"]]
    assert len(failures) == 1 and "has not ended yet" in failures[0]["Message"]


def test_cost_report_without_logical_date(dagbag, sample_env, daily_runs):
    run = dagbag.dags["cost_report"].test(logical_date=None, run_conf={"days": 2})
    _succeeded(run)
    assert _xcom(run, "period") == {"start": sample_env["start"].isoformat(),
                                    "end": sample_env["end"].isoformat()}
    assert list((sample_env["out"] / "reports" / "cost").rglob("*.html"))


def test_bad_day_param_is_refused_before_any_work(dagbag, airflow_home):
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        dagbag.dags["cloudtrail_daily"].test(run_conf={"day": "yesterday"})
