"""Alerts through Airflow's notifier interface: a failed task, new high/critical findings.

The channel is chosen by environment variables on the Airflow workers, read when an alert is
sent (never at DAG parse time):

=============================  ================================================================
``TRAILWATCH_ALERT_CHANNEL``   ``log`` (default: a WARNING line in the task log), ``sns``,
                               ``smtp`` or ``slack``
``TRAILWATCH_ALERT_TARGET``    SNS topic ARN; comma-separated e-mail addresses; Slack channel
``TRAILWATCH_ALERT_CONN_ID``   the provider's connection (default: ``aws_default``,
                               ``smtp_default``, ``slack_api_default``)
=============================  ================================================================

SNS uses the amazon provider's ``SnsNotifier``, SMTP the smtp provider's ``SmtpNotifier``,
Slack the slack provider's ``SlackNotifier`` (install ``apache-airflow-providers-slack``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from airflow.sdk import BaseNotifier

log = logging.getLogger("trailwatch.alerts")

CHANNELS = ("log", "sns", "smtp", "slack")
ALERT_SEVERITIES = ("critical", "high")
MAX_LISTED = 20


class LogNotifier(BaseNotifier):
    """The default channel: the alert as a WARNING line in the task's log."""

    template_fields = ("subject", "message")

    def __init__(self, subject: str, message: str, **kwargs):
        super().__init__(**kwargs)
        self.subject, self.message = subject, message

    def notify(self, context) -> None:
        log.warning("ALERT %s\n%s", self.subject, self.message)


def channel_notifier(subject: str, message: str, env: dict | None = None) -> BaseNotifier:
    """The notifier of the configured channel, carrying ``subject`` and ``message``."""
    env = os.environ if env is None else env
    channel = (env.get("TRAILWATCH_ALERT_CHANNEL") or "log").strip().lower()
    target, conn_id = env.get("TRAILWATCH_ALERT_TARGET"), env.get("TRAILWATCH_ALERT_CONN_ID")
    if channel not in CHANNELS:
        raise ValueError(f"TRAILWATCH_ALERT_CHANNEL={channel!r}: choose one of {', '.join(CHANNELS)}")
    if channel == "log":
        return LogNotifier(subject, message)
    if not target:
        raise ValueError(f"TRAILWATCH_ALERT_CHANNEL={channel} needs TRAILWATCH_ALERT_TARGET")
    if channel == "sns":
        from airflow.providers.amazon.aws.notifications.sns import SnsNotifier

        return SnsNotifier(aws_conn_id=conn_id or "aws_default", target_arn=target,
                           subject=subject[:100], message=message)
    if channel == "smtp":
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        return SmtpNotifier(to=[t.strip() for t in target.split(",")], subject=subject,
                            html_content=f"<pre>{_escape(message)}</pre>",
                            smtp_conn_id=conn_id or "smtp_default")
    try:
        from airflow.providers.slack.notifications.slack import SlackNotifier
    except ImportError:
        raise ValueError("TRAILWATCH_ALERT_CHANNEL=slack needs apache-airflow-providers-slack "
                         "installed on the workers") from None
    return SlackNotifier(slack_conn_id=conn_id or "slack_api_default", channel=target,
                         text=f"*{subject}*\n{message}")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def send(subject: str, message: str, context: Any) -> None:
    """Send one alert through the configured channel (``context``: the task's context)."""
    channel_notifier(subject, message)(context)


class FailureNotifier(BaseNotifier):
    """``on_failure_callback``: which DAG, task, run and error, through the configured channel."""

    def notify(self, context) -> None:
        ti = context.get("ti") or context.get("task_instance")
        dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
        task_id = getattr(ti, "task_id", "?")
        run_id = context.get("run_id") or getattr(context.get("dag_run"), "run_id", "?")
        error = context.get("exception")
        subject = f"trailwatch: {dag_id}.{task_id} failed"
        message = (f"DAG {dag_id}, task {task_id}, run {run_id}, try "
                   f"{getattr(ti, 'try_number', '?')}\nerror: {type(error).__name__ if error else ''}"
                   f": {error}\nlog: {getattr(ti, 'log_url', '')}")
        send(subject, message, context)


def findings_message(day: str, findings: list[dict]) -> tuple[str, str]:
    """Subject and text of a new-findings alert (the first ``MAX_LISTED`` listed)."""
    counts = {s: sum(f["severity"] == s for f in findings) for s in ALERT_SEVERITIES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    lines = [f"- [{f['severity']}] {f['rule_id']}: {f['title']} "
             f"(principal {f.get('principal_arn') or '-'}, ip {f.get('source_ip_address') or '-'}, "
             f"{f.get('event_count') or 0} events) id={f['finding_id']}"
             for f in findings[:MAX_LISTED]]
    if len(findings) > MAX_LISTED:
        lines.append(f"... and {len(findings) - MAX_LISTED} more (query the findings table, dt={day})")
    return f"trailwatch: {summary} new finding(s) on {day}", "\n".join(lines)
