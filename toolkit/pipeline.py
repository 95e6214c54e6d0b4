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
