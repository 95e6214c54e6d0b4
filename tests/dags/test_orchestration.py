"""Which failures Airflow retries, which day a run processes, and the AWS session hand-over."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from toolkit.errors import CommitConflictError, MissingDataError
from toolkit.orchestration import is_transient, report_period, resolve_day, run_step


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "GetMetricData")


@pytest.mark.parametrize("exc", [
    _client_error("ThrottlingException"), _client_error("SlowDown", 503),
    _client_error("TooManyRequestsException"), _client_error("Whatever", 503),
    EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"), ConnectionResetError(),
    TimeoutError(), CommitConflictError("someone else committed dt=2025-03-01"),
])
def test_transient_errors_are_retried(exc):
    wrapped = RuntimeError("ingest failed")
    wrapped.__cause__ = exc
    assert is_transient(exc) and is_transient(wrapped)
    with pytest.raises(type(exc)):
        run_step(_raise, exc)


@pytest.mark.parametrize("exc", [
    ValueError("contract checks failed for 2025-03-01: {'cur_x': ['not_null(x)']}"),
    _client_error("AccessDenied", 403), _client_error("ValidationError"),
    MissingDataError("no events for 2025-03-01", {"events": ["2025-03-01"]}),
    FileNotFoundError("s3://raw/AWSLogs"), KeyError("subject"),
])
def test_deterministic_errors_fail_without_retry(exc):
    from airflow.sdk.exceptions import AirflowFailException

    assert not is_transient(exc)
    with pytest.raises(AirflowFailException, match=type(exc).__name__):
        run_step(_raise, exc)


def _raise(exc):
    raise exc


TODAY = dt.date(2025, 3, 10)


def test_resolve_day():
    interval = pendulum.datetime(2025, 3, 8, tz="UTC")
    assert resolve_day(None, interval, None, TODAY) == dt.date(2025, 3, 8)
    # No logical date (Airflow 3 manual trigger): the latest complete day before the trigger.
    triggered = pendulum.datetime(2025, 3, 9, 14, 30, tz="UTC")
    assert resolve_day({}, None, triggered, TODAY) == dt.date(2025, 3, 8)
    assert resolve_day({"day": "2025-02-01"}, interval, triggered, TODAY) == dt.date(2025, 2, 1)
    with pytest.raises(ValueError, match="has not ended"):
        resolve_day({"day": "2025-03-10"}, None, None, TODAY)


def test_report_period():
    end = pendulum.datetime(2025, 3, 10, tz="UTC")
    assert report_period({"days": 7}, end, None) == (dt.date(2025, 3, 3), dt.date(2025, 3, 9))
    assert report_period({"days": 2}, None, end) == (dt.date(2025, 3, 8), dt.date(2025, 3, 9))
    assert report_period({"start": "2025-01-01", "end": "2025-01-31"}, None, None) == (
        dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    with pytest.raises(ValueError, match="both"):
        report_period({"start": "2025-01-01"}, end, None)
    with pytest.raises(ValueError, match="before"):
        report_period({"start": "2025-02-01", "end": "2025-01-01"}, end, None)


def test_task_settings_uses_the_connection_session(airflow_home, monkeypatch, moto_reset):
    """An `aws` connection with keys, region and endpoint: every AWS user gets its session."""
    import json

    import boto3

    from toolkit import aws
    from toolkit.lake import filesystem
    from toolkit.orchestration import task_settings

    monkeypatch.setenv("AIRFLOW_CONN_TRAILWATCH_AWS", json.dumps({
        "conn_type": "aws", "login": "AKIACONNECTION0001", "password": "conn-secret",
        "extra": {"region_name": "eu-west-1", "endpoint_url": moto_reset}}))
    monkeypatch.setenv("TRAILWATCH_AWS_CONN_ID", "trailwatch_aws")
    before = dict(__import__("os").environ)
    try:
        settings = task_settings()
        assert (settings.region, settings.endpoint_url) == ("eu-west-1", moto_reset)
        assert aws.session().get_credentials().access_key == "AKIACONNECTION0001"
        options = aws.s3fs_options()
        assert options["key"] == "AKIACONNECTION0001" and options["secret"] == "conn-secret"
        assert options["client_kwargs"] == {"region_name": "eu-west-1", "endpoint_url": moto_reset}
        assert aws.pyathena_options()["aws_access_key_id"] == "AKIACONNECTION0001"
        assert aws.pyiceberg_properties()["s3.endpoint"] == moto_reset
        client = aws.client("s3")
        assert client.meta.region_name == "eu-west-1" and client.meta.endpoint_url == moto_reset
        # Real HTTP through the session: moto sees the connection's access key.
        boto3.client("s3", endpoint_url=moto_reset, region_name="us-east-1").create_bucket(Bucket="conn-bucket")
        fs = filesystem("s3://conn-bucket")
        fs.pipe("s3://conn-bucket/x", b"1")
        assert fs.cat("s3://conn-bucket/x") == b"1"
        assert fs.storage_options["key"] == "AKIACONNECTION0001"
        assert dict(__import__("os").environ) == before, "credentials must not go into os.environ"
    finally:
        aws.reset()


def test_missing_named_connection_is_an_error(airflow_home, monkeypatch):
    from toolkit.orchestration import task_settings

    monkeypatch.setenv("TRAILWATCH_AWS_CONN_ID", "no_such_conn")
    with pytest.raises(ValueError, match="no_such_conn"):
        task_settings()


FINDINGS = [{"finding_id": f"f{i}", "rule_id": "iam-enumeration-burst", "title": "IAM enumeration",
             "severity": "critical" if i == 0 else "high", "principal_arn": "arn:aws:iam::1:user/x",
             "source_ip_address": "198.51.100.7", "event_count": 40} for i in range(25)]


def test_findings_message_lists_and_counts():
    from toolkit.notify import MAX_LISTED, findings_message

    subject, message = findings_message("2025-03-01", FINDINGS)
    assert subject == "trailwatch: 1 critical, 24 high new finding(s) on 2025-03-01"
    assert message.count("\n- ") + 1 == MAX_LISTED and "and 5 more" in message


def test_channels(monkeypatch, caplog):
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    from toolkit.notify import LogNotifier, channel_notifier, send

    assert isinstance(channel_notifier("s", "m", {}), LogNotifier)
    smtp = channel_notifier("s", "m", {"TRAILWATCH_ALERT_CHANNEL": "smtp",
                                       "TRAILWATCH_ALERT_TARGET": "a@example.com, b@example.com"})
    assert isinstance(smtp, SmtpNotifier) and smtp.to == ["a@example.com", "b@example.com"]
    with pytest.raises(ValueError, match="TRAILWATCH_ALERT_TARGET"):
        channel_notifier("s", "m", {"TRAILWATCH_ALERT_CHANNEL": "sns"})
    with pytest.raises(ValueError, match="choose one of"):
        channel_notifier("s", "m", {"TRAILWATCH_ALERT_CHANNEL": "pager"})
    monkeypatch.delenv("TRAILWATCH_ALERT_CHANNEL", raising=False)
    with caplog.at_level("WARNING", logger="trailwatch.alerts"):
        send("trailwatch: 1 high new finding(s) on 2025-03-01", "- [high] x", {})
    assert "ALERT trailwatch: 1 high" in caplog.text
